/**
 * The canary split on real sockets: test client → outbound of "web" → inbound of reviews v1 or v2 →
 * its app.
 * The first part runs a whole proxy (startProxy) on a static config file; the second assembles web's
 * outbound side in-process from the same parts startProxy uses (ConfigStore, outboundStack, listener), so
 * the test can offer new configs to the store while load runs, as the control-plane client does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostPort, ProxyConfig, ServicePolicy } from '@weft/schema';
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
  sample,
  startApp,
  startTestProxy,
  waitFor,
  writeConfig,
  type Outcome,
} from './helpers.ts';

type TestProxy = Awaited<ReturnType<typeof startTestProxy>>;
type TestApp = Awaited<ReturnType<typeof startApp>>;

/** GET / of reviews through `agent`. */
const get = (agent: http.Agent, to: HostPort, headers: Record<string, string> = {}): Promise<Outcome> =>
  getThrough(agent, to, { host: 'reviews', headers });

const SOURCE = 'TrafficSplit shop/reviews-canary';

function splitPolicy(v1: number, v2: number, extra: Partial<NonNullable<ServicePolicy['split']>> = {}) {
  return {
    namespace: 'shop',
    service: 'reviews',
    split: {
      backends: [
        { version: 'v1', weight: v1 },
        { version: 'v2', weight: v2 },
      ],
      source: SOURCE,
      ...extra,
    },
  };
}

/** reviews v1 and v2, each an app behind its own inbound proxy. */
async function startReviews() {
  const apps: TestApp[] = [];
  const proxies: TestProxy[] = [];
  for (const version of ['v1', 'v2']) {
    const app = await startApp(`reviews-${version}`);
    apps.push(app);
    proxies.push(
      await startTestProxy({
        service: 'reviews',
        version,
        app: app.address,
        configFile: writeConfig({ version: `reviews-${version}`, services: [] }),
      }),
    );
  }
  const services: ProxyConfig['services'] = [
    {
      name: 'reviews',
      namespace: 'shop',
      endpoints: proxies.map((p) => ({
        proxyId: `reviews-${p.self.version}`,
        address: hostPortOf(p.addresses.inbound),
        version: p.self.version,
      })),
    },
  ];
  return {
    apps,
    services,
    stop: async () => {
      await Promise.all(proxies.map((p) => p.stop()));
      await Promise.all(apps.map((a) => a.close()));
    },
  };
}

describe('a 90/10 split with pins, in a whole proxy', () => {
  let reviews: Awaited<ReturnType<typeof startReviews>>;
  let web: TestProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  beforeAll(async () => {
    reviews = await startReviews();
    web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      configFile: writeConfig({
        version: 'web-1',
        services: reviews.services,
        policies: [
          splitPolicy(90, 10, {
            pins: [
              { version: 'v2', header: { name: 'X-Canary', value: 'always' } },
              { version: 'v2', cookie: { name: 'canary', value: 'yes' } },
            ],
          }),
          // Refused alone: the split above stays in force.
          {
            namespace: 'shop',
            service: 'reviews',
            split: { backends: [], source: 'TrafficSplit shop/empty' },
          },
        ] as ProxyConfig['policies'],
      }),
    });
  });
  afterAll(async () => {
    agent.destroy();
    await web.stop();
    await reviews.stop();
  });

  it('lands within ±2 percentage points of 90/10 over 5,000 requests, and counts them per version', async () => {
    const N = 5000;
    const outcomes = await run(N, 16, () => get(agent, web.addresses.outbound));
    const counts = countApps(outcomes);
    expect(Object.keys(counts).sort()).toEqual(['reviews-v1', 'reviews-v2']);
    const v2 = counts['reviews-v2'] ?? 0;
    const share = v2 / N;
    // Binomial(5000, 0.1): σ = √450 ≈ 21.2 requests, so ±2 points (±100) is ±4.7σ; P(outside) ≈ 2.5e-6.
    console.info(`split 90/10 over ${N} requests: v2 share ${(share * 100).toFixed(2)}% (${v2})`);
    expect(share).toBeGreaterThanOrEqual(0.08);
    expect(share).toBeLessThanOrEqual(0.12);
    expect(reviews.apps.map((a) => a.seen.length)).toEqual([N - v2, v2]);

    // weft_requests_total already counts per chosen version (destination_version = the endpoint's).
    const edge = (version: string) => ({
      reporter: 'outbound',
      source_service: 'web',
      source_namespace: 'shop',
      source_version: 'v1',
      destination_service: 'reviews',
      destination_namespace: 'shop',
      destination_version: version,
      response_code: '200',
    });
    await waitFor(async () => {
      const text = (await adminGet(web, '/metrics')).text;
      return sample(text, 'weft_requests_total', edge('v2')) === v2 ? text : undefined;
    }).then((text) => {
      expect(sample(text, 'weft_requests_total', edge('v1'))).toBe(N - v2);
      expect(
        sample(text, 'weft_proxy_split_enforced', { namespace: 'shop', service: 'reviews', source: SOURCE }),
      ).toBe(1);
      expect(sample(text, 'weft_proxy_split_problems')).toBe(0);
    });
  });

  it('always sends a pinned request to its version, by header or by cookie', async () => {
    const before = reviews.apps.map((a) => a.seen.length);
    const byHeader = await run(300, 8, () => get(agent, web.addresses.outbound, { 'x-canary': 'always' }));
    const byCookie = await run(300, 8, () =>
      get(agent, web.addresses.outbound, { cookie: 'session=abc; canary=yes; theme=dark' }),
    );
    expect(countApps(byHeader)).toEqual({ 'reviews-v2': 300 });
    expect(countApps(byCookie)).toEqual({ 'reviews-v2': 300 });
    expect(reviews.apps.map((a, i) => a.seen.length - (before[i] ?? 0))).toEqual([0, 600]);
  });

  it('shows the policies in force, how the split is enforced, and the refused entry on /config', async () => {
    const body = JSON.parse((await adminGet(web, '/config')).text) as Record<string, unknown>;
    expect(body.policies).toEqual([
      splitPolicy(90, 10, {
        pins: [
          { version: 'v2', header: { name: 'X-Canary', value: 'always' } },
          { version: 'v2', cookie: { name: 'canary', value: 'yes' } },
        ],
      }),
    ]);
    expect(body.splits).toEqual([
      {
        service: 'reviews',
        namespace: 'shop',
        source: SOURCE,
        enforced: 'weights',
        backends: [
          { version: 'v1', weight: 90, endpoints: 1, share: 0.9 },
          { version: 'v2', weight: 10, endpoints: 1, share: 0.1 },
        ],
        pins: [
          { version: 'v2', header: { name: 'X-Canary', value: 'always' }, endpoints: 1 },
          { version: 'v2', cookie: { name: 'canary', value: 'yes' }, endpoints: 1 },
        ],
        problems: [],
      },
    ]);
    expect(body.refused).toEqual([
      {
        path: 'policies.1.split',
        entry: 'split of reviews.shop (TrafficSplit shop/empty)',
        reason: expect.stringMatching(/^split\.backends: /) as unknown,
      },
    ]);
  });
});

