/**
 * Load balancing policies on real sockets: test client → outbound of "web" → inbound proxy of a reviews
 * replica → its app. Ring hash runs a whole proxy (startProxy) on a static config file; locality and
 * failover assemble web's outbound side in-process from the parts startProxy uses (ConfigStore with this
 * proxy's zone, outboundStack, listener), so the test can offer new configs while requests run, as the
 * control-plane client does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint, HostPort, ProxyConfig, ServicePolicy } from '@weft/schema';
import { ConfigStore } from '../src/config/config-store.ts';
import { createListener, type Listener } from '../src/http/listener.ts';
import { silentLogger } from '../src/log.ts';
import { roundRobin } from '../src/routing/round-robin.ts';
import { outboundStack } from '../src/stacks/outbound.ts';
import { RequestMetrics } from '../src/telemetry/request-metrics.ts';
import { UpstreamPools } from '../src/upstream/upstream-pools.ts';
import {
  adminGet,
  countApps,
  getThrough,
  hostPortOf,
  LOOPBACK,
  loopback,
  run,
  startApp,
  startTestProxy,
  writeConfig,
} from './helpers.ts';

type TestProxy = Awaited<ReturnType<typeof startTestProxy>>;
type TestApp = Awaited<ReturnType<typeof startApp>>;
type Balancing = NonNullable<ServicePolicy['loadBalancing']>;

interface Replica {
  name: string;
  service: string;
  zone: string;
  region: string;
}

/** Each replica: an app named after it behind its own inbound proxy. */
async function startReplicas(replicas: Replica[]) {
  const apps: TestApp[] = [];
  const proxies: TestProxy[] = [];
  const endpoints = new Map<string, Endpoint>();
  for (const r of replicas) {
    const app = await startApp(r.name);
    apps.push(app);
    const proxy = await startTestProxy({
      service: r.service,
      app: app.address,
      configFile: writeConfig({ version: r.name, services: [] }),
    });
    proxies.push(proxy);
    endpoints.set(r.name, {
      proxyId: r.name,
      address: hostPortOf(proxy.addresses.inbound),
      version: 'v1',
      zone: r.zone,
      region: r.region,
    });
  }
  /** The services entry of a config listing the named replicas, grouped by service. */
  const services = (...names: string[]): ProxyConfig['services'] => {
    const byService = new Map<string, Endpoint[]>();
    for (const r of replicas) {
      if (!names.includes(r.name)) continue;
      const list = byService.get(r.service) ?? [];
      list.push(endpoints.get(r.name) as Endpoint);
      byService.set(r.service, list);
    }
    return [...byService].map(([name, eps]) => ({ name, namespace: 'shop', endpoints: eps }));
  };
  const stop = async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(apps.map((a) => a.close()));
  };
  return { services, stop };
}

const policy = (spec: Partial<Balancing> & Pick<Balancing, 'type'>): ServicePolicy => ({
  namespace: 'shop',
  service: 'reviews',
  loadBalancing: { source: 'LoadBalancingPolicy shop/reviews', ...spec },
});

describe('ring hash through a whole proxy', () => {
  let replicas: Awaited<ReturnType<typeof startReplicas>>;
  let web: TestProxy;
  let webApp: TestApp;

  beforeAll(async () => {
    replicas = await startReplicas(
      ['r1', 'r2', 'r3', 'r4'].map((name) => ({ name, service: 'reviews', zone: 'z', region: 'r' })),
    );
    webApp = await startApp('web');
    web = await startTestProxy({
      service: 'web',
      app: webApp.address,
      configFile: writeConfig({
        version: 'ring',
        services: replicas.services('r1', 'r2', 'r3', 'r4'),
        policies: [
          policy({ type: 'RingHash', ringHash: { header: 'x-user', cookie: 'session', minRingSize: 1024 } }),
        ],
      }),
    });
  });
  afterAll(async () => {
    await web.stop();
    await webApp.close();
    await replicas.stop();
  });

  it('keeps a key on one endpoint across 100 requests, and spreads different keys', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const get = (headers: Record<string, string>) =>
        getThrough(agent, web.addresses.outbound, { host: 'reviews', headers });
      const alice = countApps(await run(100, 8, () => get({ 'x-user': 'alice' })));
      expect(Object.values(alice)).toEqual([100]);
      const [aliceApp] = Object.keys(alice);
      // The same key from a cookie lands on the same endpoint.
      const byCookie = countApps(await run(20, 4, () => get({ cookie: 'session=alice' })));
      expect(byCookie).toEqual({ [aliceApp as string]: 20 });
      const owners = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const o = await get({ 'x-user': `user-${i}` });
        expect(o.status).toBe(200);
        owners.add(o.app as string);
      }
      expect(owners.size).toBeGreaterThanOrEqual(3);
    } finally {
      agent.destroy();
    }
  });

  it('shows the balancer per service on /config', async () => {
    const body = JSON.parse((await adminGet(web, '/config')).text) as { balancing: unknown };
    expect(body.balancing).toEqual([
      {
        service: 'reviews',
        namespace: 'shop',
        algorithm: 'RingHash',
        source: 'LoadBalancingPolicy shop/reviews',
      },
    ]);
  });
});

