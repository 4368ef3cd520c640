/**
 * Circuit breaking over real sockets: an outbound proxy in front of endpoints that fail. Outlier detection
 * ejects an endpoint answering 5xx (and, by default, one that refuses connections) and takes it back after
 * the ejection time; CircuitBreakerPolicy limits answer 503 overflow naming the limit.
 */
import http from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Headers, type ProxyConfig, type ServicePolicy } from '@weft/schema';
import {
  adminGet,
  closedPort,
  countApps,
  getThrough,
  LOOPBACK,
  run,
  sample,
  startServer,
  startTestProxy,
  waitFor,
  writeConfig,
  type TestServer,
} from './helpers.ts';

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
afterAll(() => agent.destroy());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** An endpoint that answers `status.value` (x-app: name) after `delayMs`; counts what reached it. */
async function endpoint(name: string, status = { value: 200 }, delayMs = 0) {
  let hits = 0;
  const server = await startServer((req, res) => {
    hits++;
    req.resume();
    setTimeout(() => res.writeHead(status.value, { 'x-app': name }).end(name), delayMs);
  });
  cleanups.push(() => server.close());
  return Object.assign(server, { status, hits: () => hits });
}

async function caller(endpoints: string[], circuitBreaker?: ServicePolicy['circuitBreaker']) {
  const config: ProxyConfig = {
    version: 'breaker-1',
    services: [
      {
        name: 'catalog',
        namespace: 'shop',
        endpoints: endpoints.map((address, i) => ({ proxyId: `catalog-${i}`, address, version: 'v1' })),
      },
    ],
    ...(circuitBreaker === undefined
      ? {}
      : { policies: [{ service: 'catalog', namespace: 'shop', circuitBreaker }] }),
  };
  const proxy = await startTestProxy({
    service: 'web',
    app: { host: LOOPBACK, port: await closedPort(), family: 'ipv4' },
    configFile: writeConfig(config),
    tuning: { appCheckIntervalMs: 0 },
  });
  cleanups.push(() => proxy.stop());
  const get = () => getThrough(agent, proxy.addresses.outbound, { host: 'catalog.shop' });
  return { proxy, get };
}

const source = 'CircuitBreakerPolicy shop/catalog-breaker';

describe('outlier detection', () => {
  it('ejects an endpoint answering 5xx, sends nothing to it meanwhile, and takes it back after the ejection time', async () => {
    const good = await endpoint('good');
    const bad = await endpoint('bad', { value: 500 });
    const { proxy, get } = await caller([good.hostPort, bad.hostPort], {
      source,
      outlierDetection: { consecutive5xx: 3, baseEjectionTime: '1s', maxEjectionPercent: 50 },
    });

    // Round robin: the bad endpoint gets every other request until its third 500 in a row.
    const first = await run(10, 1, get);
    expect(bad.hits()).toBe(3);
    const ejectedAt = performance.now();
    expect(countApps(first)).toEqual({ good: 7, 'failed: 500': 3 });

    const metrics = (await adminGet(proxy, '/metrics')).text;
    const labels = { service: 'catalog', namespace: 'shop' };
    expect(
      sample(metrics, 'weft_proxy_outlier_ejections_total', { ...labels, reason: 'consecutive-5xx' }),
    ).toBe(1);
    expect(sample(metrics, 'weft_proxy_endpoints_ejected', labels)).toBe(1);
    const config = JSON.parse((await adminGet(proxy, '/config')).text) as {
      circuitBreakers: {
        service: string;
        outlierDetection: { source: string };
        ejected: { address: string; reason: string }[];
      }[];
    };
    const breaker = config.circuitBreakers.find((b) => b.service === 'catalog');
    expect(breaker?.outlierDetection.source).toBe(source);
    expect(breaker?.ejected).toMatchObject([{ address: bad.hostPort, reason: 'consecutive-5xx' }]);

    // While ejected, every request goes to the good endpoint.
    const during = await run(20, 4, get);
    expect(countApps(during)).toEqual({ good: 20 });
    expect(bad.hits()).toBe(3);

    // Repaired, it is picked again once the ejection time is over.
    bad.status.value = 200;
    await waitFor(async () => (await get()).app === 'bad', 5_000);
    expect(performance.now() - ejectedAt).toBeGreaterThanOrEqual(900);
    expect(sample((await adminGet(proxy, '/metrics')).text, 'weft_proxy_endpoints_ejected', labels)).toBe(0);
    const after = await run(20, 1, get);
    expect(countApps(after)).toEqual({ good: 10, bad: 10 });
  });

  it('by default, without a policy, ejects an endpoint that refuses connections after 5 in a row', async () => {
    const good = await endpoint('good');
    const dead = `${LOOPBACK}:${await closedPort()}`;
    const { proxy, get } = await caller([good.hostPort, dead]);
    const first = await run(10, 1, get);
    expect(countApps(first)).toEqual({ good: 5, 'failed: 502 upstream-connect-failure': 5 });
    const after = await run(30, 4, get);
    expect(countApps(after)).toEqual({ good: 30 });
    const metrics = (await adminGet(proxy, '/metrics')).text;
    expect(
      sample(metrics, 'weft_proxy_outlier_ejections_total', {
        service: 'catalog',
        namespace: 'shop',
        reason: 'consecutive-gateway-errors',
      }),
    ).toBe(1);
    expect(proxy.log.lines.some((l) => l.includes(`ejected ${dead} of catalog.shop for 30 s`))).toBe(true);
  });

  it('never ejects beyond maxEjectionPercent: with every endpoint failing, requests still reach them', async () => {
    const a = await endpoint('a', { value: 503 });
    const b = await endpoint('b', { value: 503 });
    const { get } = await caller([a.hostPort, b.hostPort]);
    const outcomes = await run(30, 1, get);
    expect(countApps(outcomes)).toEqual({ 'failed: 503': 30 });
    // One of the two is ejected (50 %), the other keeps answering.
    expect(Math.min(a.hits(), b.hits())).toBe(5);
    expect(Math.max(a.hits(), b.hits())).toBe(25);
  });
});

