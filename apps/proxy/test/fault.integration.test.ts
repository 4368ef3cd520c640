/**
 * FaultInjectionPolicy on real sockets: test client → outbound of "web" → inbound of ratings → its app.
 * The first part runs a whole proxy (startProxy) on a static config file and checks what a user sees:
 * aborted answers, /config, /metrics. The second assembles web's outbound side in-process from the same
 * parts startProxy uses, with a seeded random source, so the share of aborts over 2,000 requests is exact
 * and the test cannot flake, and with a scripted one, so the test knows which requests are delayed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostPort, type ProxyConfig, type ServicePolicy } from '@weft/schema';
import { ConfigStore } from '../src/config/config-store.ts';
import { createListener, type Listener } from '../src/http/listener.ts';
import { silentLogger } from '../src/log.ts';
import { FaultCounters } from '../src/policies/fault/fault-counters.ts';
import { MirrorSender, poolTransport } from '../src/policies/mirror/mirror-sender.ts';
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
  writeConfig,
} from './helpers.ts';

type TestProxy = Awaited<ReturnType<typeof startTestProxy>>;

const SOURCE = 'FaultInjectionPolicy shop/ratings-faults';

/** ratings v1: an app behind its own inbound proxy. */
async function startRatings() {
  const app = await startApp('ratings');
  const proxy = await startTestProxy({
    service: 'ratings',
    app: app.address,
    configFile: writeConfig({ version: 'ratings-1', services: [] }),
  });
  const services: ProxyConfig['services'] = [
    {
      name: 'ratings',
      namespace: 'shop',
      endpoints: [{ proxyId: 'ratings-v1', address: hostPortOf(proxy.addresses.inbound), version: 'v1' }],
    },
  ];
  return {
    app,
    services,
    stop: async () => {
      await proxy.stop();
      await app.close();
    },
  };
}

const faultPolicy = (faultInjection: Omit<NonNullable<ServicePolicy['faultInjection']>, 'source'>) => ({
  namespace: 'shop',
  service: 'ratings',
  faultInjection: { source: SOURCE, ...faultInjection },
});

describe('a FaultInjectionPolicy in a whole proxy', () => {
  let ratings: Awaited<ReturnType<typeof startRatings>>;
  let web: TestProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    ratings = await startRatings();
    web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      configFile: writeConfig({
        version: 'web-1',
        services: ratings.services,
        policies: [
          faultPolicy({
            matches: [{ path: { type: 'PathPrefix', value: '/ratings' } }],
            abort: { percentage: 30, status: 503 },
          }),
        ],
      }),
    });
  });
  afterAll(async () => {
    agent.destroy();
    await web.stop();
    await ratings.stop();
  });

  it('aborts matching requests locally with the status and x-weft-proxy-error: fault-injected, and counts them', async () => {
    const before = ratings.app.seen.length;
    const outcomes = await run(300, 8, () =>
      getThrough(agent, web.addresses.outbound, { host: 'ratings', path: '/ratings/7' }),
    );
    const counts = countApps(outcomes);
    const aborted = counts['failed: 503 fault-injected'] ?? 0;
    expect(Object.keys(counts).sort()).toEqual(['failed: 503 fault-injected', 'ratings']);
    // Binomial(300, 0.3): σ ≈ 7.9; 30..150 is more than ±7σ, never a flake.
    expect(aborted).toBeGreaterThan(30);
    expect(aborted).toBeLessThan(150);
    // An aborted request never reached the app.
    expect(ratings.app.seen.length - before).toBe(300 - aborted);
    const metrics = (await adminGet(web, '/metrics')).text;
    expect(
      sample(metrics, 'weft_proxy_faults_injected_total', {
        kind: 'abort',
        destination_service: 'ratings',
        destination_namespace: 'shop',
      }),
    ).toBe(aborted);
    // The injected answers count as what the client got; no endpoint was chosen, so no version.
    expect(
      sample(metrics, 'weft_requests_total', {
        reporter: 'outbound',
        source_service: 'web',
        source_namespace: 'shop',
        source_version: 'v1',
        destination_service: 'ratings',
        destination_namespace: 'shop',
        destination_version: 'unknown',
        response_code: '503',
      }),
    ).toBe(aborted);
  });

  it('leaves requests its matches do not select alone', async () => {
    const outcomes = await run(100, 8, () =>
      getThrough(agent, web.addresses.outbound, { host: 'ratings', path: '/health' }),
    );
    expect(countApps(outcomes)).toEqual({ ratings: 100 });
  });

  it('shows the policy on /config as enforced', async () => {
    const body = JSON.parse((await adminGet(web, '/config')).text) as Record<string, unknown>;
    expect(body.faultInjection).toEqual([
      {
        service: 'ratings',
        namespace: 'shop',
        source: SOURCE,
        enforced: true,
        faults: ['abort with 503 to 30% of matching requests'],
      },
    ]);
    expect(body.refused).toEqual([]);
  });
});

