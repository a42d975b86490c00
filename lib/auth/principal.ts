/**
 * Who calls an HTTP endpoint. App Service Authentication (Entra ID) validates the token and passes
 * the caller in `x-ms-client-principal` (base64 JSON); the platform strips that header from
 * incoming requests, so with authentication on it cannot be forged. Without it every call is 401,
 * and without authentication configured the HTTP API is not served at all (lib/app/httpApiGuard.ts).
 *
 * The header is `{auth_typ, claims: [{typ, val}], name_typ, role_typ}` and its claims have gone
 * through App Service's default claim mapping, so `oid` arrives as
 * `http://schemas.microsoft.com/identity/claims/objectidentifier` while `azp`/`appid` keep their
 * names (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities,
 * "Decoding the client principal header"; claims: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
 *
 * Which claims count is fixed here, never taken from the header's own `name_typ`/`role_typ`: those
 * name what a .NET ClaimsIdentity should treat as its name and role claim, and real headers set
 * `name_typ` to the e-mail claim (captured in test/fixtures/easyauth/). Trusting `role_typ` would let
 * whatever claim it names (a display name, a group) decide an app role.
 */
export interface Principal {
  /** Display name: for people and for logs, never for deciding who someone is. `app:<appid>` for an app without one. */
  name: string;
  roles: string[];
  /** Entra object id (`oid`) of the user or service principal: the identity to compare. */
  objectId?: string;
  /** The client application that got the token: `azp` (v2.0 tokens) or `appid` (v1.0). */
  appId?: string;
}

/** App roles: the token's `roles` claim, under its own name or the type App Service maps it to. */
export const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'] as const;
/** Display names, in order of preference (an app-only token has none of them). */
export const NAME_CLAIMS = [
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'preferred_username',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'email',
] as const;
/** The mapped type App Service sends first; the raw token name in case the mapping is off. */
export const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'] as const;
export const APP_ID_CLAIMS = ['azp', 'appid'] as const;

export function principalFromHeader(header: string | null | undefined): Principal | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof decoded !== 'object' || decoded === null || !Array.isArray((decoded as { claims?: unknown }).claims)) return undefined;
  // Claims are untrusted JSON too: a null or non-object claim is skipped, not dereferenced.
  const claims = (decoded as { claims: unknown[] }).claims.filter(
    (claim: unknown): claim is { typ: string; val: string } =>
      typeof claim === 'object' &&
      claim !== null &&
      typeof (claim as { typ?: unknown }).typ === 'string' &&
      typeof (claim as { val?: unknown }).val === 'string',
  );
  const first = (types: readonly string[]): string | undefined =>
    types.map((type) => claims.find((claim) => claim.typ === type)?.val.trim()).find((value) => value !== undefined && value !== '');
  const roleTypes = new Set<string>(ROLE_CLAIMS);
  const objectId = first(OBJECT_ID_CLAIMS)?.toLowerCase();
  const appId = first(APP_ID_CLAIMS)?.toLowerCase();
  // An app-only token (client credentials, managed identity) carries no name: it is named by its
  // client app. `idtyp` (optional claim) says `user` for a delegated token whose name claims are absent.
  const fallback = appId !== undefined && first(['idtyp']) !== 'user' ? `app:${appId}` : objectId === undefined ? 'unknown' : `oid:${objectId}`;
  return {
    name: first(NAME_CLAIMS) ?? fallback,
    roles: claims.filter((claim) => roleTypes.has(claim.typ)).map((claim) => claim.val),
    ...(objectId === undefined ? {} : { objectId }),
    ...(appId === undefined ? {} : { appId }),
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
