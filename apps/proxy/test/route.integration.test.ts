/**
 * HTTPRoute rules (GAMMA) on real sockets: test client → outbound of "web" → inbound of reviews,
 * reviews-v2 or reviews-canary → its app. The route on reviews sends the /api/v2 prefix to reviews-v2, a
 * request with `x-canary: yes` to reviews-canary, and everything else to reviews itself.
 * The first part runs a whole proxy (startProxy) on a static config file; the second assembles web's
 * outbound side in-process from the same parts startProxy uses (ConfigStore, outboundStack, listener), so
 * the test can offer new configs while load runs and fix the random source that draws backends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Headers, type HostPort, type ProxyConfig, type RouteRule } from '@weft/schema';
import { ConfigStore } from '../src/config/config-store.ts';
import { createListener, type Listener } from '../src/http/listener.ts';
import { silentLogger } from '../src/log.ts';
import { roundRobin } from '../src/routing/round-robin.ts';
import { outboundStack } from '../src/stacks/outbound.ts';
import { RequestMetrics } from '../src/telemetry/request-metrics.ts';
import { UpstreamPools } from '../src/upstream/upstream-pools.ts';
import {
  adminGet,
  closedPort,
  countApps,
  getThrough,
  hostPortOf,
  LOOPBACK,
  loopback,
  run,
  send,
  startApp,
  startTestProxy,
  writeConfig,
  type Outcome,
} from './helpers.ts';

type TestProxy = Awaited<ReturnType<typeof startTestProxy>>;
type TestApp = Awaited<ReturnType<typeof startApp>>;

const ROUTE = 'HTTPRoute shop/reviews';
const SERVICES = ['reviews', 'reviews-v2', 'reviews-canary'] as const;

/** reviews, reviews-v2 and reviews-canary: each an app (x-app: its name) behind its own inbound proxy. */
async function startBackends() {
  const apps = new Map<string, TestApp>();
  const proxies: TestProxy[] = [];
  const services: ProxyConfig['services'] = [];
  for (const name of SERVICES) {
    const app = await startApp(name);
    const proxy = await startTestProxy({
      service: name,
      app: app.address,
      configFile: writeConfig({ version: `${name}-1`, services: [] }),
    });
    apps.set(name, app);
    proxies.push(proxy);
    services.push({
      name,
      namespace: 'shop',
      endpoints: [{ proxyId: `${name}-1`, address: hostPortOf(proxy.addresses.inbound), version: 'v1' }],
    });
  }
  return {
    services,
    /** Requests each app has seen, by service. */
    seen: () => Object.fromEntries([...apps].map(([name, app]) => [name, app.seen.length])),
    app: (name: (typeof SERVICES)[number]) => apps.get(name) as TestApp,
    stop: async () => {
      await Promise.all(proxies.map((p) => p.stop()));
      await Promise.all([...apps.values()].map((a) => a.close()));
    },
  };
}

const backend = (service: string, weight = 1) => ({ service, namespace: 'shop', weight });

/** The route on reviews; `v2To`: where the /api/v2 rule sends its requests. */
function reviewsRoutes(v2To: RouteRule['backends'] = [backend('reviews-v2')]): RouteRule[] {
  return [
    {
      route: ROUTE,
      name: 'v2',
      index: 0,
      matches: [{ path: { type: 'PathPrefix', value: '/api/v2' } }],
      backends: v2To,
    },
    {
      route: ROUTE,
      name: 'canary',
      index: 1,
      matches: [{ headers: [{ type: 'Exact', name: 'X-Canary', value: 'yes' }] }],
      backends: [backend('reviews-canary')],
    },
    {
      route: ROUTE,
      name: 'broken',
      index: 2,
      matches: [{ path: { type: 'PathPrefix', value: '/broken' } }],
      backends: [backend('reviews-gone')],
    },
    { route: ROUTE, index: 3, matches: [] }, // everything else: the parent
  ];
}

