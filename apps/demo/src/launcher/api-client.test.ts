/**
 * The launcher's API client against a small stand-in for the API's sign-in and token endpoints, on 127.0.0.1.
 * The real API is covered by the launcher's integration test.
 */
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TokenSummary } from '@weft/schema';
import {
  ApiCallError,
  ApiClient,
  createIngestToken,
  createWorkloadTokens,
  demoTokenName,
  revokeDemoTokens,
  sessionCookie,
  SignInRefusedError,
} from './api-client.ts';

const PASSWORD = 'right-password-123';
const SESSION = 'sess-abc';
const CSRF = 'csrf-xyz';

interface Fake {
  /** Status codes to answer the next logins with before answering normally. */
  loginFailures: number[];
  logins: number;
  logouts: number;
  tokens: TokenSummary[];
  secrets: Map<string, string>;
  /** Shape of tokens.list's answer. */
  listShape: 'array' | 'object';
}

let fake: Fake;
let server: http.Server;
let base: string;

const summary = (id: string, name: string, revoked = false): TokenSummary => ({
  id,
  name,
  kind: 'workload',
  namespace: 'shop',
  service: 'catalog',
  version: 'v1',
  createdBy: 'admin',
  createdAtMs: 1,
  lastUsedAtMs: null,
  revokedAtMs: revoked ? 2 : null,
});

function trpc(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function trpcError(res: http.ServerResponse, status: number, message: string): void {
  trpc(res, status, { error: { message, code: -32001, data: { httpStatus: status } } });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/auth/login' && req.method === 'POST') {
    fake.logins++;
    const failure = fake.loginFailures.shift();
    if (failure !== undefined)
      return void res.writeHead(failure, failure === 429 ? { 'retry-after': '600' } : {}).end('nope');
    const { username, password } = JSON.parse(body) as { username: string; password: string };
    if (req.headers['content-type'] !== 'application/json') return void res.writeHead(415).end();
    if (username !== 'admin' || password !== PASSWORD) return void res.writeHead(401).end('{}');
    res.writeHead(200, {
      'content-type': 'application/json',
      'set-cookie': [`other=1; Path=/`, `weft_session=${SESSION}; Path=/; HttpOnly; SameSite=Lax`],
    });
    return void res.end(JSON.stringify({ user: { username }, csrfToken: CSRF, expiresAtMs: 1 }));
  }
  if (url.pathname === '/auth/logout') {
    fake.logouts++;
    return void res.writeHead(204).end();
  }
  if (!url.pathname.startsWith('/trpc/')) return void res.writeHead(404).end();
  if (req.headers.cookie !== `weft_session=${SESSION}`) return trpcError(res, 401, 'sign in first');
  const procedure = url.pathname.slice('/trpc/'.length);
  if (req.method === 'POST' && req.headers['x-weft-csrf'] !== CSRF)
    return trpcError(res, 403, 'missing or wrong x-weft-csrf header');
  const input = req.method === 'POST' ? (JSON.parse(body) as Record<string, string>) : null;
  switch (procedure) {
    case 'tokens.list':
      return trpc(res, 200, {
        result: { data: fake.listShape === 'array' ? fake.tokens : { tokens: fake.tokens } },
      });
    case 'tokens.revoke': {
      const t = fake.tokens.find((x) => x.id === input!.id);
      if (!t) return trpcError(res, 404, 'no such token');
      t.revokedAtMs = 99;
      return trpc(res, 200, { result: { data: { ok: true } } });
    }
    case 'tokens.create': {
      if (input!.name === 'demo:bad.shop') return trpcError(res, 400, 'name: must be unique');
      const id = `t${fake.tokens.length + 1}`;
      const s: TokenSummary = { ...summary(id, input!.name!), ...input, id };
      fake.tokens.push(s);
      const token = `weft_secret_${id}`;
      fake.secrets.set(id, token);
      return trpc(res, 200, { result: { data: { token, summary: s } } });
    }
    default:
      return trpcError(res, 404, `no procedure ${procedure}`);
  }
}

beforeAll(async () => {
  server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  fake = { loginFailures: [], logins: 0, logouts: 0, tokens: [], secrets: new Map(), listShape: 'array' };
});