/** Mulberry32: a small seeded PRNG, uniform on [0, 1). */
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

describe('fault shares and delays through the outbound stack, with a fixed random source', () => {
  let ratings: Awaited<ReturnType<typeof startRatings>>;
  let store: ConfigStore;
  let outbound: Listener;
  let address: HostPort;
  let pools: UpstreamPools;
  const faults = new FaultCounters();
  /** What the fault layer draws from; each test sets it. */
  let random: () => number = Math.random;

  beforeAll(async () => {
    ratings = await startRatings();
    store = new ConfigStore(roundRobin);
    pools = new UpstreamPools();
    outbound = createListener(
      outboundStack({
        self: { service: 'web', namespace: 'shop', version: 'v1' },
        routes: () => store.active?.routes,
        metrics: new RequestMetrics(Date.now()),
        spans: undefined,
        pools,
        timeoutMs: 5_000,
        log: silentLogger,
        random: () => random(),
        faultsAndMirrors: {
          policies: () => store.active?.config.policies,
          faults,
          mirrors: new MirrorSender({ transport: poolTransport(pools), log: silentLogger }),
        },
      }),
      silentLogger,
    );
    await new Promise<void>((resolve) => outbound.server.listen(0, LOOPBACK, resolve));
    address = loopback((outbound.server.address() as AddressInfo).port);
  });
  afterAll(async () => {
    await outbound.drain(1_000);
    await pools.close();
    await ratings.stop();
  });

  const offer = (version: string, policy: object) =>
    store.offer({ version, services: ratings.services, policies: [policy] }, 'control-plane').kind;

  it('aborts 20% of 2,000 requests within ±2 points', async () => {
    expect(offer('abort-20', faultPolicy({ abort: { percentage: 20, status: 503 } }))).toBe('applied');
    // Seeded, so the count is the same on every run (no other layer draws: no split, no rules). With a
    // true random source the bound would fail 2.5% of runs: Binomial(2000, 0.2) has σ ≈ 17.9, ±40 is ±2.24σ.
    random = seeded(7);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const N = 2000;
    const outcomes = await run(N, 16, () => getThrough(agent, address, { host: 'ratings' }));
    agent.destroy();
    const counts = countApps(outcomes);
    const aborted = counts['failed: 503 fault-injected'] ?? 0;
    expect(aborted + (counts.ratings ?? 0)).toBe(N);
    expect(Math.abs(aborted / N - 0.2)).toBeLessThanOrEqual(0.02);
  });

  it('delays exactly the drawn requests by at least the duration, and only those', async () => {
    expect(offer('delay-50', faultPolicy({ delay: { percentage: 50, duration: '300ms' } }))).toBe('applied');
    // One request at a time, so request i gets draw i: the even ones are delayed.
    let i = 0;
    random = () => (i++ % 2 === 0 ? 0.1 : 0.9);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const timings: { delayed: boolean; ms: number; status: number }[] = [];
    for (let n = 0; n < 8; n++) {
      const delayed = n % 2 === 0;
      const started = performance.now();
      const outcome = await getThrough(agent, address, { host: 'ratings' });
      timings.push({ delayed, ms: performance.now() - started, status: outcome.status });
    }
    agent.destroy();
    expect(timings.every((t) => t.status === 200)).toBe(true);
    for (const t of timings.filter((t) => t.delayed)) expect(t.ms).toBeGreaterThanOrEqual(300);
    // Undelayed requests take a few ms on loopback; 250 leaves room for a slow machine.
    for (const t of timings.filter((t) => !t.delayed)) expect(t.ms).toBeLessThan(250);
    expect(faults.entries().find((c) => c.kind === 'delay')?.count).toBe(4);
  });

  it('passes the client going away during a delay on: nothing reaches the app', async () => {
    expect(offer('delay-all', faultPolicy({ delay: { percentage: 100, duration: '10s' } }))).toBe('applied');
    random = Math.random;
    const before = ratings.app.seen.length;
    const req = http.request({
      host: address.host,
      port: address.port,
      path: '/gone',
      headers: { host: 'ratings' },
      agent: false,
    });
    const gone = new Promise<string>((resolve) => req.on('error', (err) => resolve(err.message)));
    req.end();
    // Waiting in the delay: in flight at the proxy, not at the app.
    await expect.poll(() => outbound.inFlight, { timeout: 2_000 }).toBe(1);
    req.destroy();
    expect(await gone).toMatch(/socket hang up/);
    // The proxy's in-flight count drops back to 0 long before the 10 s delay would have ended.
    await expect.poll(() => outbound.inFlight, { timeout: 2_000 }).toBe(0);
    expect(ratings.app.seen.length).toBe(before);
  });
});