describe('an HTTPRoute on reviews, in a whole proxy', () => {
  let backends: Awaited<ReturnType<typeof startBackends>>;
  let web: TestProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    backends = await startBackends();
    const reviewsEndpoints = backends.services[0]?.endpoints ?? [];
    web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      configFile: writeConfig({
        version: 'web-1',
        services: [...backends.services, { name: 'ratings', namespace: 'shop', endpoints: reviewsEndpoints }],
        policies: [
          {
            namespace: 'shop',
            service: 'reviews',
            routes: [
              ...reviewsRoutes(),
              // Refused alone (the regex does not compile): the other rules stay in force.
              {
                route: ROUTE,
                name: 'bad-regex',
                index: 4,
                matches: [{ path: { type: 'RegularExpression', value: '/items/(' } }],
              },
            ],
          },
          {
            namespace: 'shop',
            service: 'ratings',
            routes: [
              {
                route: 'HTTPRoute shop/ratings',
                index: 0,
                matches: [{ path: { type: 'Exact', value: '/only' } }],
              },
            ],
          },
        ],
      }),
    });
  });
  afterAll(async () => {
    agent.destroy();
    await web.stop();
    await backends.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}, host = 'reviews'): Promise<Outcome> =>
    getThrough(agent, web.addresses.outbound, { host, path, headers });

  it('sends each request to the backend of the most specific rule, the rest to reviews itself', async () => {
    const before = backends.seen();
    const cases: [string, Record<string, string>, string][] = [
      ['/api/v2', {}, 'reviews-v2'],
      ['/api/v2/items?page=2', {}, 'reviews-v2'],
      ['/api/v2/', {}, 'reviews-v2'],
      ['/api/v2x', {}, 'reviews'], // not the /api/v2 segment
      ['/api/v1/items', {}, 'reviews'],
      ['/', { 'x-canary': 'yes' }, 'reviews-canary'],
      ['/items/7', { 'X-CANARY': 'yes' }, 'reviews-canary'], // header names are case-insensitive
      ['/items/7', { 'x-canary': 'YES' }, 'reviews'], // values are not
      ['/api/v2/items', { 'x-canary': 'yes' }, 'reviews-v2'], // a longer path prefix beats a header
      ['/', {}, 'reviews'],
    ];
    const outcomes = [];
    for (const [path, headers] of cases) outcomes.push(await get(path, headers));
    expect(outcomes.map((o) => [o.status, o.app])).toEqual(cases.map(([, , app]) => [200, app]));
    expect(
      backends
        .app('reviews-v2')
        .seen.slice(-4)
        .map((r) => r.url),
    ).toEqual(['/api/v2', '/api/v2/items?page=2', '/api/v2/', '/api/v2/items']); // the target as sent
    const after = backends.seen();
    expect(SERVICES.map((s) => (after[s] ?? 0) - (before[s] ?? 0))).toEqual([4, 4, 2]);
  });

  it('answers 404 no-route on a service whose routes match nothing, and routes what they match', async () => {
    const res = await send(web.addresses.outbound, { target: '/other?x=1', headers: { host: 'ratings' } });
    expect(res.status).toBe(404);
    expect(res.headers[Headers.proxyError]).toBe('no-route');
    expect(res.text).toBe('no HTTPRoute rule of service ratings.shop matches GET /other\n');
    expect(await get('/only', {}, 'ratings')).toEqual({ status: 200, app: 'reviews' });
  });

  it('answers 500 invalid-backend for a rule whose backend has no endpoints', async () => {
    const before = backends.seen();
    const res = await send(web.addresses.outbound, { target: '/broken/1', headers: { host: 'reviews' } });
    expect(res.status).toBe(500);
    expect(res.headers[Headers.proxyError]).toBe('invalid-backend');
    expect(res.text).toBe(
      `${ROUTE} rule broken of service reviews.shop: backend reviews-gone.shop has no endpoints in the config\n`,
    );
    expect(backends.seen()).toEqual(before);
  });

  it('shows the rules in force, their problems and the refused rule on /config', async () => {
    const body = JSON.parse((await adminGet(web, '/config')).text) as Record<string, unknown>;
    const refusedRule = {
      path: 'policies.0.routes.4',
      entry: `route rule ${ROUTE} rule bad-regex of reviews.shop`,
      reason: expect.stringMatching(
        /^matches\.0\.path\.value: not a valid regular expression \(JavaScript syntax\): /,
      ) as unknown,
      routesOf: { service: 'reviews', namespace: 'shop' },
    };
    expect(body.refused).toEqual([refusedRule]);
    const endpoint = { endpoints: 1, share: 1, weight: 1, namespace: 'shop' };
    expect(body.routes).toEqual([
      {
        service: 'reviews',
        namespace: 'shop',
        rules: [
          { rule: `${ROUTE} rule v2`, backends: [{ service: 'reviews-v2', ...endpoint }], problems: [] },
          {
            rule: `${ROUTE} rule canary`,
            backends: [{ service: 'reviews-canary', ...endpoint }],
            problems: [],
          },
          {
            rule: `${ROUTE} rule broken`,
            backends: [{ service: 'reviews-gone', ...endpoint, endpoints: 0 }],
            problems: [
              'backend reviews-gone.shop has no endpoints in the config: every matching request is answered 500 until it has some',
            ],
          },
          {
            rule: `${ROUTE} rule #3`,
            backends: [{ service: 'reviews', ...endpoint, parent: true }],
            problems: [],
          },
        ],
        problems: [],
        refused: [refusedRule],
      },
      {
        service: 'ratings',
        namespace: 'shop',
        rules: [
          {
            rule: 'HTTPRoute shop/ratings rule #0',
            backends: [{ service: 'ratings', ...endpoint, parent: true }],
            problems: [],
          },
        ],
        problems: [],
        refused: [],
      },
    ]);
  });
});

