/**
 * CachePolicy on real sockets: test client → web's outbound listener (assembled in-process, as startProxy
 * does, so the test can move the cache's clock) → catalog's inbound proxy → catalog's app, which counts
 * every request it sees.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Headers, type HostPort, type ProxyConfig } from '@weft/schema';
import { ConfigStore } from '../src/config/config-store.ts';
import { createListener, type Listener } from '../src/http/listener.ts';
import { silentLogger } from '../src/log.ts';
import { CacheRegistry } from '../src/policies/cache/cache-registry.ts';
import { roundRobin } from '../src/routing/round-robin.ts';
import { outboundStack } from '../src/stacks/outbound.ts';
import { PrometheusText } from '../src/telemetry/prometheus.ts';
import { RequestMetrics } from '../src/telemetry/request-metrics.ts';
import { UpstreamPools } from '../src/upstream/upstream-pools.ts';
import {
  adminGet,
  closedPort,
  hostPortOf,
  LOOPBACK,
  loopback,
  sample,
  send,
  startServer,
  startTestProxy,
  writeConfig,
  type TestServer,
} from './helpers.ts';

interface Seen {
  method: string;
  url: string;
  ifNoneMatch: string | undefined;
}

/** catalog's app: a few paths with the caching headers each case needs; Date from the test's clock. */
function catalogApp(seen: Seen[], state: { failing: boolean; version: number }, clock: { offsetMs: number }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '/';
      const inm = req.headers['if-none-match'];
      seen.push({ method: req.method ?? '', url, ifNoneMatch: typeof inm === 'string' ? inm : undefined });
      // The origin's clock is the cache's: moving the cache's clock alone would look like clock skew.
      const date = new Date(Date.now() + clock.offsetMs).toUTCString();
      if (req.method === 'POST' || req.method === 'DELETE') {
        state.version++;
        res.writeHead(204, { date }).end();
        return;
      }
      if (url.startsWith('/products/')) {
        const etag = `"v${state.version}"`;
        if (inm === etag) {
          res.writeHead(304, { date, etag, 'cache-control': 'max-age=60', 'x-revalidated': 'yes' }).end();
          return;
        }
        res
          .writeHead(200, { date, etag, 'cache-control': 'max-age=60', 'content-type': 'application/json' })
          .end(JSON.stringify({ url, version: state.version }));
        return;
      }
      if (url === '/greeting') {
        const lang = req.headers['accept-language'] ?? 'en';
        res
          .writeHead(200, { date, 'cache-control': 'max-age=60', vary: 'Accept-Language' })
          .end(lang === 'fr' ? 'bonjour' : 'hello');
        return;
      }
      if (url === '/swr') {
        res
          .writeHead(200, { date, 'cache-control': 'max-age=1, stale-while-revalidate=60' })
          .end(`swr ${seen.filter((s) => s.url === '/swr').length}`);
        return;
      }
      if (url === '/sie') {
        if (state.failing) res.writeHead(503, { date }).end('down');
        else res.writeHead(200, { date, 'cache-control': 'max-age=1, stale-if-error=60' }).end('kept');
        return;
      }
      if (url === '/large') {
        res.writeHead(200, { date, 'cache-control': 'max-age=60' }).end(Buffer.alloc(200_000, 'x'));
        return;
      }
      if (url === '/binary') {
        const bytes = Buffer.alloc(256);
        for (let i = 0; i < 256; i++) bytes[i] = i;
        res.writeHead(200, { date, 'cache-control': 'max-age=60' }).end(bytes);
        return;
      }
      if (url === '/private') {
        res.writeHead(200, { date, 'cache-control': 'private, max-age=60' }).end('mine');
        return;
      }
      res.writeHead(404, { date, 'cache-control': 'no-store' }).end();
    });
  };
}