describe('locality and failover under requests, configs offered to the store', () => {
  let replicas: Awaited<ReturnType<typeof startReplicas>>;
  let store: ConfigStore;
  let outbound: Listener;
  let address: HostPort;
  let pools: UpstreamPools;
  let agent: http.Agent;

  beforeAll(async () => {
    replicas = await startReplicas([
      { name: 'a1', service: 'reviews', zone: 'eu-1a', region: 'eu-1' },
      { name: 'a2', service: 'reviews', zone: 'eu-1a', region: 'eu-1' },
      { name: 'b1', service: 'reviews', zone: 'eu-1b', region: 'eu-1' },
      { name: 'us1', service: 'reviews', zone: 'us-1a', region: 'us-1' },
      { name: 'dr1', service: 'reviews-dr', zone: 'us-1a', region: 'us-1' },
    ]);
    // web runs in eu-1a.
    store = new ConfigStore(roundRobin, Date.now, { zone: 'eu-1a', region: 'eu-1' });
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
    await new Promise<void>((resolve) => outbound.server.listen(0, LOOPBACK, resolve));
    address = loopback((outbound.server.address() as AddressInfo).port);
    agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  });
  afterAll(async () => {
    agent.destroy();
    await outbound.drain(1_000);
    await pools.close();
    await replicas.stop();
  });

  const locality = policy({
    type: 'LeastRequest',
    leastRequest: { choices: 2 },
    locality: { minHealthyPercent: 70, failover: [{ service: 'reviews-dr' }] },
  });
  const offer = (version: string, ...names: string[]) =>
    expect(
      store.offer({ version, services: replicas.services(...names), policies: [locality] }, 'control-plane')
        .kind,
    ).toBe('applied');
  const load = async (n = 60) =>
    countApps(await run(n, 6, () => getThrough(agent, address, { host: 'reviews' })));

  it('keeps traffic in the local zone while it has endpoints', async () => {
    offer('1', 'a1', 'a2', 'b1', 'us1', 'dr1');
    const counts = await load(100);
    expect(Object.keys(counts).sort()).toEqual(['a1', 'a2']);
  });

  it('fails over to the next zone of the region when the local zone is drained, then to other regions', async () => {
    offer('2', 'b1', 'us1', 'dr1');
    expect(await load()).toEqual({ b1: 60 });
    offer('3', 'us1', 'dr1');
    expect(await load()).toEqual({ us1: 60 });
    // The zone comes back: traffic returns to it.
    offer('4', 'a1', 'b1', 'us1', 'dr1');
    expect(await load()).toEqual({ a1: 60 });
  });

  it('fails over when the local zone is unusable (failing health checks), and comes back with it', async () => {
    offer('4b', 'a1', 'a2', 'b1', 'us1', 'dr1');
    const states = ['a1', 'a2'].map((name) => {
      const endpoint = replicas.services(name)[0]?.endpoints[0];
      const state = endpoint && store.endpoints.get(endpoint.address);
      if (state === undefined) throw new Error(`no state for ${name}`);
      return state;
    });
    try {
      for (const s of states) s.activeHealthy = false;
      expect(await load()).toEqual({ b1: 60 });
    } finally {
      for (const s of states) s.activeHealthy = true;
    }
    expect(Object.keys(await load()).sort()).toEqual(['a1', 'a2']);
  });

  it('fails over to the failover service when the service has no endpoint left', async () => {
    offer('5', 'dr1');
    expect(await load()).toEqual({ dr1: 60 });
    // What /config shows for it (the in-process outbound has no admin listener; this is its source).
    expect(store.active?.routes.balancing()).toEqual([
      expect.objectContaining({
        service: 'reviews',
        algorithm: 'LeastRequest',
        locality: expect.objectContaining({
          zone: 'eu-1a',
          levels: [],
          failover: ['reviews-dr.shop'],
        }) as unknown,
      }),
    ]);
  });
});
