/**
 * OIDC sign-in end to end: a real OpenID Connect provider (oidc-provider, scripted login), the API on a
 * SQLite file, and a "browser" made of fetch(redirect: 'manual') and a per-origin cookie jar that follows
 * the redirect chain start → provider → scripted login → provider → callback → console page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthCookies,
  AuthPaths,
  type AuthProviders,
  type SessionInfo,
  type TokenSummary,
} from '@weft/schema';
import { startApi, type RunningApi } from '../src/app.ts';
import type { UserRecord } from '../src/auth/users.ts';
import { signIn, testApiOptions, trpcCall, trpcQuery, type Session } from './support/auth.ts';
import { freePort } from './support/ports.ts';
import { startOidcProvider, type TestOidcProvider } from './support/oidc-provider.ts';

/** Cookies by origin (scheme://host:port) and name; enough for the cookies these two servers set. */
class CookieJar {
  readonly #byOrigin = new Map<string, Map<string, string>>();

  header(url: URL): string | undefined {
    const cookies = this.#byOrigin.get(url.origin);
    if (!cookies || cookies.size === 0) return undefined;
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(url: URL, setCookies: readonly string[]): void {
    let cookies = this.#byOrigin.get(url.origin);
    if (!cookies) this.#byOrigin.set(url.origin, (cookies = new Map<string, string>()));
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const expired = attrs.some((a) => {
        const [key = '', value = ''] = a.split('=');
        if (key.toLowerCase() === 'max-age') return Number(value) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(value) <= Date.now();
        return false;
      });
      if (expired) cookies.delete(name);
      else cookies.set(name, pair.slice(eq + 1));
    }
  }

  get(origin: string, name: string): string | undefined {
    return this.#byOrigin.get(origin)?.get(name);
  }

  delete(origin: string, name: string): void {
    this.#byOrigin.get(origin)?.delete(name);
  }
}

interface Hop {
  url: URL;
  status: number;
  location: string | null;
  setCookies: string[];
}

