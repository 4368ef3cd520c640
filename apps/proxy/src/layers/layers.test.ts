/** The layers on their own, with a hand-written terminal instead of sockets. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Headers, type ProxyConfig, type RouteRule } from '@weft/schema';
import { ClientSignal } from '../http/client-signal.ts';
import { ProxyRequest, type HeaderMap, type ProxyResponse } from '../http/exchange.ts';
import { stack, type Handler, type Layer } from '../http/layer.ts';
import { silentLogger } from '../log.ts';
import { EndpointRegistry } from '../routing/endpoint-registry.ts';
import { RoundRobin } from '../routing/round-robin.ts';
import { RoutingTable } from '../routing/routing-table.ts';
import type { FinishedSpan } from '../telemetry/finished-span.ts';
import { RequestMetrics } from '../telemetry/request-metrics.ts';
import { UpstreamError } from '../upstream/upstream-failure.ts';
import { readSourceIdentity, stampSourceIdentity } from './identity.ts';
import { localReplies } from './local-replies.ts';
import { requestTarget } from './request-target.ts';
import { matchRoute, pickEndpoint, pickVersion, resolveDestination } from './routing.ts';
import { telemetry } from './telemetry.ts';
import { timeout } from './timeout.ts';

function request(
  init: { method?: string; path?: string; headers?: HeaderMap; receivedAt?: number } = {},
): ProxyRequest {
  const headers = init.headers ?? {};
  return new ProxyRequest({
    method: init.method ?? 'GET',
    path: init.path ?? '/items?id=1',
    authority: typeof headers.host === 'string' ? headers.host : undefined,
    headers,
    body: null,
    remoteAddress: '127.0.0.1',
    receivedAt: init.receivedAt ?? 100,
    signal: new ClientSignal(),
  });
}

const ok = (headers: HeaderMap = {}): ProxyResponse => ({
  status: 200,
  headers,
  body: Readable.from(['ok']),
});

/** A terminal that remembers what reached it. */
function terminal(answer: (req: ProxyRequest) => ProxyResponse | Promise<ProxyResponse> = () => ok()) {
  const seen: ProxyRequest[] = [];
  const handler: Handler = async (req) => {
    seen.push(req);
    return answer(req);
  };
  return { seen, handler };
}

const self = { service: 'web', namespace: 'shop', version: 'v1' };

describe('stack', () => {
  it('runs request work top to bottom and response work bottom to top', async () => {
    const order: string[] = [];
    const named =
      (name: string): Layer =>
      (next) =>
      async (req) => {
        order.push(`> ${name}`);
        const res = await next(req);
        order.push(`< ${name}`);
        return res;
      };
    await stack([named('a'), named('b')], terminal().handler)(request());
    expect(order).toEqual(['> a', '> b', '< b', '< a']);
  });
});

