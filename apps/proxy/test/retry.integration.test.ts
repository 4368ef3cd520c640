/**
 * Retries on real sockets: test client → outbound of "web" → the endpoints of "reviews" (plain apps standing
 * in for inbound proxies, so each try's arrival can be counted), with a RetryPolicy in web's static config.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Headers, type ProxyConfig, type ServicePolicy } from '@weft/schema';
import {
  adminGet,
  closedPort,
  loopback,
  LOOPBACK,
  sample,
  send,
  startServer,
  startTestProxy,
  writeConfig,
  type TestServer,
} from './helpers.ts';

type Proxy = Awaited<ReturnType<typeof startTestProxy>>;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/** An endpoint that counts the requests it sees (`hits`, `methods`) and answers with `answer`. */
async function endpoint(
  name: string,
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end(name),
): Promise<TestServer & { seen: { hits: number; methods: string[] } }> {
  const seen = { hits: 0, methods: [] as string[] };
  const server = await startServer((req, res) => {
    seen.hits++;
    seen.methods.push(req.method ?? '');
    req.resume();
    res.setHeader('x-app', name);
    answer(req, res);
  });
  cleanup.push(() => server.close());
  return { ...server, seen };
}

async function webWith(
  endpoints: string[],
  retry: Partial<NonNullable<ServicePolicy['retry']>>,
  more: Partial<ServicePolicy> = {},
): Promise<Proxy> {
  const config: ProxyConfig = {
    version: 'web-1',
    services: [
      {
        name: 'reviews',
        namespace: 'shop',
        endpoints: endpoints.map((address, i) => ({ proxyId: `reviews-${i}`, address, version: 'v1' })),
      },
    ],
    policies: [
      {
        service: 'reviews',
        namespace: 'shop',
        retry: {
          source: 'RetryPolicy shop/reviews',
          attempts: 3,
          backoff: { base: '1ms', max: '5ms', jitter: 0.5 },
          retryOn: ['connect-failure', 'reset', 'gateway-error'],
          nonIdempotent: false,
          budget: { ratio: 0.2, minPerSecond: 10 },
          ...retry,
        },
        ...more,
      },
    ],
  };
  const web = await startTestProxy({
    service: 'web',
    app: loopback(await closedPort()),
    configFile: writeConfig(config),
  });
  cleanup.push(() => web.stop());
  return web;
}

const get = (web: Proxy, o: { method?: string; body?: string } = {}) =>
  send(web.addresses.outbound, {
    method: o.method,
    target: '/items',
    headers: { host: 'reviews' },
    body: o.body,
  });