const OIDC_FLOW_COOKIE_CLEARED = `${AuthCookies.oidc}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
const SESSION_COOKIE = new RegExp(
  `^${AuthCookies.session}=([A-Za-z0-9_-]{20,}); Path=/; HttpOnly; SameSite=Lax; Max-Age=43200$`,
);

function loginError(message: string): string {
  return `/login?error=${encodeURIComponent(message)}`;
}

describe('OIDC sign-in against a real provider', () => {
  let dir: string;
  let api: RunningApi;
  let idp: TestOidcProvider;
  let admin: Session;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-oidc-'));
    const options = await testApiOptions(`file:${path.join(dir, 'weft.db')}`);
    const redirectUrl = `http://127.0.0.1:${options.port}${AuthPaths.oidcCallback}`;
    idp = await startOidcProvider({
      redirectUri: redirectUrl,
      accounts: [
        {
          sub: 'u-alice',
          name: 'Alice Liddell',
          preferredUsername: 'alice',
          email: 'alice@example.com',
          groups: ['staff', 'weft-admins'],
        },
        { sub: 'u-bob', name: 'Bob Builder', preferredUsername: 'bob', email: 'bob@example.com', groups: [] },
      ],
    });
    api = await startApi(
      {
        ...options,
        oidc: {
          issuer: idp.issuer,
          clientId: idp.clientId,
          clientSecret: idp.clientSecret,
          redirectUrl,
          name: 'Example SSO',
          roleClaim: 'groups',
          adminGroups: ['weft-admins'],
          editorGroups: ['weft-editors'],
        },
      },
      () => undefined,
    );
    admin = await signIn(api.url);
  });

  afterAll(async () => {
    await api?.close();
    await idp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Follows redirects the way a browser does, from /auth/oidc/start until the chain leaves /auth/* on the
   * API's origin (a console page such as /graph or /login). `beforeCallback` may alter the request that
   * reaches the API's callback (its URL, or the jar).
   */
  async function browse(
    returnTo: string,
    beforeCallback?: (callback: URL, jar: CookieJar) => URL,
  ): Promise<{ hops: Hop[]; jar: CookieJar }> {
    const jar = new CookieJar();
    const hops: Hop[] = [];
    let url = new URL(`${api.url}${AuthPaths.oidcStart}?returnTo=${encodeURIComponent(returnTo)}`);
    for (;;) {
      if (hops.length >= 10)
        throw new Error(`too many redirects: ${hops.map((h) => h.url.href).join(' → ')}`);
      if (url.origin === api.url && url.pathname === AuthPaths.oidcCallback && beforeCallback) {
        url = beforeCallback(url, jar);
      }
      const cookie = jar.header(url);
      const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      await res.arrayBuffer();
      const hop: Hop = {
        url,
        status: res.status,
        location: res.headers.get('location'),
        setCookies: res.headers.getSetCookie(),
      };
      hops.push(hop);
      jar.store(url, hop.setCookies);
      if (hop.status < 300 || hop.status >= 400 || hop.location === null) break;
      const next = new URL(hop.location, url);
      if (next.origin === api.url && !next.pathname.startsWith('/auth/')) break;
      url = next;
    }
    return { hops, jar };
  }

  /** The route each hop took: "api /auth/oidc/start 302", "idp /interaction/:uid 303", … */
  function route(hops: readonly Hop[]): string[] {
    return hops.map(
      (h) =>
        `${h.url.origin === api.url ? 'api' : h.url.origin === idp.issuer ? 'idp' : h.url.origin} ` +
        `${h.url.pathname.replace(/^\/(interaction|auth)\/[A-Za-z0-9_-]{10,}$/, '/$1/:uid')} ${h.status}`,
    );
  }

  const fullChain = [
    'api /auth/oidc/start 302',
    'idp /auth 303',
    'idp /interaction/:uid 303',
    'idp /auth/:uid 303',
    'api /auth/oidc/callback 302',
  ];

  /** Signs in at the provider as `sub`; returns the callback's answer and the API session it set. */
  async function signInAs(sub: string, returnTo = '/graph') {
    idp.signInNext(sub);
    const { hops, jar } = await browse(returnTo);
    const callback = hops[hops.length - 1] as Hop;
    const secret = jar.get(api.url, AuthCookies.session);
    if (!secret) throw new Error(`no session after signing in as ${sub}: ${route(hops).join(', ')}`);
    const cookie = `${AuthCookies.session}=${secret}`;
    const me = await trpcCall(api.url, { cookie, csrfToken: '' }, 'auth.me', undefined, 'query');
    const session: Session = { ...(me.body.result?.data as SessionInfo), cookie };
    return { hops, callback, session };
  }

  it('lists the provider by the configured name', async () => {
    const res = await fetch(`${api.url}${AuthPaths.providers}`);
    expect(res.status).toBe(200);
    expect((await res.json()) as AuthProviders).toEqual({ local: true, oidc: { name: 'Example SSO' } });
  });

  it('signs alice in through the provider as an admin (from her groups) and returns to /graph', async () => {
    const before = idp.interactions;
    const { hops, callback, session } = await signInAs('u-alice');

    expect(route(hops)).toEqual(fullChain);
    expect(idp.interactions).toBe(before + 1);
    expect(callback.location).toBe('/graph');
    expect(callback.setCookies).toHaveLength(2);
    expect(callback.setCookies[0]).toMatch(SESSION_COOKIE);
    expect(callback.setCookies[1]).toBe(OIDC_FLOW_COOKIE_CLEARED);
    // The flow cookie went out with the redirect to the provider and came back to the callback.
    expect(hops[0]?.setCookies[0]).toMatch(
      new RegExp(`^${AuthCookies.oidc}=[A-Za-z0-9_-]{32}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600$`),
    );

    expect(session.user).toEqual({
      id: expect.any(String) as string,
      username: 'alice@oidc',
      displayName: 'Alice Liddell',
      role: 'admin',
      provider: 'oidc',
    });
    const tokens = await trpcCall(api.url, session, 'tokens.list', undefined, 'query');
    expect(tokens.status).toBe(200);
    expect(Array.isArray(tokens.body.result?.data as TokenSummary[])).toBe(true);
  });

  it('signs bob in as a viewer: viewer procedures answer, admin ones refuse with 403', async () => {
    const { callback, session } = await signInAs('u-bob');
    expect(callback.location).toBe('/graph');
    expect(session.user).toMatchObject({ username: 'bob@oidc', displayName: 'Bob Builder', role: 'viewer' });

    const services = await trpcCall(api.url, session, 'services.list', { window: {} }, 'query');
    expect(services.status).toBe(200);
    const tokens = await trpcCall(api.url, session, 'tokens.list', undefined, 'query');
    expect(tokens.status).toBe(403);
    expect(tokens.body.error?.message).toBe('needs the admin role; bob@oidc is viewer');
  });

  it('refuses a callback that arrives without the flow cookie, and sets no session', async () => {
    idp.signInNext('u-alice');
    const { hops, jar } = await browse('/graph', (callback, j) => {
      j.delete(api.url, AuthCookies.oidc);
      return callback;
    });
    const callback = hops[hops.length - 1] as Hop;
    expect(route(hops)).toEqual(fullChain);
    expect(callback.location).toBe(
      loginError('the sign-in took too long or was started elsewhere; start it again'),
    );
    expect(callback.setCookies).toEqual([OIDC_FLOW_COOKIE_CLEARED]);
    expect(jar.get(api.url, AuthCookies.session)).toBeUndefined();
  });

  it('refuses a callback whose state was tampered with, and sets no session', async () => {
    idp.signInNext('u-alice');
    const { hops, jar } = await browse('/graph', (callback) => {
      const tampered = new URL(callback);
      tampered.searchParams.set('state', 'forged-state');
      return tampered;
    });
    const callback = hops[hops.length - 1] as Hop;
    expect(route(hops)).toEqual(fullChain);
    expect(callback.location).toBe(
      loginError(
        'the OIDC provider\'s answer was refused: invalid response encountered (unexpected "state" response parameter value)',
      ),
    );
    expect(callback.setCookies).toEqual([OIDC_FLOW_COOKIE_CLEARED]);
    expect(jar.get(api.url, AuthCookies.session)).toBeUndefined();
  });

  it('sends a user who cancels at the provider back to /login with the reason', async () => {
    idp.signInNext(undefined);
    const { hops, jar } = await browse('/graph');
    const callback = hops[hops.length - 1] as Hop;
    expect(route(hops)).toEqual(fullChain);
    expect(callback.location).toBe(
      loginError('the OIDC provider refused the sign-in: access_denied (the user cancelled the sign-in)'),
    );
    expect(jar.get(api.url, AuthCookies.session)).toBeUndefined();
  });

  it('never redirects off the console: returnTo "//evil.example" ends at "/"', async () => {
    const { callback, session } = await signInAs('u-alice', '//evil.example');
    expect(callback.location).toBe('/');
    expect(session.user.username).toBe('alice@oidc');
  });

  it('drops a returnTo that a browser would turn into another origin: "/\\t/evil.example" ends at "/"', async () => {
    const { callback } = await signInAs('u-alice', '/\t/evil.example');
    expect(callback.location).toBe('/');
  });

  it('signs in once per flow: the same callback replayed with its flow cookie is refused', async () => {
    idp.signInNext('u-bob');
    let replay: { url: URL; cookie: string } | undefined;
    const { hops } = await browse('/graph', (callback, jar) => {
      replay = { url: callback, cookie: `${AuthCookies.oidc}=${jar.get(api.url, AuthCookies.oidc)}` };
      return callback;
    });
    expect(hops[hops.length - 1]?.location).toBe('/graph');
    if (!replay) throw new Error('the chain never reached the callback');

    const res = await fetch(replay.url, { redirect: 'manual', headers: { cookie: replay.cookie } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(
      loginError('the sign-in took too long or was started elsewhere; start it again'),
    );
    expect(res.headers.getSetCookie()).toEqual([OIDC_FLOW_COOKIE_CLEARED]);
  });

  it('signs alice in again as the same user, with the role her groups give now', async () => {
    const first = await signInAs('u-alice');
    const alice = idp.accounts.get('u-alice');
    if (!alice) throw new Error('no alice');
    const groups = alice.groups;
    alice.groups = ['weft-editors'];
    try {
      const second = await signInAs('u-alice');
      expect(second.session.user).toEqual({ ...first.session.user, role: 'editor' });
    } finally {
      alice.groups = groups;
    }
    const users = await trpcQuery<UserRecord[]>(api.url, admin, 'users.list');
    const alices = users.filter((u) => u.username.startsWith('alice'));
    expect(alices.map((u) => [u.id, u.username, u.provider, u.role])).toEqual([
      [first.session.user.id, 'alice@oidc', 'oidc', 'editor'],
    ]);
  });
});

describe('OIDC sign-in when not configured', () => {
  let dir: string;
  let api: RunningApi;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-no-oidc-'));
    api = await startApi(await testApiOptions(`file:${path.join(dir, 'weft.db')}`), () => undefined);
  });

  afterAll(async () => {
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers /auth/oidc/start with 404 naming the settings to set', async () => {
    const res = await fetch(`${api.url}${AuthPaths.oidcStart}?returnTo=/graph`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.json()).toEqual({
      error:
        'OIDC sign-in is not configured: set WEFT_OIDC_ISSUER, WEFT_OIDC_CLIENT_ID and WEFT_OIDC_REDIRECT_URL',
    });
  });

  it('lists only the local provider', async () => {
    const res = await fetch(`${api.url}${AuthPaths.providers}`);
    expect((await res.json()) as AuthProviders).toEqual({ local: true, oidc: null });
  });
});

describe('OIDC sign-in when the provider cannot be reached', () => {
  let dir: string;
  let api: RunningApi;
  let issuer: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-oidc-down-'));
    const options = await testApiOptions(`file:${path.join(dir, 'weft.db')}`);
    // A port nothing listens on.
    issuer = `http://127.0.0.1:${await freePort()}`;
    api = await startApi(
      {
        ...options,
        oidc: {
          issuer,
          clientId: 'weft-console',
          clientSecret: 'secret',
          redirectUrl: `http://127.0.0.1:${options.port}${AuthPaths.oidcCallback}`,
          name: 'Example SSO',
          roleClaim: 'groups',
          adminGroups: [],
          editorGroups: [],
        },
      },
      () => undefined,
    );
  });

  afterAll(async () => {
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends the user to /login with the reason, every time (the failure is not cached)', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await fetch(`${api.url}${AuthPaths.oidcStart}?returnTo=/graph`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(
        loginError(`cannot reach the OIDC provider at ${issuer}: fetch failed`),
      );
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });
});