describe('telemetry layer', () => {
  it('continues the trace, forwards its own span id, and records one span and one observation at completion', async () => {
    const metrics = new RequestMetrics(0);
    const spans: FinishedSpan[] = [];
    const t = terminal();
    const handler = stack(
      [telemetry({ reporter: 'outbound', metrics, spans: { push: (s) => spans.push(s) } })],
      t.handler,
    );
    const req = request({
      headers: {
        host: 'catalog.shop:80',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    });
    await handler(req);
    const forwarded = String(t.seen[0]?.headers.traceparent);
    expect(forwarded).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(spans).toHaveLength(0); // nothing until the response is done

    req.destination = { service: 'catalog', namespace: 'shop', version: 'v2' };
    req.complete({ status: 201, endedAt: 112.5, aborted: false });
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: forwarded.slice(36, 52),
      parentSpanId: 'b7ad6b7169203331',
      reporter: 'outbound',
      path: '/items',
      status: 201,
      peer: { service: 'catalog', version: 'v2' },
      serverAddress: 'catalog.shop',
      errorType: undefined,
    });
    expect((spans[0]?.endMs ?? 0) - (spans[0]?.startMs ?? 0)).toBeCloseTo(12.5);
    const [series] = [...metrics.series()];
    expect(series?.labels).toMatchObject({
      reporter: 'outbound',
      source: { service: 'unknown' },
      destination: { version: 'v2' },
      status: 201,
    });
    expect(series?.total.sum).toBeCloseTo(12.5);

    req.complete({ status: 500, endedAt: 200, aborted: false });
    expect(spans).toHaveLength(1); // completes once
  });

  it('starts a trace when none came, and honours a caller that does not sample', async () => {
    const spans: FinishedSpan[] = [];
    const t = terminal();
    const handler = stack(
      [
        telemetry({
          reporter: 'inbound',
          metrics: new RequestMetrics(0),
          spans: { push: (s) => spans.push(s) },
        }),
      ],
      t.handler,
    );
    const fresh = request();
    await handler(fresh);
    fresh.complete({ status: 0, endedAt: 101, aborted: true });
    expect(spans[0]).toMatchObject({ parentSpanId: undefined, errorType: 'client-aborted', status: 0 });

    const unsampled = request({
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' },
    });
    await handler(unsampled);
    unsampled.complete({ status: 200, endedAt: 101, aborted: false });
    expect(spans).toHaveLength(1);
    expect(String(t.seen[1]?.headers.traceparent)).toMatch(/-00$/);
  });

  it('records the grpc-status of a gRPC exchange on its series and span', async () => {
    const spans: FinishedSpan[] = [];
    const metrics = new RequestMetrics(0);
    const handler = stack(
      [telemetry({ reporter: 'inbound', metrics, spans: { push: (s) => spans.push(s) } })],
      terminal().handler,
    );
    const req = request();
    await handler(req);
    req.complete({ status: 200, endedAt: 101, aborted: false, grpcStatus: 14 });
    expect([...metrics.series()].map((s) => s.labels.grpcStatus)).toEqual([14]);
    expect(spans[0]).toMatchObject({ status: 200, grpcStatus: 14 });
  });
});

describe('identity layers', () => {
  it('inbound: reads the caller from x-weft-source and hides the header from the app', async () => {
    const t = terminal();
    const handler = stack([readSourceIdentity(self)], t.handler);
    const req = request({ headers: { [Headers.source]: 'cart.shop@v3' } });
    await handler(req);
    expect(req.source).toEqual({ service: 'cart', namespace: 'shop', version: 'v3' });
    expect(req.destination).toBe(self);
    expect(t.seen[0]?.headers[Headers.source]).toBeUndefined();

    const anonymous = request({ headers: { [Headers.source]: 'garbage' } });
    await handler(anonymous);
    expect(anonymous.source.service).toBe('unknown');
  });

  it('outbound: overwrites whatever the app claimed', async () => {
    const t = terminal();
    const req = request({ headers: { [Headers.source]: 'admin.kube-system@v1' } });
    await stack([stampSourceIdentity(self)], t.handler)(req);
    expect(t.seen[0]?.headers[Headers.source]).toBe('web.shop@v1');
  });
});