describe('CachePolicy over real sockets', () => {
  const seen: Seen[] = [];
  const state = { failing: false, version: 1 };
  const clock = { offsetMs: 0 };
  let app: TestServer;
  let catalog: Awaited<ReturnType<typeof startTestProxy>>;
  let outbound: Listener;
  let pools: UpstreamPools;
  let address: HostPort;
  let caches: CacheRegistry;

  beforeAll(async () => {
    app = await startServer(catalogApp(seen, state, clock));
    catalog = await startTestProxy({
      service: 'catalog',
      app: app.address,
      configFile: writeConfig({ version: 'catalog-1', services: [] }),
    });
    const config: ProxyConfig = {
      version: 'web-1',
      services: [
        {
          name: 'catalog',
          namespace: 'shop',
          endpoints: [
            { proxyId: 'catalog-1', address: hostPortOf(catalog.addresses.inbound), version: 'v1' },
          ],
        },
      ],
      policies: [
        {
          service: 'catalog',
          namespace: 'shop',
          cache: {
            source: 'CachePolicy shop/catalog-cache',
            maxBytes: 1024 * 1024,
            maxEntryBytes: 64 * 1024,
            heuristicPercent: 10,
            heuristicMax: '1h',
          },
        },
      ],
    };
    const store = new ConfigStore(roundRobin);
    expect(store.offer(config, 'control-plane').kind).toBe('applied');
    pools = new UpstreamPools();
    caches = new CacheRegistry({
      policies: () => store.active?.config.policies,
      now: () => Date.now() + clock.offsetMs,
    });
    outbound = createListener(
      outboundStack({
        self: { service: 'web', namespace: 'shop', version: 'v1' },
        routes: () => store.active?.routes,
        metrics: new RequestMetrics(Date.now()),
        spans: undefined,
        pools,
        timeoutMs: 5_000,
        log: silentLogger,
        caches,
      }),
      silentLogger,
    );
    await new Promise<void>((resolve) => outbound.server.listen(0, LOOPBACK, resolve));
    address = loopback((outbound.server.address() as AddressInfo).port);
  });

  afterAll(async () => {
    await outbound.drain(1_000);
    await pools.close();
    await catalog.stop();
    await app.close();
  });

  const get = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
    send(address, { method, target, headers: { host: 'catalog', ...headers } });
  const upstreamSaw = (url: string) => seen.filter((s) => s.url === url);

  it('serves a stored response without touching the upstream', async () => {
    const first = await get('/products/1');
    expect(first.status).toBe(200);
    expect(first.headers[Headers.cache]).toBe('MISS');
    const second = await get('/products/1');
    expect(second.status).toBe(200);
    expect(second.headers[Headers.cache]).toBe('HIT');
    expect(second.text).toBe(first.text);
    expect(second.headers.etag).toBe('"v1"');
    expect(second.headers.age).toMatch(/^\d+$/);
    expect(upstreamSaw('/products/1')).toHaveLength(1);

    const head = await get('/products/1', {}, 'HEAD');
    expect(head.headers[Headers.cache]).toBe('HIT');
    expect(head.headers['content-length']).toBe(String(first.body.length));
    expect(head.body.length).toBe(0);
    expect(upstreamSaw('/products/1')).toHaveLength(1);

    // The client's own conditional request is answered by the cache.
    const conditional = await get('/products/1', { 'if-none-match': '"v1"' });
    expect(conditional.status).toBe(304);
    expect(upstreamSaw('/products/1')).toHaveLength(1);
  });

  it('revalidates a stale response with its ETag; a 304 serves the stored body', async () => {
    await get('/products/2');
    clock.offsetMs += 61_000;
    const stale = await get('/products/2');
    expect(stale.status).toBe(200);
    expect(stale.headers[Headers.cache]).toBe('REVALIDATED');
    expect(JSON.parse(stale.text)).toEqual({ url: '/products/2', version: 1 });
    expect(stale.headers['x-revalidated']).toBe('yes');
    expect(upstreamSaw('/products/2').map((s) => s.ifNoneMatch)).toEqual([undefined, '"v1"']);
    const again = await get('/products/2');
    expect(again.headers[Headers.cache]).toBe('HIT');
    expect(again.headers.age).toBe('0');
    expect(upstreamSaw('/products/2')).toHaveLength(2);
  });

  it('keeps one variant per value of the fields Vary names', async () => {
    const en = await get('/greeting', { 'accept-language': 'en' });
    const fr = await get('/greeting', { 'accept-language': 'fr' });
    expect([en.text, fr.text]).toEqual(['hello', 'bonjour']);
    expect([en.headers[Headers.cache], fr.headers[Headers.cache]]).toEqual(['MISS', 'MISS']);
    const en2 = await get('/greeting', { 'accept-language': 'en' });
    const fr2 = await get('/greeting', { 'accept-language': 'fr' });
    expect([en2.text, fr2.text]).toEqual(['hello', 'bonjour']);
    expect([en2.headers[Headers.cache], fr2.headers[Headers.cache]]).toEqual(['HIT', 'HIT']);
    expect(upstreamSaw('/greeting')).toHaveLength(2);
  });

  it('a successful POST invalidates the stored response', async () => {
    await get('/products/3');
    expect((await get('/products/3')).headers[Headers.cache]).toBe('HIT');
    const post = await send(address, {
      method: 'POST',
      target: '/products/3',
      headers: { host: 'catalog' },
      body: '{}',
    });
    expect(post.status).toBe(204);
    expect(post.headers[Headers.cache]).toBe('BYPASS');
    const after = await get('/products/3');
    expect(after.headers[Headers.cache]).toBe('MISS');
    expect(JSON.parse(after.text)).toMatchObject({ version: state.version });
  });

  it('stale-while-revalidate answers at once and refreshes in the background', async () => {
    expect((await get('/swr')).text).toBe('swr 1');
    clock.offsetMs += 5_000;
    const stale = await get('/swr');
    expect(stale.headers[Headers.cache]).toBe('STALE');
    expect(stale.text).toBe('swr 1');
    await expect.poll(() => upstreamSaw('/swr').length).toBe(2);
    await expect.poll(async () => (await get('/swr')).text).toBe('swr 2');
    expect(upstreamSaw('/swr')).toHaveLength(2);
  });

  it('stale-if-error serves the stored response when the upstream fails', async () => {
    expect((await get('/sie')).text).toBe('kept');
    clock.offsetMs += 5_000;
    state.failing = true;
    try {
      const r = await get('/sie');
      expect(r.status).toBe(200);
      expect(r.headers[Headers.cache]).toBe('STALE');
      expect(r.text).toBe('kept');
      expect(upstreamSaw('/sie')).toHaveLength(2);
    } finally {
      state.failing = false;
    }
  });

  it('streams a response larger than maxEntryBytes without storing it, and never stores private ones', async () => {
    const large = await get('/large');
    expect(large.body.length).toBe(200_000);
    expect((await get('/large')).headers[Headers.cache]).toBe('MISS');
    expect(upstreamSaw('/large')).toHaveLength(2);
    await get('/private');
    expect((await get('/private')).headers[Headers.cache]).toBe('MISS');
    expect(upstreamSaw('/private')).toHaveLength(2);
  });

  it('serves a binary body from the store byte for byte', async () => {
    const first = await get('/binary');
    const second = await get('/binary');
    expect(second.headers[Headers.cache]).toBe('HIT');
    expect(second.body.equals(first.body)).toBe(true);
    expect(second.body[255]).toBe(255);
    expect(upstreamSaw('/binary')).toHaveLength(1);
  });

  it('only-if-cached without a stored response is a 504', async () => {
    const r = await get('/products/never', { 'cache-control': 'only-if-cached' });
    expect(r.status).toBe(504);
    expect(r.headers[Headers.proxyError]).toBe('not-cached');
    expect(upstreamSaw('/products/never')).toHaveLength(0);
  });

  it('concurrent misses on one key reach the upstream once', async () => {
    const replies = await Promise.all(Array.from({ length: 10 }, () => get('/products/collapsed')));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(upstreamSaw('/products/collapsed')).toHaveLength(1);
    expect(replies.filter((r) => r.headers[Headers.cache] === 'MISS')).toHaveLength(1);
  });

  it('counts results on /metrics', () => {
    const text = new PrometheusText();
    caches.render(text);
    const page = text.toString();
    const of = (result: string) =>
      sample(page, 'weft_proxy_cache_total', {
        result,
        destination_service: 'catalog',
        destination_namespace: 'shop',
      });
    expect(of('HIT')).toBeGreaterThanOrEqual(8);
    expect(of('REVALIDATED')).toBe(1);
    expect(of('BYPASS')).toBe(1);
    expect(
      sample(page, 'weft_proxy_cache_bytes', {
        destination_service: 'catalog',
        destination_namespace: 'shop',
        source: 'CachePolicy shop/catalog-cache',
      }),
    ).toBeGreaterThan(0);
  });
});

