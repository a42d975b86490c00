/**
 * Who calls an HTTP endpoint. App Service Authentication (Entra ID) validates the token and passes
 * the caller in `x-ms-client-principal` (base64 JSON); the platform strips that header from
 * incoming requests, so with authentication on it cannot be forged. Without it every call is 401.
 *
 * The header is `{auth_typ, claims: [{typ, val}], name_typ, role_typ}` and its claims have gone
 * through App Service's default claim mapping, so `oid` arrives as
 * `http://schemas.microsoft.com/identity/claims/objectidentifier` while `azp`/`appid` keep their
 * names (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities,
 * "Decoding the client principal header"; claims: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
 */
export interface Principal {
  /** Display name: for people and for logs, never for deciding who someone is. */
  name: string;
  roles: string[];
  /** Entra object id (`oid`) of the user or service principal: the identity to compare. */
  objectId?: string;
  /** The client application that got the token: `azp` (v2.0 tokens) or `appid` (v1.0). */
  appId?: string;
}

interface ClientPrincipal {
  claims?: Array<{ typ?: unknown; val?: unknown }>;
  name_typ?: unknown;
  role_typ?: unknown;
}

const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const NAME_CLAIMS = ['name', 'preferred_username', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'appid'];
/** The mapped type App Service sends first; the raw token name in case the mapping is off. */
export const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'] as const;
export const APP_ID_CLAIMS = ['azp', 'appid'] as const;

export function principalFromHeader(header: string | null | undefined): Principal | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  let decoded: ClientPrincipal;
  try {
    decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    return undefined;
  }
  if (typeof decoded !== 'object' || decoded === null || !Array.isArray(decoded.claims)) return undefined;
  // Claims are untrusted JSON too: a null or non-object claim is skipped, not dereferenced.
  const claims = decoded.claims.filter(
    (claim: unknown): claim is { typ: string; val: string } =>
      typeof claim === 'object' &&
      claim !== null &&
      typeof (claim as { typ?: unknown }).typ === 'string' &&
      typeof (claim as { val?: unknown }).val === 'string',
  );
  const first = (types: readonly string[]): string | undefined =>
    types.map((type) => claims.find((claim) => claim.typ === type)?.val.trim()).find((value) => value !== undefined && value !== '');
  const roleTypes = new Set([...ROLE_CLAIMS, ...(typeof decoded.role_typ === 'string' ? [decoded.role_typ] : [])]);
  const nameTypes = [...(typeof decoded.name_typ === 'string' ? [decoded.name_typ] : []), ...NAME_CLAIMS];
  const objectId = first(OBJECT_ID_CLAIMS);
  const appId = first(APP_ID_CLAIMS);
  return {
    name: first(nameTypes) ?? 'unknown',
    roles: claims.filter((claim) => roleTypes.has(claim.typ)).map((claim) => claim.val),
    ...(objectId === undefined ? {} : { objectId: objectId.toLowerCase() }),
    ...(appId === undefined ? {} : { appId: appId.toLowerCase() }),
  };
}

/** For tests and local tools: the header App Service would send for this caller (claim types as App Service maps them). */
export function encodePrincipal(principal: Principal): string {
  const claims = [
    { typ: 'name', val: principal.name },
    ...(principal.objectId === undefined ? [] : [{ typ: OBJECT_ID_CLAIMS[0], val: principal.objectId }]),
    ...(principal.appId === undefined ? [] : [{ typ: 'azp', val: principal.appId }]),
    ...principal.roles.map((role) => ({ typ: 'roles', val: role })),
  ];
  return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64');
}

/** True only when both principals carry an object id and it is the same: display names never decide. */
export function samePrincipal(left: Pick<Principal, 'objectId'>, right: Pick<Principal, 'objectId'>): boolean {
  return left.objectId !== undefined && right.objectId !== undefined && left.objectId === right.objectId;
}

/** Who did something, as the audit trail records it: display name, object id and client app id. */
export interface Actor {
  by: string;
  byObjectId?: string;
  byAppId?: string;
}

export function actorOf(principal: Principal): Actor {
  return {
    by: principal.name,
    ...(principal.objectId === undefined ? {} : { byObjectId: principal.objectId }),
    ...(principal.appId === undefined ? {} : { byAppId: principal.appId }),
  };
}

export type Authorization = { principal: Principal } | { status: 401 | 403; body: { error: string } };

/** 401 without a caller, 403 without `role` (or `managerRole`, which implies it). */
export function authorizeRole(header: string | null | undefined, role: string, managerRole: string): Authorization {
  const principal = principalFromHeader(header);
  if (principal === undefined) return { status: 401, body: { error: 'authentication required' } };
  if (!principal.roles.includes(role) && !principal.roles.includes(managerRole)) return { status: 403, body: { error: `role ${role} required` } };
  return { principal };
}