describe('routing layers', () => {
  const config: ProxyConfig = {
    version: '1',
    services: [
      {
        name: 'catalog',
        namespace: 'shop',
        endpoints: [
          { proxyId: 'a', address: '10.0.0.1:1', version: 'v1' },
          { proxyId: 'b', address: '10.0.0.2:1', version: 'v2' },
        ],
      },
      { name: 'empty', namespace: 'shop', endpoints: [] },
    ],
  };
  const endpoints = new EndpointRegistry();
  const table = new RoutingTable(config, { balancer: (items) => new RoundRobin(items, 0), endpoints });
  const routing = (t: ReturnType<typeof terminal>) =>
    stack(
      [requestTarget(), resolveDestination(() => table, 'shop'), pickVersion(), pickEndpoint()],
      t.handler,
    );

  it('routes absolute-form and Host-addressed requests round-robin', async () => {
    const t = terminal();
    const handler = routing(t);
    await handler(
      request({ path: 'http://catalog.shop.svc.cluster.local/items', headers: { host: 'ignored' } }),
    );
    await handler(request({ headers: { host: 'catalog:8080' } }));
    expect(t.seen.map((r) => [r.upstream, r.destination.version, r.path, r.headers.host])).toEqual([
      ['10.0.0.1:1', 'v1', '/items', 'catalog.shop.svc.cluster.local'],
      ['10.0.0.2:1', 'v2', '/items?id=1', 'catalog:8080'],
    ]);
  });

  it('picks a version subset (every version without a split), then an endpoint in it, and records that endpoint', async () => {
    const t = terminal();
    const req = request({ headers: { host: 'catalog.shop' } });
    const route = table.lookup({ service: 'catalog', namespace: 'shop' });
    await stack([resolveDestination(() => table, 'shop'), pickVersion()], t.handler)(req);
    expect(req.subset).toBe(route?.all);
    expect(req.subset?.version).toBeUndefined();
    expect(req.destination.version).toBe('unknown'); // no endpoint chosen yet

    // A subset of one version (what a split chooses) limits the pick to that version.
    const v2 = route?.versions.get('v2');
    const pinned: Layer = (next) => (r) => {
      r.subset = v2;
      return next(r);
    };
    const handler = stack(
      [resolveDestination(() => table, 'shop'), pickVersion(), pinned, pickEndpoint()],
      t.handler,
    );
    for (let i = 0; i < 2; i++) await handler(request({ headers: { host: 'catalog.shop' } }));
    expect(t.seen.slice(1).map((r) => [r.upstream, r.endpoint?.proxyId, r.destination])).toEqual([
      ['10.0.0.2:1', 'b', { service: 'catalog', namespace: 'shop', version: 'v2' }],
      ['10.0.0.2:1', 'b', { service: 'catalog', namespace: 'shop', version: 'v2' }],
    ]);
  });

  it('with a split: a pinned request goes to its version, the others by weight, drawn from the random source', async () => {
    const split: ProxyConfig = {
      ...config,
      policies: [
        {
          namespace: 'shop',
          service: 'catalog',
          split: {
            backends: [
              { version: 'v1', weight: 75 },
              { version: 'v2', weight: 25 },
            ],
            pins: [
              { version: 'v2', header: { name: 'X-Canary', value: 'on' } },
              { version: 'v1', cookie: { name: 'stable', value: '1' } },
            ],
            source: 'TrafficSplit shop/catalog',
          },
        },
      ],
    };
    const splitTable = new RoutingTable(split, {
      balancer: (items) => new RoundRobin(items, 0),
      endpoints: new EndpointRegistry(),
    });
    const draws = [0.1, 0.5, 0.74, 0.75, 0.9, 0.3, 0.99, 0.2];
    const random = () => draws.shift() ?? 0;
    const t = terminal();
    const handler = stack(
      [resolveDestination(() => splitTable, 'shop'), pickVersion(random), pickEndpoint()],
      t.handler,
    );
    for (let i = 0; i < 4; i++) await handler(request({ headers: { host: 'catalog' } }));
    await handler(request({ headers: { host: 'catalog', 'x-canary': 'on' } }));
    await handler(request({ headers: { host: 'catalog', cookie: 'a=b; stable=1' } }));
    expect(t.seen.map((r) => [r.subset?.version, r.destination.version, r.upstream])).toEqual([
      ['v1', 'v1', '10.0.0.1:1'],
      ['v1', 'v1', '10.0.0.1:1'],
      ['v1', 'v1', '10.0.0.1:1'],
      ['v2', 'v2', '10.0.0.2:1'],
      ['v2', 'v2', '10.0.0.2:1'],
      ['v1', 'v1', '10.0.0.1:1'],
    ]);
    expect(draws).toEqual([0.9, 0.3, 0.99, 0.2]); // pinned requests draw nothing
  });

  it('with a split no weighted version can serve: every endpoint serves, nobody gets a 503', async () => {
    const unservable: ProxyConfig = {
      ...config,
      policies: [
        {
          namespace: 'shop',
          service: 'catalog',
          split: { backends: [{ version: 'v3', weight: 100 }], source: 'TrafficSplit shop/catalog' },
        },
      ],
    };
    const fallback = new RoutingTable(unservable, {
      balancer: (items) => new RoundRobin(items, 0),
      endpoints: new EndpointRegistry(),
    });
    const t = terminal();
    const handler = stack(
      [resolveDestination(() => fallback, 'shop'), pickVersion(() => 0), pickEndpoint()],
      t.handler,
    );
    for (let i = 0; i < 2; i++) await handler(request({ headers: { host: 'catalog' } }));
    expect(t.seen.map((r) => [r.subset?.version, r.upstream])).toEqual([
      [undefined, '10.0.0.1:1'],
      [undefined, '10.0.0.2:1'],
    ]);
  });

  it('counts a request in flight on the chosen endpoint until the exchange completes', async () => {
    const registry = new EndpointRegistry();
    const one = new RoutingTable(
      {
        version: '1',
        services: [
          {
            name: 'cart',
            namespace: 'shop',
            endpoints: [{ proxyId: 'c', address: '10.0.0.3:1', version: 'v1' }],
          },
        ],
      },
      { balancer: (items) => new RoundRobin(items, 0), endpoints: registry },
    );
    const handler = stack(
      [resolveDestination(() => one, 'shop'), pickVersion(), pickEndpoint()],
      terminal().handler,
    );
    const first = request({ headers: { host: 'cart' } });
    const second = request({ headers: { host: 'cart' } });
    await handler(first);
    await handler(second);
    const state = registry.get('10.0.0.3:1');
    expect(first.endpoint?.state).toBe(state);
    expect(state?.inFlight).toBe(2);
    first.complete({ status: 200, endedAt: 101, aborted: false });
    first.complete({ status: 200, endedAt: 102, aborted: false }); // completes once
    expect(state?.inFlight).toBe(1);
    second.complete({ status: 0, endedAt: 103, aborted: true });
    expect(state?.inFlight).toBe(0);
  });

  it.each([
    ['an unknown service', 'billing.shop', 'no endpoints for service billing.shop'],
    ['a service without endpoints', 'empty', 'no endpoints for service empty.shop'],
    ['a host that is no service name', '10.1.2.3', 'no mesh service named "10.1.2.3"'],
  ])('answers 503 no-endpoints for %s', async (_name, host, message) => {
    const t = terminal();
    const req = request({ headers: { host } });
    const res = await routing(t)(req);
    expect(res.status).toBe(503);
    expect(res.headers[Headers.proxyError]).toBe('no-endpoints');
    expect(res.body).toContain(message);
    expect(req.error).toBe('no-endpoints');
    expect(t.seen).toHaveLength(0);
  });

  it('answers 400 for targets it cannot forward', async () => {
    const res = await routing(terminal())(request({ path: 'https://catalog.shop/' }));
    expect(res.status).toBe(400);
  });
});