/** A seeded generator (mulberry32), so the weighted draws are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('route rules through the ConfigStore under load', () => {
  let backends: Awaited<ReturnType<typeof startBackends>>;
  let store: ConfigStore;
  let outbound: Listener;
  let address: HostPort;
  let pools: UpstreamPools;
  let connections = 0;

  beforeAll(async () => {
    backends = await startBackends();
    store = new ConfigStore(roundRobin);
    pools = new UpstreamPools();
    store.onApplied((active) => pools.retainOnly(active.routes.addresses()));
    outbound = createListener(
      outboundStack({
        self: { service: 'web', namespace: 'shop', version: 'v1' },
        routes: () => store.active?.routes,
        metrics: new RequestMetrics(Date.now()),
        spans: undefined,
        pools,
        timeoutMs: 5_000,
        log: silentLogger,
        random: seeded(42),
      }),
      silentLogger,
    );
    outbound.server.on('connection', () => connections++);
    await new Promise<void>((resolve) => outbound.server.listen(0, LOOPBACK, resolve));
    address = loopback((outbound.server.address() as AddressInfo).port);
  });
  afterAll(async () => {
    await outbound.drain(1_000);
    await pools.close();
    await backends.stop();
  });

  const config = (version: string, routes: RouteRule[]): ProxyConfig => ({
    version,
    services: backends.services,
    policies: [{ namespace: 'shop', service: 'reviews', routes }],
  });

  it('draws weighted backends 80/20 within ±3 points over 2,000 requests', async () => {
    const weighted = reviewsRoutes([backend('reviews-v2', 80), backend('reviews-canary', 20)]);
    expect(store.offer(config('weights', weighted), 'control-plane').kind).toBe('applied');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    try {
      const N = 2000;
      const outcomes = await run(N, 16, () =>
        getThrough(agent, address, { host: 'reviews', path: '/api/v2/x' }),
      );
      const counts = countApps(outcomes);
      expect(Object.keys(counts).sort()).toEqual(['reviews-canary', 'reviews-v2']);
      const share = (counts['reviews-canary'] ?? 0) / N;
      console.info(
        `route backends 80/20 over ${N} requests: reviews-canary share ${(share * 100).toFixed(2)}%`,
      );
      expect(share).toBeGreaterThanOrEqual(0.17);
      expect(share).toBeLessThanOrEqual(0.23);
    } finally {
      agent.destroy();
    }
  });

  it('takes a changed route into effect for the next request, without a failed request or a new connection', async () => {
    expect(store.offer(config('1', reviewsRoutes()), 'control-plane').kind).toBe('applied');
    const before = connections;
    const reviewsRoute = store.active?.routes.lookup({ service: 'reviews', namespace: 'shop' });
    const v2Subset = store.active?.routes.lookup({ service: 'reviews-v2', namespace: 'shop' })?.all;

    /** Each request with the config in force when it was sent and when it was answered. */
    const results: { sent: string; done: string; outcome: Outcome }[] = [];
    const active = () => store.active?.config.version ?? '';
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let stop = false;
    const workers = Array.from({ length: 8 }, async () => {
      // Bounded: the phases below need about 1,500 requests; stop is set well before the cap.
      for (let i = 0; i < 5_000 && !stop; i++) {
        const sent = active();
        const outcome = await getThrough(agent, address, { host: 'reviews', path: '/api/v2/items' });
        results.push({ sent, done: active(), outcome });
      }
    });
    const routedBy = (version: string) =>
      results.filter((r) => r.sent === version && r.done === version).map((r) => r.outcome);
    const atLeast = (version: string, n: number) =>
      vi.waitFor(() => expect(routedBy(version).length).toBeGreaterThanOrEqual(n), {
        timeout: 20_000,
        interval: 20,
      });

    try {
      await atLeast('1', 500);
      // /api/v2 now goes to the canary.
      expect(store.offer(config('2', reviewsRoutes([backend('reviews-canary')])), 'control-plane').kind).toBe(
        'applied',
      );
      await atLeast('2', 500);
      // The /api/v2 rule goes away: those requests fall to the catch-all, reviews itself.
      const withoutV2 = reviewsRoutes().filter((r) => r.name !== 'v2');
      expect(store.offer(config('3', withoutV2), 'control-plane').kind).toBe('applied');
      await atLeast('3', 500);
    } finally {
      stop = true;
      await Promise.all(workers);
      agent.destroy();
    }

    console.info(
      `route change under load: ${results.length} requests; by config 1 ${JSON.stringify(countApps(routedBy('1')))}, ` +
        `2 ${JSON.stringify(countApps(routedBy('2')))}, 3 ${JSON.stringify(countApps(routedBy('3')))}`,
    );
    expect(results.filter((r) => r.outcome.status !== 200 || r.outcome.error !== undefined)).toEqual([]);
    expect(Object.keys(countApps(routedBy('1')))).toEqual(['reviews-v2']);
    expect(Object.keys(countApps(routedBy('2')))).toEqual(['reviews-canary']);
    expect(Object.keys(countApps(routedBy('3')))).toEqual(['reviews']);

    // No restart: the same client connections, the same routes and balancers after three route changes.
    expect(connections - before).toBeLessThanOrEqual(8);
    expect(store.active?.routes.lookup({ service: 'reviews', namespace: 'shop' })).toBe(reviewsRoute);
    expect(store.active?.routes.lookup({ service: 'reviews-v2', namespace: 'shop' })?.all).toBe(v2Subset);
  });
});
