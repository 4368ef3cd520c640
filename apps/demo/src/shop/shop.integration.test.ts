/**
 * Starts the real shop process and stands in for the proxies: every instance's "outbound listener" is a tiny
 * HTTP server here that records what the app sent (Host, trace headers) and forwards it to the target app,
 * so whole request chains run exactly as they would behind Weft proxies. Absolute-form requests (egress, for
 * hosts outside the mesh) go to the host they name, as a forward proxy sends them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_WORKLOADS } from '../topology.ts';
import { buildDemoPlan, type Behaviour, type OutsideAddresses, type ShopPlan } from './plan.ts';
import type { ServiceKind } from '../topology.ts';
import { startPaymentsGateway, type RunningServer } from '../outside/payments-gateway.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

interface Captured {
  via: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Harness {
  captured: Captured[];
  apps: Record<string, string>;
  /** Which reviews version the fake proxies route to. */
  reviewsVersion: 'v1' | 'v2';
  /** Host names the fake proxies answer 503 "no-endpoints" for. */
  noEndpoints: Set<string>;
  shop: ChildProcess;
  servers: http.Server[];
  stderr: string[];
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

async function startHarness(
  overrides: Partial<Record<ServiceKind, Partial<Behaviour>>>,
  outside: OutsideAddresses = {},
): Promise<Harness> {
  const h: Harness = {
    captured: [],
    apps: {},
    reviewsVersion: 'v2',
    noEndpoints: new Set(),
    shop: undefined as never,
    servers: [],
    stderr: [],
  };
  const outbound: Record<string, string> = {};
  for (const w of DEMO_WORKLOADS) {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        h.captured.push({
          via: w.name,
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body,
        });
        const forward = (address: string, path: string): void => {
          const [host, port] = address.split(':');
          const up = http.request(
            { host, port: Number(port), method: req.method, path, headers: req.headers },
            (upRes) => {
              res.writeHead(upRes.statusCode ?? 502, upRes.headers);
              upRes.pipe(res);
            },
          );
          up.on('error', () => res.writeHead(502).end());
          up.end(body);
        };
        if (/^https?:\/\//.test(req.url ?? '')) {
          const target = new URL(req.url!);
          forward(target.host, `${target.pathname}${target.search}`);
          return;
        }
        const hostName = (req.headers.host ?? '').split(':')[0]!;
        const [service, namespace = w.namespace] = hostName.split('.');
        const target = DEMO_WORKLOADS.find(
          (t) =>
            t.service === service &&
            t.namespace === namespace &&
            (t.service !== 'reviews' || t.version === h.reviewsVersion),
        );
        if (!target || h.noEndpoints.has(hostName)) {
          res
            .writeHead(503, { 'x-weft-proxy-error': 'no-endpoints', 'content-type': 'text/plain' })
            .end('no endpoints');
          return;
        }
        forward(h.apps[target.name]!, req.url ?? '/');
      });
    });
    h.servers.push(server);
    outbound[w.name] = await listen(server);
  }
  const quiet = { failureRate: 0, slowRate: 0, workMs: [0, 1] as [number, number] };
  const all = Object.fromEntries(
    ['frontend', 'catalog', 'cart', 'pricing', 'reviews', 'ratings'].map((k) => [k, { ...quiet }]),
  );
  for (const [k, v] of Object.entries(overrides)) Object.assign(all[k]!, v);
  const plan: ShopPlan = buildDemoPlan(
    (w) => ({ app: '127.0.0.1:0', outbound: outbound[w.name]! }),
    all,
    outside,
  );

  h.shop = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'main.ts'), '--plan', JSON.stringify(plan)],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  h.shop.stderr!.on('data', (d: Buffer) => h.stderr.push(d.toString()));
  h.apps = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shop did not start: ${h.stderr.join('')}`)), 30_000);
    h.shop.once('exit', (code) => reject(new Error(`shop exited with ${code}: ${h.stderr.join('')}`)));
    readline.createInterface({ input: h.shop.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const msg = JSON.parse(line) as { event: string; instances: Record<string, string> };
      if (msg.event === 'ready') {
        clearTimeout(timer);
        resolve(msg.instances);
      }
    });
  });
  return h;
}

async function stopHarness(h: Harness | undefined): Promise<void> {
  if (!h) return;
  if (h.shop.exitCode === null && h.shop.signalCode === null) {
    const exited = new Promise((r) => h.shop.once('exit', r));
    h.shop.kill('SIGTERM');
    await exited;
  }
  await Promise.all(h.servers.map((s) => new Promise((r) => s.close(r))));
}

async function get(address: string, urlPath: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://${address}${urlPath}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> };
}

const traceHeaders = {
  traceparent: TRACEPARENT,
  tracestate: 'weft=00f067aa0ba902b7,vendor=x',
  b3: `${TRACE_ID}-00f067aa0ba902b7-1`,
  'x-b3-traceid': TRACE_ID,
  'x-b3-spanid': '00f067aa0ba902b7',
  'x-b3-sampled': '1',
  'x-request-id': 'req-42',
};

describe('demo shop (healthy plan)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({});
  });
  afterAll(() => stopHarness(h));
  beforeEach(() => {
    h.captured.length = 0;
    h.reviewsVersion = 'v2';
    h.noEndpoints.clear();
  });

  it('runs every workload on its own port and answers /healthz', async () => {
    expect(Object.keys(h.apps).sort()).toEqual(DEMO_WORKLOADS.map((w) => w.name).sort());
    expect(new Set(Object.values(h.apps)).size).toBe(DEMO_WORKLOADS.length);
    for (const [name, address] of Object.entries(h.apps)) {
      const r = await get(address, '/healthz');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'ok', instance: name });
    }
  });

  it('serves a product page through catalog, pricing, reviews v2 and ratings, propagating the trace', async () => {
    const r = await get(h.apps.frontend!, '/product/3', traceHeaders);
    expect(r.status).toBe(200);
    const product = r.body.product as Record<string, unknown>;
    expect(product).toMatchObject({ id: '3', currency: 'EUR' });
    expect(typeof product.price).toBe('number');
    expect(product.reviews).toMatchObject({ version: 'v2', ratings: { productId: '3' } });
    expect(r.body.cart).toMatchObject({ items: expect.any(Number) as number });

    const calls = h.captured
      .map((c) => `${c.via} → ${c.headers.host} ${c.method} ${c.url.split('?')[0]}`)
      .sort();
    expect(calls).toEqual([
      'catalog → pricing GET /price/3',
      'catalog → reviews GET /reviews/3',
      'frontend → cart.shop GET /cart/summary',
      'frontend → catalog.shop GET /products/3',
      'reviews-v2 → ratings GET /ratings/3',
    ]);
    for (const c of h.captured) {
      for (const [k, v] of Object.entries(traceHeaders))
        expect(c.headers[k], `${k} on ${c.via} → ${c.headers.host}`).toBe(v);
    }
  });

  it('does not call ratings from reviews v1', async () => {
    h.reviewsVersion = 'v1';
    const r = await get(h.apps.frontend!, '/product/2', { traceparent: TRACEPARENT });
    expect(r.status).toBe(200);
    expect((r.body.product as { reviews: unknown }).reviews).toMatchObject({ version: 'v1' });
    expect(h.captured.some((c) => c.headers.host === 'ratings')).toBe(false);
  });

  it('serves the home page and the cart (POST with a JSON body to pricing)', async () => {
    const home = await get(h.apps.frontend!, '/', { traceparent: TRACEPARENT });
    expect(home.status).toBe(200);
    expect((home.body.featured as unknown[]).length).toBe(6);
    const cart = await get(h.apps.frontend!, '/cart?user=ada', { traceparent: TRACEPARENT });
    expect(cart.status).toBe(200);
    expect(cart.body.cart).toMatchObject({
      user: 'ada',
      currency: 'EUR',
      total: expect.any(Number) as number,
    });
    const quote = h.captured.find((c) => c.url === '/quote')!;
    expect(quote).toMatchObject({ via: 'cart', method: 'POST' });
    expect(quote.headers.host).toBe('pricing');
    expect(quote.headers.traceparent).toBe(TRACEPARENT);
    expect(JSON.parse(quote.body)).toHaveProperty('items');
  });

  it("hands the shopper's session cookie to cart only, and cart says which replica served", async () => {
    const home = await get(h.apps.frontend!, '/?user=ada', { cookie: 'session=s02-ada' });
    expect(home.status).toBe(200);
    expect(home.body.cart).toMatchObject({ instance: 'cart' });
    const cart = await get(h.apps.frontend!, '/cart?user=ada', { cookie: 'session=s02-ada' });
    expect(cart.body.cart).toMatchObject({ user: 'ada', instance: 'cart' });
    const toCart = h.captured.filter((c) => c.headers.host === 'cart.shop');
    expect(toCart.map((c) => c.headers.cookie)).toEqual(['session=s02-ada', 'session=s02-ada']);
    const others = h.captured.filter((c) => c.headers.host !== 'cart.shop');
    expect(others.length).toBeGreaterThan(0);
    expect(others.map((c) => c.headers.cookie).filter(Boolean)).toEqual([]);
  });

  it('invents no trace context when the request has none', async () => {
    const r = await get(h.apps.frontend!, '/');
    expect(r.status).toBe(200);
    expect(h.captured.length).toBeGreaterThan(0);
    for (const c of h.captured) {
      expect(c.headers.traceparent).toBeUndefined();
      expect(c.headers.b3).toBeUndefined();
    }
  });

  it('keeps concurrent traces apart', async () => {
    const ids = Array.from({ length: 16 }, (_, i) => (i + 1).toString(16).padStart(32, 'a'));
    const results = await Promise.all(
      ids.map((id, i) =>
        get(h.apps.frontend!, `/product/${(i % 8) + 1}`, { traceparent: `00-${id}-00f067aa0ba902b7-01` }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    for (const [i, id] of ids.entries()) {
      const mine = h.captured.filter((c) => c.headers.traceparent?.includes(id));
      expect(mine.map((c) => c.url.split('?')[0]).sort()).toEqual(
        [
          '/cart/summary',
          `/price/${(i % 8) + 1}`,
          `/products/${(i % 8) + 1}`,
          `/ratings/${(i % 8) + 1}`,
          `/reviews/${(i % 8) + 1}`,
        ].sort(),
      );
    }
  });

  it('answers 404 for an unknown product without asking pricing', async () => {
    const r = await get(h.apps.frontend!, '/product/999');
    expect(r.status).toBe(404);
    expect(h.captured.some((c) => c.headers.host === 'pricing')).toBe(false);
  });

  it('turns a proxy "no endpoints" answer for a required dependency into a 502 naming it', async () => {
    h.noEndpoints.add('cart.shop');
    const r = await get(h.apps.frontend!, '/cart');
    expect(r.status).toBe(502);
    expect(r.body).toEqual({
      error: 'cart unavailable',
      cause: 'cart.shop answered 503 (proxy: no-endpoints)',
    });
    // ... and degrades where the dependency is optional (cart badge on the home page)
    const home = await get(h.apps.frontend!, '/');
    expect(home.status).toBe(200);
    expect(home.body.cart).toBeNull();
  });

  it('answers 404 / 405 for unknown routes and methods', async () => {
    expect((await get(h.apps.frontend!, '/nope')).status).toBe(404);
    expect((await get(h.apps.pricing!, '/quote')).status).toBe(405);
  });
});

describe('demo shop (ratings and pricing always fail)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ratings: { failureRate: 1 }, pricing: { failureRate: 1 } });
  });
  afterAll(() => stopHarness(h));

  it('injects the failure where the plan says', async () => {
    const r = await get(h.apps.pricing!, '/price/1');
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ error: 'injected failure', instance: 'pricing' });
    expect((await get(h.apps.ratings!, '/ratings/1')).status).toBe(500);
    // The flaky replica sheds load: its failures are 503s.
    expect(await get(h.apps['ratings-2']!, '/ratings/1')).toMatchObject({
      status: 503,
      body: { error: 'injected failure', instance: 'ratings-2' },
    });
    expect((await get(h.apps.pricing!, '/healthz')).status).toBe(200);
  });

  it('degrades reviews v2 when ratings fails', async () => {
    const r = await get(h.apps['reviews-v2']!, '/reviews/1', { traceparent: TRACEPARENT });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ version: 'v2', ratings: null, ratingsError: 'ratings answered 500' });
  });

  it('surfaces a failing required dependency upstream as 502', async () => {
    const r = await get(h.apps.frontend!, '/product/1', { traceparent: TRACEPARENT });
    expect(r.status).toBe(502);
    expect(r.body).toEqual({ error: 'catalog unavailable', cause: 'catalog.shop answered 502' });
    const catalog = await get(h.apps.catalog!, '/products/1');
    expect(catalog).toMatchObject({
      status: 502,
      body: { error: 'pricing unavailable', cause: 'pricing answered 500' },
    });
  });
});

describe('demo shop (with the services outside the mesh)', () => {
  let h: Harness;
  let payments: RunningServer;
  let recommendations: http.Server;
  const seen: http.IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    payments = await startPaymentsGateway('127.0.0.1:0', () => 0);
    // Stands in for the SDK-instrumented service: records what arrives, answers like it.
    recommendations = http.createServer((req, res) => {
      seen.push(req.headers);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ productId: req.url?.split('/').pop(), items: [{ id: '5' }] }));
    });
    const recommendationsAt = await listen(recommendations);
    h = await startHarness({}, { recommendations: recommendationsAt, 'payments-gateway': payments.address });
  });
  beforeEach(() => {
    h.captured.length = 0;
  });
  afterAll(async () => {
    await stopHarness(h);
    await payments?.close();
    await new Promise((r) => recommendations?.close(r));
  });

  it('calls recommendations from product pages through the frontend proxy, as egress, in the same trace', async () => {
    const r = await get(h.apps.frontend!, '/product/4', traceHeaders);
    expect(r.status).toBe(200);
    expect(r.body.recommendations).toEqual({ productId: '4', items: [{ id: '5' }] });
    const egress = h.captured.filter((c) => c.url.startsWith('http://'));
    const recommendationsAt = `127.0.0.1:${(recommendations.address() as AddressInfo).port}`;
    expect(egress.map((c) => [c.via, c.method, c.url, c.headers.host])).toEqual([
      ['frontend', 'GET', `http://${recommendationsAt}/recommendations/4`, recommendationsAt],
    ]);
    expect(seen.at(-1)?.traceparent).toBe(TRACEPARENT);
  });

  it("shows the payments gateway's methods on the cart page, asked through the cart's proxy", async () => {
    const r = await get(h.apps.frontend!, '/cart?user=ada', { traceparent: TRACEPARENT });
    expect(r.status).toBe(200);
    const cart = r.body.cart as { total: number; paymentMethods: { methods: { id: string }[] } };
    expect(cart.paymentMethods.methods.map((m) => m.id)).toContain('card');
    const egress = h.captured.filter((c) => c.url.startsWith('http://'));
    expect(egress.map((c) => [c.via, c.url])).toEqual([
      ['cart', `http://${payments.address}/v1/payment-methods?currency=EUR&amount=${cart.total}`],
    ]);
  });

  it('still serves the pages when a service outside the mesh does not answer', async () => {
    await payments.close();
    const r = await get(h.apps.frontend!, '/cart?user=ada');
    expect(r.status).toBe(200);
    expect(r.body.cart).toMatchObject({ user: 'ada', paymentMethods: null });
  });
});