describe('matchRoute layer', () => {
  const ROUTE = 'HTTPRoute shop/reviews';
  const rule = (index: number, extra: Partial<RouteRule>): RouteRule => ({
    route: ROUTE,
    index,
    matches: [],
    ...extra,
  });
  const config: ProxyConfig = {
    version: '1',
    services: [
      {
        name: 'reviews',
        namespace: 'shop',
        endpoints: [
          { proxyId: 'r1', address: '10.0.1.1:1', version: 'v1' },
          { proxyId: 'r2', address: '10.0.1.2:1', version: 'v2' },
        ],
      },
      {
        name: 'reviews-v2',
        namespace: 'shop',
        endpoints: [
          { proxyId: 'b1', address: '10.0.2.1:1', version: 'v2' },
          { proxyId: 'b2', address: '10.0.2.2:1', version: 'v3' },
        ],
      },
      {
        name: 'catalog',
        namespace: 'shop',
        endpoints: [{ proxyId: 'c', address: '10.0.3.1:1', version: 'v1' }],
      },
      {
        name: 'ratings',
        namespace: 'shop',
        endpoints: [{ proxyId: 'x', address: '10.0.4.1:1', version: 'v1' }],
      },
    ],
    policies: [
      {
        namespace: 'shop',
        service: 'reviews',
        // The parent's own split and timeout: for requests its rules send to the parent itself.
        split: { backends: [{ version: 'v1', weight: 1 }], source: 'TrafficSplit shop/reviews' },
        timeout: { request: '7s', source: 'TimeoutPolicy shop/reviews' },
        routes: [
          rule(0, {
            name: 'v2',
            matches: [{ path: { type: 'PathPrefix', value: '/api/v2' } }],
            backends: [{ service: 'reviews-v2', namespace: 'shop', weight: 1 }],
            timeouts: { backendRequest: '2s' },
          }),
          rule(1, {
            matches: [{ headers: [{ type: 'Exact', name: 'x-canary', value: 'yes' }] }],
            backends: [{ service: 'reviews-v2', namespace: 'shop', weight: 1 }],
            policies: {
              split: { backends: [{ version: 'v3', weight: 1 }], source: 'TrafficSplit shop/canary-v3' },
              timeout: { perTry: '300ms', source: 'TimeoutPolicy shop/canary' },
            },
          }),
          rule(2, {
            matches: [{ path: { type: 'PathPrefix', value: '/gone' } }],
            backends: [{ service: 'reviews-gone', namespace: 'shop', weight: 1 }],
          }),
          rule(3, {
            matches: [{ path: { type: 'PathPrefix', value: '/zero' } }],
            backends: [{ service: 'reviews-v2', namespace: 'shop', weight: 0 }],
          }),
          rule(4, { matches: [{ path: { type: 'PathPrefix', value: '/reviews' } }] }),
        ],
      },
      {
        namespace: 'shop',
        service: 'ratings',
        routes: [
          rule(0, {
            route: 'HTTPRoute shop/ratings',
            matches: [{ path: { type: 'Exact', value: '/only' } }],
          }),
        ],
      },
      {
        namespace: 'shop',
        service: 'catalog',
        timeout: { perTry: '1s', source: 'TimeoutPolicy shop/catalog' },
      },
    ],
  };
  const table = new RoutingTable(config, {
    balancer: (items) => new RoundRobin(items, 0),
    endpoints: new EndpointRegistry(),
  });
  const routing = (t: ReturnType<typeof terminal>) =>
    stack(
      [
        resolveDestination(() => table, 'shop'),
        matchRoute(
          () => table,
          () => 0,
        ),
        pickVersion(() => 0),
        pickEndpoint(),
        timeout(15_000),
      ],
      t.handler,
    );

  it("sends each request to its rule's backend, with the rule's split, else the service's, and timeout", async () => {
    const t = terminal();
    const handler = routing(t);
    await handler(request({ path: '/api/v2/items?x=1', headers: { host: 'reviews' } }));
    await handler(request({ path: '/api/v2', headers: { host: 'reviews', 'x-canary': 'yes' } }));
    await handler(request({ path: '/other', headers: { host: 'reviews', 'x-canary': 'yes' } }));
    await handler(request({ path: '/reviews/1', headers: { host: 'reviews' } }));
    await handler(request({ path: '/', headers: { host: 'catalog' } }));
    expect(
      t.seen.map((r) => [
        r.routeRule?.label,
        r.destination.service,
        r.destination.version,
        r.upstream,
        r.timeoutMs,
      ]),
    ).toEqual([
      // Prefix beats header; the backend's versions round-robin (no split for it); HTTPRoute timeouts.
      [`${ROUTE} rule v2`, 'reviews-v2', 'v2', '10.0.2.1:1', 2000],
      [`${ROUTE} rule v2`, 'reviews-v2', 'v3', '10.0.2.2:1', 2000],
      // The rule's own split (v3 of reviews-v2) and TimeoutPolicy.
      [`${ROUTE} rule #1`, 'reviews-v2', 'v3', '10.0.2.2:1', 300],
      // To the parent: the parent's split (v1) and TimeoutPolicy (request).
      [`${ROUTE} rule #4`, 'reviews', 'v1', '10.0.1.1:1', 7000],
      // A service without rules: untouched by matchRoute; its TimeoutPolicy.
      [undefined, 'catalog', 'v1', '10.0.3.1:1', 1000],
    ]);
    expect(t.seen[0]?.path).toBe('/api/v2/items?x=1'); // the request target is not rewritten
  });

  it('answers 404 no-route when no rule matches', async () => {
    const t = terminal();
    for (const [host, path] of [
      ['reviews', '/nothing'],
      ['ratings', '/only/not'],
    ] as const) {
      const req = request({ method: 'DELETE', path: `${path}?q=1`, headers: { host } });
      const res = await routing(t)(req);
      expect([res.status, res.headers[Headers.proxyError], req.error]).toEqual([404, 'no-route', 'no-route']);
      expect(res.body).toBe(`no HTTPRoute rule of service ${host}.shop matches DELETE ${path}\n`);
      expect(req.destination).toEqual({ service: host, namespace: 'shop', version: 'unknown' });
    }
    expect(t.seen).toHaveLength(0);
  });

  it('answers 500 invalid-backend for a backend without endpoints and for weights all 0', async () => {
    const t = terminal();
    const gone = request({ path: '/gone', headers: { host: 'reviews' } });
    const res = await routing(t)(gone);
    expect([res.status, res.headers[Headers.proxyError]]).toEqual([500, 'invalid-backend']);
    expect(res.body).toBe(
      `${ROUTE} rule #2 of service reviews.shop: backend reviews-gone.shop has no endpoints in the config\n`,
    );
    expect(gone.destination.service).toBe('reviews-gone');
    const zero = await routing(t)(request({ path: '/zero', headers: { host: 'reviews' } }));
    expect([zero.status, zero.body]).toEqual([
      500,
      `${ROUTE} rule #3 of service reviews.shop: every backend has weight 0\n`,
    ]);
    expect(t.seen).toHaveLength(0);
  });

  it('keeps the default timeout when nothing sets one, inbound and outbound', async () => {
    const t = terminal();
    await routing(t)(request({ headers: { host: 'ratings' }, path: '/only' }));
    await stack([timeout(15_000)], t.handler)(request());
    expect(t.seen.map((r) => r.timeoutMs)).toEqual([15_000, 15_000]);
  });
});

describe('localReplies', () => {
  const code = (c: string) => Object.assign(new Error(c), { code: c });

  it.each([
    ['ECONNREFUSED', 502, 'upstream-connect-failure'],
    ['UND_ERR_CONNECT_TIMEOUT', 502, 'upstream-connect-failure'],
    ['UND_ERR_HEADERS_TIMEOUT', 504, 'upstream-timeout'],
    ['UND_ERR_SOCKET', 502, 'upstream-reset'],
  ])('maps %s to %i %s', async (c, status, kind) => {
    const handler = stack([localReplies(silentLogger)], () =>
      Promise.reject(new UpstreamError('10.0.0.1:1', code(c))),
    );
    const req = request();
    const res = await handler(req);
    expect([res.status, res.headers[Headers.proxyError], req.error]).toEqual([status, kind, kind]);
  });

  it('answers 500 for a bug in a layer', async () => {
    const res = await stack([localReplies(silentLogger)], () => Promise.reject(new TypeError('oops')))(
      request(),
    );
    expect(res.status).toBe(500);
  });
});