describe('CachePolicy in a whole proxy (config file, /metrics, /config)', () => {
  it('caches, counts and reports', async () => {
    let hits = 0;
    const app = await startServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(200, { 'cache-control': 'max-age=60', date: new Date().toUTCString() }).end('catalog');
    });
    const web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      configFile: writeConfig({
        version: 'web-cache-1',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: [{ proxyId: 'catalog-1', address: app.hostPort, version: 'v1' }],
          },
        ],
        policies: [
          {
            service: 'catalog',
            namespace: 'shop',
            cache: {
              source: 'CachePolicy shop/catalog-cache',
              matches: [{ path: { type: 'PathPrefix', value: '/products' }, method: 'GET' }],
              maxBytes: 1024 * 1024,
              maxEntryBytes: 64 * 1024,
              heuristicPercent: 10,
              heuristicMax: '1h',
              staleWhileRevalidate: '30s',
            },
          },
        ],
      }),
    });
    try {
      const get = (target: string) => send(web.addresses.outbound, { target, headers: { host: 'catalog' } });
      expect((await get('/products/1')).headers[Headers.cache]).toBe('MISS');
      const hit = await get('/products/1');
      expect(hit.headers[Headers.cache]).toBe('HIT');
      expect(hit.text).toBe('catalog');
      // Outside the policy's matches: no cache, no header.
      expect((await get('/other')).headers[Headers.cache]).toBe(undefined);
      expect((await get('/other')).headers[Headers.cache]).toBe(undefined);
      expect(hits).toBe(3);

      const metrics = (await adminGet(web, '/metrics')).text;
      const labels = { destination_service: 'catalog', destination_namespace: 'shop' };
      expect(sample(metrics, 'weft_proxy_cache_total', { result: 'HIT', ...labels })).toBe(1);
      expect(sample(metrics, 'weft_proxy_cache_total', { result: 'MISS', ...labels })).toBe(1);
      expect(
        sample(metrics, 'weft_proxy_cache_entries', { ...labels, source: 'CachePolicy shop/catalog-cache' }),
      ).toBe(1);

      const config = JSON.parse((await adminGet(web, '/config')).text) as {
        caches?: { source: string; enforced: boolean; limits: { staleWhileRevalidateMs: number } }[];
        refused: unknown[];
      };
      expect(config.refused).toEqual([]);
      expect(config.caches).toMatchObject([
        {
          source: 'CachePolicy shop/catalog-cache',
          enforced: true,
          limits: { staleWhileRevalidateMs: 30_000 },
        },
      ]);
    } finally {
      await web.stop();
      await app.close();
    }
  });
});