describe('active health checks', () => {
  it('hold out an endpoint failing its health check until it passes again', async () => {
    const health = { good: 200, sick: 503 };
    const servers = await Promise.all(
      (['good', 'sick'] as const).map(async (name) => {
        const server = await startServer((req, res) => {
          req.resume();
          if (req.url === '/healthz') res.writeHead(health[name]).end();
          else res.writeHead(200, { 'x-app': name }).end(name);
        });
        cleanups.push(() => server.close());
        return server;
      }),
    );
    const config: ProxyConfig = {
      version: 'health-1',
      services: [
        {
          name: 'catalog',
          namespace: 'shop',
          endpoints: servers.map((s, i) => ({ proxyId: `catalog-${i}`, address: s.hostPort, version: 'v1' })),
        },
      ],
      policies: [
        {
          service: 'catalog',
          namespace: 'shop',
          loadBalancing: {
            source: 'LoadBalancingPolicy shop/catalog-lb',
            type: 'RoundRobin',
            healthCheck: {
              path: '/healthz',
              interval: '100ms',
              timeout: '500ms',
              unhealthyThreshold: 2,
              healthyThreshold: 1,
            },
          },
        },
      ],
    };
    const proxy = await startTestProxy({
      service: 'web',
      app: { host: LOOPBACK, port: await closedPort(), family: 'ipv4' },
      configFile: writeConfig(config),
      tuning: { appCheckIntervalMs: 0 },
    });
    cleanups.push(() => proxy.stop());
    const get = () => getThrough(agent, proxy.addresses.outbound, { host: 'catalog.shop' });
    const labels = { service: 'catalog', namespace: 'shop' };
    await waitFor(
      async () =>
        sample((await adminGet(proxy, '/metrics')).text, 'weft_proxy_endpoints_unhealthy', labels) === 1,
    );
    expect(countApps(await run(20, 4, get))).toEqual({ good: 20 });
    const report = JSON.parse((await adminGet(proxy, '/config')).text) as {
      healthChecks: {
        service: string;
        endpoints: { address: string; healthy: boolean; problem?: string }[];
      }[];
    };
    expect(report.healthChecks[0]?.endpoints).toContainEqual({
      address: servers[1]?.hostPort,
      healthy: false,
      problem: 'GET /healthz answered 503',
    });

    health.sick = 200;
    await waitFor(async () => (await get()).app === 'sick', 5_000);
  });
});

describe('limits', () => {
  it('maxRequests: beyond it, 503 overflow naming the limit; counted in metrics', async () => {
    const slow = await endpoint('slow', { value: 200 }, 300);
    const { proxy } = await caller([slow.hostPort], { source, limits: { maxRequests: 2 } });
    const replies = await Promise.all(
      Array.from({ length: 4 }, () => fetchOutbound(proxy.addresses.outbound, { host: 'catalog.shop' })),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503]);
    const refused = replies.filter((r) => r.status === 503);
    for (const r of refused) {
      expect(r.headers[Headers.proxyError]).toBe('overflow');
      expect(r.headers[Headers.overflow]).toBe('max-requests');
    }
    const metrics = (await adminGet(proxy, '/metrics')).text;
    expect(
      sample(metrics, 'weft_proxy_overflow_total', {
        service: 'catalog',
        namespace: 'shop',
        limit: 'max-requests',
      }),
    ).toBe(2);
  });

  it('maxConnections with maxPendingRequests: waiters go when a connection frees, beyond the queue 503', async () => {
    const slow = await endpoint('slow', { value: 200 }, 200);
    const { proxy } = await caller([slow.hostPort], {
      source,
      limits: { maxConnections: 1, maxPendingRequests: 1 },
    });
    const replies = await Promise.all(
      Array.from({ length: 3 }, () => fetchOutbound(proxy.addresses.outbound, { host: 'catalog.shop' })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 503]);
    expect(replies.find((r) => r.status === 503)?.headers[Headers.overflow]).toBe('max-pending-requests');
    expect(slow.hits()).toBe(2);
  });
});

/** One GET on its own connection, with the response headers. */
function fetchOutbound(to: TestServer['address'], o: { host: string }) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request(
      { host: to.host, port: to.port, path: '/', headers: { host: o.host }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
