import { describe, expect, it } from 'vitest';

import { actorOf, encodePrincipal, principalFromHeader, samePrincipal } from '../../../lib/auth/principal.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('principalFromHeader', () => {
  it('reads oid under the claim type App Service maps it to, and azp/appid as they come (Learn: configure-authentication-user-identities)', () => {
    // The shape Learn documents for a decoded X-MS-CLIENT-PRINCIPAL: auth_typ, claims [{typ, val}], name_typ, role_typ.
    const header = encode({
      auth_typ: 'aad',
      claims: [
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: '6F1C1A52-5C3E-4E59-9E4B-5F0D2B9D0A11' },
        { typ: 'azp', val: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' },
        { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', val: 'max@contoso.com' },
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Rollouts.Manage' },
      ],
      name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    });
    expect(principalFromHeader(header)).toEqual({
      name: 'max@contoso.com',
      roles: ['Rollouts.Manage'],
      objectId: '6f1c1a52-5c3e-4e59-9e4b-5f0d2b9d0a11',
      appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
    });
  });

  it('v1.0 tokens: appid; an unmapped oid claim is read too; empty values are absent', () => {
    const header = encode({
      claims: [
        { typ: 'oid', val: 'abc' },
        { typ: 'appid', val: 'APP' },
        { typ: 'azp', val: ' ' },
        { typ: 'roles', val: 'Rollouts.Read' },
      ],
    });
    // An app-only token has no name claim: it is named by its client app.
    expect(principalFromHeader(header)).toEqual({ name: 'app:app', roles: ['Rollouts.Read'], objectId: 'abc', appId: 'app' });
    expect(principalFromHeader(encode({ claims: [{ typ: 'name', val: 'x' }] }))).toEqual({ name: 'x', roles: [] });
  });

  it('round-trips through encodePrincipal', () => {
    const principal = { name: 'rita', roles: ['Rollouts.Read'], objectId: 'o-1', appId: 'a-1' };
    expect(principalFromHeader(encodePrincipal(principal))).toEqual(principal);
  });
});

describe('samePrincipal and actorOf', () => {
  it('compares object ids only: same name is not the same person, a missing id never matches', () => {
    expect(samePrincipal({ objectId: 'a' }, { objectId: 'a' })).toBe(true);
    expect(samePrincipal({ objectId: 'a' }, { objectId: 'b' })).toBe(false);
    expect(samePrincipal({}, {})).toBe(false);
  });

  it('records name, object id and app id', () => {
    expect(actorOf({ name: 'max', roles: [], objectId: 'o', appId: 'a' })).toEqual({ by: 'max', byObjectId: 'o', byAppId: 'a' });
    expect(actorOf({ name: 'max', roles: [] })).toEqual({ by: 'max' });
  });
});

describe('display names without a name claim', () => {
  const nameOf = (...claims: Array<[string, string]>) => principalFromHeader(encode({ claims: claims.map(([typ, val]) => ({ typ, val })) }))?.name;

  it('an app is app:<appid>; a user token (idtyp user) without names is oid:<oid>; nothing at all is unknown', () => {
    expect(nameOf(['azp', 'A1'], ['oid', 'O1'])).toBe('app:a1');
    expect(nameOf(['azp', 'A1'], ['oid', 'O1'], ['idtyp', 'user'])).toBe('oid:o1');
    expect(nameOf(['roles', 'Alerts.Read'])).toBe('unknown');
  });
});