describe('retries', () => {
  it('moves on to the next endpoint when a try misses its per-try timeout', async () => {
    const slow = await endpoint('slow', (_req, res) => {
      const timer = setTimeout(() => res.end('slow'), 5_000);
      res.on('close', () => clearTimeout(timer));
    });
    const fast = await endpoint('fast');
    const web = await webWith([slow.hostPort, fast.hostPort], { attempts: 2, perTryTimeout: '200ms' });
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      const res = await get(web);
      const took = performance.now() - started;
      expect([res.status, res.headers['x-app']]).toEqual([200, 'fast']);
      // At worst one slow try (200 ms), a backoff of at most 5 ms, then the fast one.
      expect(took).toBeLessThan(200 + 500);
    }
    expect(slow.seen.hits).toBeGreaterThan(0); // round robin did send tries there
    expect(fast.seen.hits).toBe(4);
    const metrics = (await adminGet(web, '/metrics')).text;
    const labels = { destination_service: 'reviews', destination_namespace: 'shop' };
    expect(sample(metrics, 'weft_proxy_retries_total', { ...labels, outcome: 'success' })).toBe(
      slow.seen.hits,
    );
  });

  it('retries a connect failure on another endpoint', async () => {
    const live = await endpoint('live');
    const dead = `${LOOPBACK}:${await closedPort()}`;
    const web = await webWith([dead, live.hostPort], { retryOn: ['connect-failure'] });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(web)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(live.seen.hits).toBe(6);
  });

  it('never retries a POST without permission, and retries one with it', async () => {
    const failing = await endpoint('failing', (_req, res) => {
      res.statusCode = 503;
      res.end('down');
    });
    const web = await webWith([failing.hostPort], { attempts: 3 });
    const post = await get(web, { method: 'POST', body: 'order' });
    expect(post.status).toBe(503);
    expect(failing.seen.methods).toEqual(['POST']);
    const put = await get(web, { method: 'PUT', body: 'order' });
    expect(put.status).toBe(503);
    expect(failing.seen.methods).toEqual(['POST', 'PUT', 'PUT', 'PUT']);

    const allowed = await webWith([failing.hostPort], { attempts: 3, nonIdempotent: true });
    await get(allowed, { method: 'POST', body: 'order' });
    expect(failing.seen.methods.slice(4)).toEqual(['POST', 'POST', 'POST']);
  });

  it('sends a body of each try whole, and does not retry a body over the cap', async () => {
    const bodies: number[] = [];
    const failing = await endpoint('failing', (req, res) => {
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('end', () => {
        bodies.push(size);
        res.statusCode = 503;
        res.end();
      });
    });
    const web = await webWith([failing.hostPort], { attempts: 2 });
    await get(web, { method: 'PUT', body: 'x'.repeat(1000) });
    expect(bodies).toEqual([1000, 1000]);
    await get(web, { method: 'PUT', body: 'x'.repeat(64 * 1024 + 1) });
    expect(bodies).toEqual([1000, 1000, 64 * 1024 + 1]);
  });

  it('never exceeds the retry budget under a failing upstream', async () => {
    const failing = await endpoint('failing', (_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const ratio = 0.2;
    const minPerSecond = 1;
    const web = await webWith([failing.hostPort], { attempts: 3, budget: { ratio, minPerSecond } });
    const n = 60;
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const statuses: number[] = [];
        for (let i = 0; i < n / 6; i++) statuses.push((await get(web)).status);
        return statuses;
      }),
    );
    // The budget's window counts whole clock seconds, so a run shorter than a second can touch two.
    const seconds = Math.ceil((performance.now() - started) / 1000) + 1;
    expect(results.flat().every((s) => s === 503)).toBe(true);
    const retries = failing.seen.hits - n;
    // Without a budget, 3 tries each would make 180 hits.
    expect(failing.seen.hits).toBeLessThanOrEqual(n * (1 + ratio) + minPerSecond * seconds);
    expect(retries).toBeGreaterThan(0);
    const metrics = (await adminGet(web, '/metrics')).text;
    const labels = { destination_service: 'reviews', destination_namespace: 'shop' };
    expect(sample(metrics, 'weft_proxy_retries_total', { ...labels, outcome: 'failure' })).toBe(retries);
    expect(sample(metrics, 'weft_proxy_retry_budget_exhausted_total', labels)).toBeGreaterThan(0);
  });

  it('shows the retry policy as enforced on /config', async () => {
    const ok = await endpoint('ok');
    const web = await webWith([ok.hostPort], { perTryTimeout: '250ms' });
    const config = JSON.parse((await adminGet(web, '/config')).text) as { retries: unknown[] };
    expect(config.retries).toEqual([
      {
        appliesTo: 'reviews.shop',
        source: 'RetryPolicy shop/reviews',
        enforced: true,
        attempts: 3,
        perTryMs: 250,
        backoff: { baseMs: 1, maxMs: 5, jitter: 0.5 },
        retryOn: ['connect-failure', 'reset', 'gateway-error'],
        methods: 'idempotent',
        budget: { ratio: 0.2, minPerSecond: 10, windowSeconds: 10 },
        maxReplayBodyBytes: 65536,
      },
    ]);
    expect((await get(web)).headers[Headers.proxyError]).toBeUndefined();
  });
});
