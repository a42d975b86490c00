/**
 * Who calls an HTTP endpoint. App Service Authentication (Entra ID) validates the token and passes
 * the caller in `x-ms-client-principal` (base64 JSON); the platform strips that header from
 * incoming requests, so with authentication on it cannot be forged. Without it every call is 401.
 */
export interface Principal {
  name: string;
  roles: string[];
}

interface ClientPrincipal {
  claims?: Array<{ typ?: unknown; val?: unknown }>;
  name_typ?: unknown;
  role_typ?: unknown;
}

const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const NAME_CLAIMS = ['name', 'preferred_username', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'appid'];

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
      typeof claim === 'object' && claim !== null && typeof (claim as { typ?: unknown }).typ === 'string' && typeof (claim as { val?: unknown }).val === 'string',
  );
  const roleTypes = new Set([...ROLE_CLAIMS, ...(typeof decoded.role_typ === 'string' ? [decoded.role_typ] : [])]);
  const nameTypes = [...(typeof decoded.name_typ === 'string' ? [decoded.name_typ] : []), ...NAME_CLAIMS];
  const name = nameTypes.map((type) => claims.find((claim) => claim.typ === type)?.val).find((value) => value !== undefined) ?? 'unknown';
  return { name, roles: claims.filter((claim) => roleTypes.has(claim.typ)).map((claim) => claim.val) };
}

/** For tests and local tools: the header App Service would send for this caller. */
export function encodePrincipal(principal: Principal): string {
  const claims = [{ typ: 'name', val: principal.name }, ...principal.roles.map((role) => ({ typ: 'roles', val: role }))];
  return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64');
}

export type Authorization = { principal: Principal } | { status: 401 | 403; body: { error: string } };

/** 401 without a caller, 403 without `role` (or `managerRole`, which implies it). */
export function authorizeRole(header: string | null | undefined, role: string, managerRole: string): Authorization {
  const principal = principalFromHeader(header);
  if (principal === undefined) return { status: 401, body: { error: 'authentication required' } };
  if (!principal.roles.includes(role) && !principal.roles.includes(managerRole)) return { status: 403, body: { error: `role ${role} required` } };
  return { principal };
}