describe('a new split through the ConfigStore under steady load', () => {
  let reviews: Awaited<ReturnType<typeof startReviews>>;
  let store: ConfigStore;
  let outbound: Listener;
  let address: HostPort;
  let pools: UpstreamPools;
  let connections = 0;

  beforeAll(async () => {
    reviews = await startReviews();
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
    await reviews.stop();
  });

  const config = (version: string, policy: object): ProxyConfig => ({
    version,
    services: reviews.services,
    policies: [policy as ServicePolicy],
  });

  it('takes effect for the next request, without a failed request or a new connection', async () => {
    expect(store.offer(config('1', splitPolicy(90, 10)), 'control-plane').kind).toBe('applied');
    const route = () => store.active?.routes.lookup({ service: 'reviews', namespace: 'shop' });
    const v1Subset = route()?.versions.get('v1');
    const v2State = route()?.versions.get('v2')?.endpoints[0]?.state;

    /**
     * Each request with the config in force when the client sent it and when the answer came: one sent and
     * answered under the same config was routed by it.
     */
    const results: { sent: string; done: string; outcome: Outcome }[] = [];
    const active = () => store.active?.config.version ?? '';
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let stop = false;
    const workers = Array.from({ length: 8 }, async () => {
      // Bounded: the phases below need about 2,000 requests; stop is set well before the cap.
      for (let i = 0; i < 5_000 && !stop; i++) {
        const sent = active();
        const outcome = await get(agent, address);
        results.push({ sent, done: active(), outcome });
      }
    });
    const routedBy = (version: string) =>
      results.filter((r) => r.sent === version && r.done === version).map((r) => r.outcome);

    try {
      await waitFor(() => routedBy('1').length >= 500);
      expect(store.offer(config('2', splitPolicy(0, 100)), 'control-plane').kind).toBe('applied');
      await waitFor(() => routedBy('2').length >= 1_000);
      // A split nothing can serve (v3 has no endpoints): every endpoint serves, the service stays reachable.
      const toV3 = {
        ...splitPolicy(0, 0),
        split: { backends: [{ version: 'v3', weight: 1 }], source: SOURCE },
      };
      expect(store.offer(config('3', toV3), 'control-plane')).toMatchObject({
        kind: 'applied',
        newSplitProblems: [expect.stringContaining('no endpoints of v3 (weight 1)') as unknown],
      });
      await waitFor(() => routedBy('3').length >= 500);
    } finally {
      stop = true;
      await Promise.all(workers);
      agent.destroy();
    }

    console.info(
      `swap under load: ${results.length} requests; routed by 90/10 ${JSON.stringify(countApps(routedBy('1')))}, ` +
        `by 0/100 ${JSON.stringify(countApps(routedBy('2')))}, by the v3 fallback ${JSON.stringify(countApps(routedBy('3')))}`,
    );
    const failed = results.filter((r) => r.outcome.status !== 200 || r.outcome.error !== undefined);
    expect(failed).toEqual([]);
    expect(Object.keys(countApps(routedBy('1'))).sort()).toEqual(['reviews-v1', 'reviews-v2']);
    expect(Object.keys(countApps(routedBy('2')))).toEqual(['reviews-v2']);
    const fallback = countApps(routedBy('3'));
    const n3 = routedBy('3').length;
    expect((fallback['reviews-v1'] ?? 0) + (fallback['reviews-v2'] ?? 0)).toBe(n3);
    expect(fallback['reviews-v1']).toBeGreaterThan(n3 * 0.4); // round-robin over every endpoint
    expect(fallback['reviews-v2']).toBeGreaterThan(n3 * 0.4);

    // No restart: the same connections throughout, the same subsets and endpoint state after three splits.
    expect(connections).toBeLessThanOrEqual(8);
    expect(route()?.versions.get('v1')).toBe(v1Subset);
    expect(route()?.versions.get('v2')?.endpoints[0]?.state).toBe(v2State);
  });
});