describe('sign-in', () => {
  it('returns the session cookie and CSRF token', async () => {
    const s = await new ApiClient(base).login('admin', PASSWORD);
    expect(s.cookie).toBe(`weft_session=${SESSION}`);
    expect(s.csrfToken).toBe(CSRF);
  });

  it('refuses a wrong password at once, without retrying (each try counts against the API limit)', async () => {
    const err = await new ApiClient(base)
      .loginWithRetries('admin', 'wrong-password-1', { delayMs: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInRefusedError);
    expect((err as SignInRefusedError).reason).toBe('wrong-password');
    expect((err as Error).message).not.toContain('wrong-password-1');
    expect(fake.logins).toBe(1);
  });

  it('reports a rate limit (429) as such, at once', async () => {
    fake.loginFailures = [429];
    const err = await new ApiClient(base)
      .loginWithRetries('admin', PASSWORD, { delayMs: 1 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'rate-limited', retryAfterSeconds: 600 });
    expect(fake.logins).toBe(1);
  });

  it('retries transient failures a bounded number of times', async () => {
    fake.loginFailures = [503, 502];
    const s = await new ApiClient(base).loginWithRetries('admin', PASSWORD, { attempts: 3, delayMs: 1 });
    expect(s.csrfToken).toBe(CSRF);
    expect(fake.logins).toBe(3);

    fake.logins = 0;
    fake.loginFailures = [500, 500, 500, 500];
    const err = await new ApiClient(base)
      .loginWithRetries('admin', PASSWORD, { attempts: 3, delayMs: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    expect((err as Error).message).toMatch(/answered 500.*after 3 attempts/);
    expect(fake.logins).toBe(3);
  });

  it('says so when the API does not answer', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await new ApiClient(`http://127.0.0.1:${port}`)
      .loginWithRetries('admin', PASSWORD, { attempts: 2, delayMs: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    expect((err as ApiCallError).status).toBeNull();
    expect((err as Error).message).toMatch(/did not answer.*after 2 attempts/);
  });

  it('finds the session cookie among Set-Cookie headers', () => {
    expect(sessionCookie(undefined)).toBeNull();
    expect(sessionCookie('weft_session=a.b=c; Path=/')).toBe('weft_session=a.b=c');
    expect(sessionCookie(['x=1', 'weft_session=; Max-Age=0'])).toBeNull();
    expect(sessionCookie(['weft_sessionx=1'])).toBeNull();
  });
});

describe('tRPC calls with the session', () => {
  it('sends the cookie on queries and the CSRF header on mutations, and surfaces tRPC errors', async () => {
    const api = new ApiClient(base);
    const s = await api.login('admin', PASSWORD);
    expect(await api.query(s, 'tokens.list')).toEqual([]);
    await expect(api.query({ ...s, cookie: 'weft_session=old' }, 'tokens.list')).rejects.toThrow(
      'tokens.list: the API answered 401: sign in first',
    );
    await expect(api.mutate({ ...s, csrfToken: 'x' }, 'tokens.revoke', { id: 'a' })).rejects.toThrow(
      /403: missing or wrong x-weft-csrf/,
    );
    await expect(api.mutate(s, 'tokens.revoke', { id: 'nope' })).rejects.toMatchObject({ status: 404 });
    await api.logout(s);
    expect(fake.logouts).toBe(1);
  });
});

describe('demo tokens', () => {
  const workloads = [
    { proxyId: 'catalog.shop', namespace: 'shop', service: 'catalog', version: 'v1' },
    { proxyId: 'reviews-v2.shop', namespace: 'shop', service: 'reviews', version: 'v2' },
  ];

  it('revokes only the unrevoked demo tokens of earlier runs', async () => {
    fake.listShape = 'object';
    fake.tokens = [
      summary('a', 'demo:catalog.shop'),
      summary('b', 'demo:cart.shop', true),
      summary('c', 'ci-sender'),
      summary('d', 'demo:ratings.shop'),
    ];
    const api = new ApiClient(base);
    const s = await api.login('admin', PASSWORD);
    expect(await revokeDemoTokens(api, s)).toBe(2);
    expect(fake.tokens.map((t) => [t.id, t.revokedAtMs])).toEqual([
      ['a', 99],
      ['b', 2],
      ['c', null],
      ['d', 99],
    ]);
    expect(await revokeDemoTokens(api, s)).toBe(0);
  });

  it('creates one workload token per workload, named demo:<proxy id>, scoped to exactly it', async () => {
    const api = new ApiClient(base);
    const s = await api.login('admin', PASSWORD);
    const tokens = await createWorkloadTokens(api, s, workloads);
    expect([...tokens.entries()]).toEqual([
      ['catalog.shop', 'weft_secret_t1'],
      ['reviews-v2.shop', 'weft_secret_t2'],
    ]);
    expect(fake.tokens.map((t) => [t.name, t.kind, t.namespace, t.service, t.version])).toEqual([
      ['demo:catalog.shop', 'workload', 'shop', 'catalog', 'v1'],
      ['demo:reviews-v2.shop', 'workload', 'shop', 'reviews', 'v2'],
    ]);
    expect(demoTokenName('x.y')).toBe('demo:x.y');
  });

  it('creates an ingest token for a service outside the mesh, scoped to its namespace and service', async () => {
    const api = new ApiClient(base);
    const s = await api.login('admin', PASSWORD);
    const token = await createIngestToken(api, s, { namespace: 'shop', service: 'recommendations' });
    expect(token).toBe('weft_secret_t1');
    expect(fake.tokens.map((t) => [t.name, t.kind, t.namespace, t.service])).toEqual([
      ['demo:recommendations.shop', 'ingest', 'shop', 'recommendations'],
    ]);
    // A later run revokes it with the workload tokens.
    expect(await revokeDemoTokens(api, s)).toBe(1);
  });

  it('fails with the API message when a token cannot be created', async () => {
    const api = new ApiClient(base);
    const s = await api.login('admin', PASSWORD);
    await expect(
      createWorkloadTokens(api, s, [{ proxyId: 'bad.shop', namespace: 'shop', service: 'x', version: 'v1' }]),
    ).rejects.toThrow('tokens.create: the API answered 400: name: must be unique');
  });
});
