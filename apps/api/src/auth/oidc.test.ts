import { describe, expect, it } from 'vitest';
import { OidcError, OidcSignIn, type OidcSettings } from './oidc.ts';

const settings: OidcSettings = {
  issuer: 'https://login.example.com',
  clientId: 'weft',
  clientSecret: 'secret',
  redirectUrl: 'https://weft.example.com/auth/oidc/callback',
  name: 'SSO',
  roleClaim: 'groups',
  adminGroups: ['weft-admins', 'platform'],
  editorGroups: ['weft-editors'],
};

const oidc = new OidcSignIn(settings);
const base = { sub: 'u-1', preferred_username: 'alice', name: 'Alice Liddell' };

describe('OidcSignIn.identityFrom', () => {
  it.each([
    ['an array naming an admin group', ['staff', 'platform'], 'admin'],
    ['an array naming an editor group', ['staff', 'weft-editors'], 'editor'],
    ['an array with both (admin wins)', ['weft-editors', 'weft-admins'], 'admin'],
    ['an array of other groups', ['staff'], 'viewer'],
    ['an empty array', [], 'viewer'],
    [
      'an array whose only match is not a string',
      [{ name: 'weft-admins' }, 7, null, 'weft-editors'],
      'editor',
    ],
    ['a single string', 'weft-admins', 'admin'],
    ['a string of another group', 'staff', 'viewer'],
    ['a group differing only in case', ['Weft-Admins'], 'viewer'],
    ['a number', 42, 'viewer'],
  ] as const)('maps %s to %s', (_what, groups, role) => {
    expect(oidc.identityFrom({ ...base, groups }).role).toBe(role);
  });

  it('gives the viewer role when the claim is missing', () => {
    expect(oidc.identityFrom(base)).toEqual({
      subject: 'u-1',
      username: 'alice',
      displayName: 'Alice Liddell',
      role: 'viewer',
    });
  });

  it('reads the configured claim, not "groups"', () => {
    const roles = new OidcSignIn({ ...settings, roleClaim: 'roles' });
    expect(roles.identityFrom({ ...base, roles: ['weft-editors'], groups: ['weft-admins'] }).role).toBe(
      'editor',
    );
  });

  it('takes the username from preferred_username, then email, then sub', () => {
    expect(oidc.identityFrom({ sub: 's', preferred_username: 'bob', email: 'b@x.io' }).username).toBe('bob');
    expect(oidc.identityFrom({ sub: 's', email: 'b@x.io' }).username).toBe('b@x.io');
    expect(oidc.identityFrom({ sub: 's', preferred_username: '', email: 'b@x.io' }).username).toBe('b@x.io');
    expect(oidc.identityFrom({ sub: 'auth0|5f1c' }).username).toBe('auth0_5f1c');
  });

  it('replaces characters a username may not have and cuts it to 48', () => {
    expect(oidc.identityFrom({ sub: 's', preferred_username: 'Alice Smith/ops' }).username).toBe(
      'Alice_Smith_ops',
    );
    expect(oidc.identityFrom({ sub: 's', email: 'bob+weft@example.com' }).username).toBe(
      'bob_weft@example.com',
    );
    expect(oidc.identityFrom({ sub: 's', preferred_username: 'ünï' }).username).toBe('_n_');
    expect(oidc.identityFrom({ sub: 's', preferred_username: 'x'.repeat(60) }).username).toBe('x'.repeat(48));
  });

  it('takes the display name from name, else the unsanitised username, cut to 128', () => {
    expect(oidc.identityFrom({ sub: 's', preferred_username: 'Alice Smith' }).displayName).toBe(
      'Alice Smith',
    );
    expect(oidc.identityFrom({ sub: 's', name: 'n'.repeat(200) }).displayName).toBe('n'.repeat(128));
  });

  it.each([[{}], [{ sub: '' }], [{ sub: 17 }]])('refuses claims without a subject: %j', (claims) => {
    expect(() => oidc.identityFrom(claims)).toThrow(new OidcError('the ID token has no subject'));
  });
});

describe('OidcSignIn.finish', () => {
  it('refuses a callback without a known flow before talking to the provider', async () => {
    const expected = new OidcError('the sign-in took too long or was started elsewhere; start it again');
    await expect(oidc.finish('?code=c&state=s', undefined)).rejects.toThrow(expected);
    await expect(oidc.finish('?code=c&state=s', 'no-such-flow')).rejects.toThrow(expected);
  });
});
