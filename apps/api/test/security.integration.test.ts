/**
 * The attacks from "Close the control plane", each tried against the real API on SQLite and PostgreSQL:
 * every one is refused with the status and message a user sees, and none of them changes what proxies get
 * or what the console shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyConfig, TopologyGraph, TraceSummary } from '@weft/schema';
import { startApi, type RunningApi } from '../src/app.ts';
import {
  bearer,
  createToken,
  signIn,
  testApiOptions,
  trpcCall,
  trpcMutation,
  trpcQuery,
  workloadToken,
  type Session,
} from './support/auth.ts';
import { BACKENDS } from './support/databases.ts';
import { metricsRequest, span, tracesRequest } from './support/otlp.ts';

function registration(proxyId: string, service: string, inboundAddress: string) {
  return {
    proxyId,
    service,
    namespace: 'shop',
    version: 'v1',
    inboundAddress,
    adminAddress: '127.0.0.1:9901',
  };
}

/** `count` 500s to shop/<destService>@v1 over the last 5 s, sent as if by its proxy "forged-1". */
function forgedMetrics(destService: string, count: number) {
  const endMs = Date.now();
  return metricsRequest({
    resource: { service: destService, instance: 'forged-1' },
    points: [
      {
        destination: { service: destService, namespace: 'shop', version: 'v1' },
        status: 500,
        count,
        sum: count,
        buckets: { 0: count },
        startMs: endMs - 5000,
        endMs,
      },
    ],
  });
}

function forgedSpans(service: string, namespace = 'shop') {
  const startMs = Date.now();
  return tracesRequest({
    service,
    namespace,
    spans: [
      span({
        traceId: '0123456789abcdef0123456789abcdef',
        spanId: '0123456789abcdef',
        name: 'GET /forged',
        startMs,
        endMs: startMs + 1,
      }),
    ],
  });
}

describe.each(BACKENDS)('control-plane attacks on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let api: RunningApi;
  let admin: Session;
  let catalogToken: string;
  let attackerToken: string;
  const window = { lastMs: 3600_000 };

  async function call(method: string, pathname: string, token: string | null, body?: unknown) {
    const res = await fetch(`${api.url}${pathname}`, {
      method,
      headers: token ? bearer(token) : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
      headers: res.headers,
    };
  }

  async function catalogEndpoints(): Promise<string[]> {
    const res = await call('GET', '/v1/proxies/catalog-1/config', catalogToken);
    const config = res.body as unknown as ProxyConfig;
    return config.services
      .filter((s) => s.name === 'catalog')
      .flatMap((s) => s.endpoints.map((e) => e.address));
  }

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url), () => undefined);
    admin = await signIn(api.url);
    catalogToken = await workloadToken(api.url, admin, { namespace: 'shop', service: 'catalog' });
    // The attacker holds a valid token — for their own workload.
    attackerToken = await workloadToken(api.url, admin, { namespace: 'shop', service: 'evil' });
    const ok = await call(
      'POST',
      '/v1/proxies/register',
      catalogToken,
      registration('catalog-1', 'catalog', '127.0.0.1:15001'),
    );
    expect(ok.status).toBe(200);
  });

  afterAll(async () => {
    await api?.close();
    await database?.stop();
  });

  it('refuses a registration without a token (401) and for another workload (403)', async () => {
    const fake = registration('catalog-fake', 'catalog', '10.1.2.3:80');
    const anonymous = await call('POST', '/v1/proxies/register', null, fake);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toMatch(/missing token: send "Authorization: Bearer <token>"/);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="weft"');

    const wrongToken = await call('POST', '/v1/proxies/register', 'weft_not-a-real-token-at-all', fake);
    expect(wrongToken.status).toBe(401);
    expect(wrongToken.body.error).toBe('unknown or revoked token');

    const other = await call('POST', '/v1/proxies/register', attackerToken, fake);
    expect(other.status).toBe(403);
    expect(other.body.error).toBe(
      'this token is for workload evil.shop@v1; it cannot register catalog.shop@v1',
    );
    expect(await catalogEndpoints()).toEqual(['127.0.0.1:15001']);
  });

  it('refuses API (user) tokens on every /v1 route', async () => {
    const user = await createToken(api.url, admin, { kind: 'user', name: 'ci', role: 'admin' });
    for (const [method, pathname, body] of [
      ['POST', '/v1/proxies/register', registration('catalog-9', 'catalog', '127.0.0.1:15009')],
      ['GET', '/v1/proxies/catalog-1/config', undefined],
      ['POST', '/v1/metrics', forgedMetrics('catalog', 1)],
    ] as const) {
      const res = await call(method, pathname, user, body);
      expect(res.status, pathname).toBe(403);
      expect(res.body.error).toMatch(/a user token \(API access as admin\) is for the API and the weft CLI/);
    }
  });

  it('refuses to let an ingest token register or read config', async () => {
    const ingest = await createToken(api.url, admin, { kind: 'ingest', name: 'otel-sdk' });
    const reg = await call(
      'POST',
      '/v1/proxies/register',
      ingest,
      registration('catalog-2', 'catalog', '127.0.0.1:15002'),
    );
    expect(reg.status).toBe(403);
    expect(reg.body.error).toMatch(/an ingest for any service token cannot register; use a workload token/);
    const config = await call('GET', '/v1/proxies/catalog-1/config', ingest);
    expect(config.status).toBe(403);
  });

  it('does not let one workload take over, read or deregister another one’s proxy', async () => {
    const takeover = await call('POST', '/v1/proxies/register', attackerToken, {
      ...registration('catalog-1', 'evil', '127.0.0.1:6666'),
    });
    expect(takeover.status).toBe(409);
    expect(takeover.body.error).toMatch(/proxy id catalog-1 is live as catalog.shop@v1/);

    const read = await call('GET', '/v1/proxies/catalog-1/config', attackerToken);
    expect(read.status).toBe(403);
    expect(read.body.error).toMatch(
      /cannot read the config of proxy catalog-1, which belongs to catalog.shop@v1/,
    );

    for (let i = 0; i < 20; i++) {
      const gone = await call('DELETE', '/v1/proxies/catalog-1', attackerToken);
      expect(gone.status).toBe(403);
    }
    const anonymous = await call('DELETE', '/v1/proxies/catalog-1', null);
    expect(anonymous.status).toBe(401);
    expect(await catalogEndpoints()).toEqual(['127.0.0.1:15001']);
  });

  it('refuses addresses that are not host:port or cannot be a workload (metadata, unspecified)', async () => {
    for (const [address, message] of [
      ['x/y:80', /"x\/y:80": "x\/y" is not a host name/],
      ['169.254.169.254:80', /link-local addresses/],
      ['0.0.0.0:80', /unspecified address/],
      ['[::1:80', /is not HOST:PORT/],
    ] as const) {
      const res = await call(
        'POST',
        '/v1/proxies/register',
        catalogToken,
        registration('catalog-3', 'catalog', address),
      );
      expect(res.status, address).toBe(400);
      const issues = res.body.issues as { path: string; message: string }[];
      expect(issues[0]?.path).toBe('inboundAddress');
      expect(issues[0]?.message).toMatch(message);
    }
    const v6 = await call(
      'POST',
      '/v1/proxies/register',
      catalogToken,
      registration('catalog-6', 'catalog', '[::1]:15006'),
    );
    expect(v6.status).toBe(200);
    expect(await catalogEndpoints()).toEqual(['127.0.0.1:15001', '[::1]:15006']);
    expect((await call('DELETE', '/v1/proxies/catalog-6', catalogToken)).status).toBe(204);
  });

  it('refuses forged telemetry about another service and stores none of it', async () => {
    const metrics = await call('POST', '/v1/metrics', attackerToken, forgedMetrics('catalog', 50_000));
    expect(metrics.status).toBe(403);
    expect(metrics.body.error).toBe(
      'this token is for workload evil.shop@v1; it cannot report telemetry for catalog.shop@v1 (data point 0)',
    );
    const spans = await call('POST', '/v1/traces', attackerToken, forgedSpans('catalog'));
    expect(spans.status).toBe(403);
    expect((await call('POST', '/v1/metrics', null, forgedMetrics('catalog', 1))).status).toBe(401);

    const graph = await trpcQuery<TopologyGraph>(api.url, admin, 'topology.graph', { window });
    expect(graph.nodes.find((n) => n.id === 'shop/catalog')?.traffic.requests ?? 0).toBe(0);
    const traces = await trpcQuery<TraceSummary[]>(api.url, admin, 'traces.search', { window });
    expect(traces).toEqual([]);

    // Its own telemetry is accepted.
    const own = await call('POST', '/v1/metrics', catalogToken, forgedMetrics('catalog', 3));
    expect(own.status).toBe(200);
  });

  it('limits an ingest token to its namespace', async () => {
    const ingest = await createToken(api.url, admin, { kind: 'ingest', name: 'shop-sdk', namespace: 'shop' });
    expect((await call('POST', '/v1/traces', ingest, forgedSpans('checkout', 'shop'))).status).toBe(200);
    const outside = await call('POST', '/v1/traces', ingest, forgedSpans('billing', 'payments'));
    expect(outside.status).toBe(403);
    expect(outside.body.error).toMatch(
      /ingest for namespace shop; it cannot report telemetry for billing.payments/,
    );
  });

  it('stops accepting a token as soon as it is revoked', async () => {
    const token = await workloadToken(api.url, admin, { namespace: 'shop', service: 'short-lived' });
    const reg = registration('short-1', 'short-lived', '127.0.0.1:15100');
    expect((await call('POST', '/v1/proxies/register', token, reg)).status).toBe(200);
    const tokens = await trpcQuery<{ id: string; name: string }[]>(api.url, admin, 'tokens.list');
    const id = tokens.find((t) => t.name === 'short-lived.shop@v1')?.id;
    await trpcMutation(api.url, admin, 'tokens.revoke', { id });
    const after = await call('POST', '/v1/proxies/register', token, reg);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('unknown or revoked token');
  });

  it('rate-limits failed sign-ins, even when the right password comes next', async () => {
    await trpcMutation(api.url, admin, 'users.create', {
      username: 'target',
      role: 'viewer',
      password: 'target-password-1',
    });
    const attempt = (password: string) =>
      fetch(`${api.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'target', password }),
      });
    for (let i = 0; i < 5; i++) {
      const res = await attempt(`guess-${i}`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'wrong username or password' });
    }
    const blocked = await attempt('target-password-1');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { error: string }).error).toMatch(
      /too many failed sign-ins; try again in \d+ s/,
    );
  });

  it('ends a session at sign-out', async () => {
    const viewer = await signIn(api.url, 'admin');
    expect((await trpcCall(api.url, viewer, 'services.list', { window }, 'query')).status).toBe(200);
    const noCsrf = await fetch(`${api.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie: viewer.cookie },
    });
    expect(noCsrf.status).toBe(403);
    const out = await fetch(`${api.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie: viewer.cookie, 'x-weft-csrf': viewer.csrfToken },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/weft_session=; .*Max-Age=0/);
    expect((await trpcCall(api.url, viewer, 'services.list', { window }, 'query')).status).toBe(401);
  });

  it('sets the session cookie HttpOnly and SameSite, and Secure behind TLS', async () => {
    const res = await fetch(`${api.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ username: 'admin', password: 'test-admin-password-0' }),
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Secure/);
    const plain = await signIn(api.url);
    expect(plain.cookie).toMatch(/^weft_session=/);
  });
});
