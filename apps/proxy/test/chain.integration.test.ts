/**
 * Two proxies in a chain on real sockets: test client → outbound of "web" → inbound of "catalog" → app.
 * Config comes from static files; the control-plane URL points at a closed port throughout.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Headers, type HostPort } from '@weft/schema';
import {
  LOOPBACK,
  loopback,
  adminGet,
  closedPort,
  hostPortOf,
  sample,
  send,
  startApp,
  startChain as startSharedChain,
  startTestProxy,
  waitFor,
  writeConfig,
  type ChainOptions,
} from './helpers.ts';

const WEB = { source_service: 'web', source_namespace: 'shop', source_version: 'v1' };
const CATALOG_V2 = {
  destination_service: 'catalog',
  destination_namespace: 'shop',
  destination_version: 'v2',
};

/** web (v1) → catalog (v2); `dead.shop` has an endpoint nobody listens on; `empty.shop` has none. */
async function startChain(app: ChainOptions['app'] = {}) {
  return startSharedChain({
    app,
    catalogTuning: { upstreamTimeoutMs: 500 },
    moreServices: [
      {
        name: 'dead',
        namespace: 'shop',
        endpoints: [{ proxyId: 'dead-1', address: `${LOOPBACK}:${await closedPort()}`, version: 'v9' }],
      },
      { name: 'empty', namespace: 'shop', endpoints: [] },
    ],
  });
}

describe('a request through two proxies', () => {
  let chain: Awaited<ReturnType<typeof startChain>>;
  let clientGotFirstChunk: () => void = () => {};
  let appGotFirstChunk: () => void = () => {};

  beforeAll(async () => {
    chain = await startChain({
      '/stream-down': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        // Only a proxy that streams lets the client see "first;" before the app sends the rest.
        new Promise<void>((resolve) => (clientGotFirstChunk = resolve)).then(
          () => res.end('second'),
          () => {},
        );
      },
      '/cookies': (_req, res) => {
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        res.end('ok');
      },
      '/no-content': (_req, res) => {
        res.writeHead(204, { 'x-app': 'catalog' });
        res.end();
      },
      '/stream-up': (req, res) => {
        let received = '';
        req.on('data', (c: Buffer) => {
          if (received === '') appGotFirstChunk();
          received += c.toString();
        });
        req.on('end', () => res.end(`app got: ${received}`));
      },
    });
  });
  afterAll(() => chain.stop());

  it('relays method, absolute-form target, query, body and status', async () => {
    const body = Buffer.alloc(1024 * 1024, 'z');
    const res = await send(chain.web.addresses.outbound, {
      method: 'POST',
      target: 'http://catalog.shop/items?q=1',
      body,
    });
    expect(res.status).toBe(200);
    const echoed = JSON.parse(res.text) as {
      url: string;
      method: string;
      bodyLength: number;
      headers: Record<string, string>;
    };
    expect(echoed).toMatchObject({ url: '/items?q=1', method: 'POST', bodyLength: body.length });
    expect(echoed.headers.host).toBe('catalog.shop');
    expect(res.headers['x-app']).toBe('catalog');
  });

  it.each([
    ['catalog', '/status/201', 201],
    ['catalog.shop:8080', '/status/404', 404],
    ['catalog.shop.svc', '/status/302', 302],
    ['catalog.shop.svc.cluster.local', '/status/500', 500],
  ])('routes Host %s and passes status %s through', async (host, target, status) => {
    const res = await send(chain.web.addresses.outbound, { target, headers: { host } });
    expect(res.status).toBe(status);
    expect(res.headers[Headers.proxyError]).toBeUndefined();
  });

  it('keeps hop-by-hop fields and the mesh identity header away from the app, and adds forwarding headers', async () => {
    await send(chain.web.addresses.outbound, {
      target: '/hops',
      headers: {
        host: 'catalog.shop',
        connection: 'keep-alive, x-secret',
        'x-secret': 'for the first hop only',
        'keep-alive': 'timeout=9',
        te: 'trailers',
        'proxy-authorization': 'Basic eDp5',
        [Headers.source]: 'admin.kube-system@v1',
        'x-forwarded-for': '203.0.113.7',
        'x-kept': 'yes',
      },
    });
    const seen = chain.app.seen.find((r) => r.url === '/hops');
    expect(seen?.headers['x-kept']).toBe('yes');
    for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-authorization', Headers.source]) {
      expect(seen?.headers[name], name).toBeUndefined();
    }
    expect(seen?.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1, 127.0.0.1');
    expect(seen?.headers.forwarded).toBe(
      'for=127.0.0.1;host=catalog.shop;proto=http, for=127.0.0.1;host=catalog.shop;proto=http',
    );
  });

  it('keeps hop-by-hop fields of the response away from the client', async () => {
    const res = await send(chain.web.addresses.outbound, { target: '/', headers: { host: 'catalog.shop' } });
    expect(res.headers['x-app']).toBe('catalog');
    expect(res.headers['x-app-hop']).toBeUndefined();
  });

  it('streams the response body: the client sees the first chunk before the app has finished', async () => {
    const res = await send(chain.web.addresses.outbound, {
      target: '/stream-down',
      headers: { host: 'catalog.shop' },
      onFirstChunk: () => clientGotFirstChunk(),
    });
    expect(res.text).toBe('first;second');
  });

  it('streams the request body: the app sees the first chunk before the client has finished', async () => {
    const upload = new PassThrough();
    const appHasFirst = new Promise<void>((resolve) => (appGotFirstChunk = resolve));
    const reply = send(chain.web.addresses.outbound, {
      method: 'PUT',
      target: '/stream-up',
      headers: { host: 'catalog.shop', 'transfer-encoding': 'chunked' },
      body: upload,
    });
    upload.write('part1;');
    await appHasFirst;
    upload.end('part2');
    expect((await reply).text).toBe('app got: part1;part2');
  });

  it('relays HEAD, 204 and repeated response fields', async () => {
    const head = await send(chain.web.addresses.outbound, {
      method: 'HEAD',
      target: '/items',
      headers: { host: 'catalog.shop' },
    });
    expect([head.status, head.body.length, head.headers['x-app']]).toEqual([200, 0, 'catalog']);
    const empty = await send(chain.web.addresses.outbound, {
      target: '/no-content',
      headers: { host: 'catalog.shop' },
    });
    expect([empty.status, empty.body.length]).toEqual([204, 0]);
    const cookies = await send(chain.web.addresses.outbound, {
      target: '/cookies',
      headers: { host: 'catalog.shop' },
    });
    expect(cookies.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('handles a client that sends Expect: 100-continue', async () => {
    const res = await send(chain.web.addresses.outbound, {
      method: 'POST',
      target: '/upload',
      headers: { host: 'catalog.shop', expect: '100-continue', 'content-length': '5' },
      body: 'hello',
    });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as { bodyLength: number }).bodyLength).toBe(5);
  });

  it('answers 503 no-endpoints for a service it does not know or that has no endpoints', async () => {
    // Mesh names (one label, or a namespace the mesh has); other hosts are egress (egress.integration.test.ts).
    for (const host of ['billing.shop', 'empty', 'empty.shop.svc.cluster.local']) {
      const res = await send(chain.web.addresses.outbound, { target: '/', headers: { host } });
      expect(res.status, host).toBe(503);
      expect(res.headers[Headers.proxyError]).toBe('no-endpoints');
      expect(res.text).toMatch(/^no (endpoints for service|mesh service named)/);
    }
  });

  it('answers 502 upstream-connect-failure when the endpoint refuses connections', async () => {
    const res = await send(chain.web.addresses.outbound, { target: '/', headers: { host: 'dead.shop' } });
    expect(res.status).toBe(502);
    expect(res.headers[Headers.proxyError]).toBe('upstream-connect-failure');
  });

  it('answers 504 upstream-timeout when the app is too slow, and the caller relays it', async () => {
    const res = await send(chain.web.addresses.outbound, {
      target: '/slow/3000',
      headers: { host: 'catalog.shop' },
    });
    expect(res.status).toBe(504);
    expect(res.headers[Headers.proxyError]).toBe('upstream-timeout');
  });

  it('answers 400 for a target it cannot forward', async () => {
    const res = await send(chain.web.addresses.outbound, {
      target: 'https://catalog.shop/',
      headers: { host: 'catalog.shop' },
    });
    expect(res.status).toBe(400);
    expect(res.headers[Headers.proxyError]).toBe('bad-request');
  });

  it('reuses keep-alive connections to the app', async () => {
    const before = chain.app.seen.length;
    for (let i = 0; i < 10; i++)
      await send(chain.web.addresses.outbound, { target: '/reuse', headers: { host: 'catalog.shop' } });
    const ports = new Set(chain.app.seen.slice(before).map((r) => r.remotePort));
    expect(ports.size).toBe(1);
  });

  it('keeps proxying while the control plane is unreachable, and says so on the admin port', async () => {
    const res = await send(chain.web.addresses.outbound, { target: '/', headers: { host: 'catalog.shop' } });
    expect(res.status).toBe(200);
    expect((await adminGet(chain.web, '/ready')).status).toBe(200);
    expect((await adminGet(chain.web, '/live')).status).toBe(200);
    const metrics = (await adminGet(chain.web, '/metrics')).text;
    expect(sample(metrics, 'weft_proxy_control_plane_registered')).toBe(0);
    expect(sample(metrics, 'weft_proxy_telemetry_queued', { signal: 'spans' })).toBeGreaterThan(0);
    expect(sample(metrics, 'weft_proxy_config_info', { version: 'web-1', source: 'file' })).toBe(1);
    const config = JSON.parse((await adminGet(chain.web, '/config')).text) as { version: string };
    expect(config.version).toBe('web-1');
    expect(chain.web.log.lines.filter((l) => l.includes('/v1/proxies/register'))).toHaveLength(1); // logged once
  });
});

describe('connection-scoped fields', () => {
  // A trace the proxy starts itself: sampled (tests sample every trace) and random (its own trace id).
  const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-03$/;
  const clientTrace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it("outbound: a client's Connection header cannot strip the proxy's identity and trace headers", async () => {
    // web's only endpoint is a plain app, so the test sees exactly what the outbound proxy sent.
    const upstream = await startApp('upstream');
    const web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      controlPlane: new URL(`http://${LOOPBACK}:${await closedPort()}`),
      configFile: writeConfig({
        version: '1',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: [{ proxyId: 'up', address: upstream.hostPort, version: 'v3' }],
          },
        ],
      }),
    });
    try {
      const res = await send(web.addresses.outbound, {
        target: '/named',
        headers: {
          host: 'catalog.shop',
          connection: 'x-weft-source, traceparent, tracestate, b3, x-secret',
          [Headers.source]: 'admin.kube-system@v1',
          traceparent: clientTrace,
          tracestate: 'vendor=1',
          b3: '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1',
          'x-secret': 'for the first hop only',
          'proxy-connection': 'keep-alive',
          te: 'trailers',
          upgrade: 'websocket',
          'x-kept': 'yes',
        },
      });
      expect(res.status).toBe(200);
      const seen = upstream.seen.find((r) => r.url === '/named');
      expect(seen?.headers[Headers.source]).toBe('web.shop@v1');
      const traceparent = String(seen?.headers.traceparent);
      expect(traceparent).toMatch(TRACEPARENT);
      // The client's trace fields were connection-scoped, so the proxy started a trace of its own.
      expect(traceparent.slice(3, 35)).not.toBe('0af7651916cd43dd8448eb211c80319c');
      expect(seen?.headers['x-kept']).toBe('yes');
      for (const name of ['tracestate', 'b3', 'x-secret', 'proxy-connection', 'te', 'upgrade']) {
        expect(seen?.headers[name], name).toBeUndefined();
      }
    } finally {
      await web.stop();
      await upstream.close();
    }
  });

  it("inbound: a caller's Connection header cannot strip the proxy's traceparent, nor pass an identity", async () => {
    const chain = await startChain();
    try {
      const res = await send(chain.catalog.addresses.inbound, {
        target: '/named-inbound',
        headers: {
          host: 'catalog.shop',
          connection: `traceparent, ${Headers.source}`,
          traceparent: clientTrace,
          [Headers.source]: 'web.shop@v1',
        },
      });
      expect(res.status).toBe(200);
      const seen = chain.app.seen.find((r) => r.url === '/named-inbound');
      const traceparent = String(seen?.headers.traceparent);
      expect(traceparent).toMatch(TRACEPARENT);
      expect(traceparent.slice(3, 35)).not.toBe('0af7651916cd43dd8448eb211c80319c');
      expect(seen?.headers[Headers.source]).toBeUndefined();
      const metrics = await waitFor(async () => {
        const text = (await adminGet(chain.catalog, '/metrics')).text;
        return text.includes('weft_requests_total{reporter="inbound"') && text;
      });
      expect(
        sample(metrics, 'weft_requests_total', {
          reporter: 'inbound',
          source_service: 'unknown',
          source_namespace: 'unknown',
          source_version: 'unknown',
          ...CATALOG_V2,
          response_code: '200',
        }),
      ).toBe(1);
    } finally {
      await chain.stop();
    }
  });
});

describe('request metrics on /metrics', () => {
  it('counts a known mix of successes and failures exactly, on both proxies', async () => {
    const chain = await startChain();
    try {
      const out = chain.web.addresses.outbound;
      const host = { host: 'catalog.shop' };
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await send(out, { target: `/items/${i}?x=${i}`, headers: host })).status);
      for (let i = 0; i < 2; i++)
        statuses.push((await send(out, { target: '/status/500', headers: host })).status);
      statuses.push((await send(out, { target: '/', headers: { host: 'billing.shop' } })).status);
      statuses.push((await send(out, { target: '/', headers: { host: 'dead' } })).status);
      statuses.push((await send(out, { target: '/slow/3000', headers: host })).status);
      statuses.push(
        (await send(chain.catalog.addresses.inbound, { target: '/direct', headers: host })).status,
      ); // no identity
      expect(statuses).toEqual([200, 200, 200, 200, 500, 500, 503, 502, 504, 200]);

      const web = await waitFor(async () => {
        const text = (await adminGet(chain.web, '/metrics')).text;
        return (
          sample(text, 'weft_request_duration_seconds_count', {
            reporter: 'outbound',
            ...WEB,
            ...CATALOG_V2,
            response_code: '504',
          }) === 1 && text
        );
      });
      const outbound = (dest: Record<string, string>, code: string) => ({
        reporter: 'outbound',
        ...WEB,
        ...dest,
        response_code: code,
      });
      expect(sample(web, 'weft_requests_total', outbound(CATALOG_V2, '200'))).toBe(4);
      expect(sample(web, 'weft_requests_total', outbound(CATALOG_V2, '500'))).toBe(2);
      expect(sample(web, 'weft_requests_total', outbound(CATALOG_V2, '504'))).toBe(1);
      expect(
        sample(
          web,
          'weft_requests_total',
          outbound(
            { destination_service: 'billing', destination_namespace: 'shop', destination_version: 'unknown' },
            '503',
          ),
        ),
      ).toBe(1);
      expect(
        sample(
          web,
          'weft_requests_total',
          outbound(
            { destination_service: 'dead', destination_namespace: 'shop', destination_version: 'v9' },
            '502',
          ),
        ),
      ).toBe(1);
      expect(web.split('\n').filter((l) => l.startsWith('weft_requests_total{'))).toHaveLength(5);

      const ok = outbound(CATALOG_V2, '200');
      expect(sample(web, 'weft_request_duration_seconds_count', ok)).toBe(4);
      expect(sample(web, 'weft_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(4);
      const timedOut = outbound(CATALOG_V2, '504');
      expect(sample(web, 'weft_request_duration_seconds_bucket', { ...timedOut, le: '0.3' })).toBe(0); // it waited the 500 ms timeout
      expect(sample(web, 'weft_request_duration_seconds_bucket', { ...timedOut, le: '+Inf' })).toBe(1);
      expect(sample(web, 'weft_request_duration_seconds_sum', timedOut)).toBeGreaterThanOrEqual(0.5);

      const catalog = await waitFor(async () => {
        const text = (await adminGet(chain.catalog, '/metrics')).text;
        return (
          sample(text, 'weft_requests_total', {
            reporter: 'inbound',
            ...WEB,
            ...CATALOG_V2,
            response_code: '504',
          }) === 1 && text
        );
      });
      const inbound = (source: Record<string, string>, code: string) => ({
        reporter: 'inbound',
        ...source,
        ...CATALOG_V2,
        response_code: code,
      });
      expect(sample(catalog, 'weft_requests_total', inbound(WEB, '200'))).toBe(4);
      expect(sample(catalog, 'weft_requests_total', inbound(WEB, '500'))).toBe(2);
      const unknown = { source_service: 'unknown', source_namespace: 'unknown', source_version: 'unknown' };
      expect(sample(catalog, 'weft_requests_total', inbound(unknown, '200'))).toBe(1);
      expect(catalog.split('\n').filter((l) => l.startsWith('weft_requests_total{'))).toHaveLength(4);
      expect(sample(catalog, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(sample(catalog, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    } finally {
      await chain.stop();
    }
  });
});

describe('load balancing', () => {
  it('spreads requests round-robin over the endpoints and reports each version', async () => {
    const controlPlane = new URL(`http://${LOOPBACK}:${await closedPort()}`);
    const apps = [await startApp('catalog-v1'), await startApp('catalog-v2')];
    const catalogs = await Promise.all(
      apps.map((app, i) =>
        startTestProxy({
          service: 'catalog',
          version: `v${i + 1}`,
          app: app.address,
          controlPlane,
          configFile: writeConfig({ version: '1', services: [] }),
        }),
      ),
    );
    const web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      controlPlane,
      configFile: writeConfig({
        version: '1',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: catalogs.map((c, i) => ({
              proxyId: `c${i}`,
              address: hostPortOf(c.addresses.inbound),
              version: `v${i + 1}`,
            })),
          },
        ],
      }),
    });
    try {
      const answeredBy: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await send(web.addresses.outbound, { target: '/', headers: { host: 'catalog' } });
        answeredBy.push(String(res.headers['x-app']));
      }
      expect(answeredBy.filter((a) => a === 'catalog-v1')).toHaveLength(3);
      expect(answeredBy.filter((a) => a === 'catalog-v2')).toHaveLength(3);
      expect(answeredBy[0]).not.toBe(answeredBy[1]);
      const text = await waitFor(async () => {
        const t = (await adminGet(web, '/metrics')).text;
        const v2 = {
          reporter: 'outbound',
          ...WEB,
          destination_service: 'catalog',
          destination_namespace: 'shop',
          destination_version: 'v2',
          response_code: '200',
        };
        return sample(t, 'weft_requests_total', v2) === 3 && t;
      });
      const v1 = {
        reporter: 'outbound',
        ...WEB,
        destination_service: 'catalog',
        destination_namespace: 'shop',
        destination_version: 'v1',
        response_code: '200',
      };
      expect(sample(text, 'weft_requests_total', v1)).toBe(3);
    } finally {
      await Promise.all([web.stop(), ...catalogs.map((c) => c.stop())]);
      await Promise.all(apps.map((a) => a.close()));
    }
  });
});

describe('IPv6', () => {
  it('listens on [::1] and forwards to an endpoint advertised as [::1]:port', async () => {
    const v6 = (port: number): HostPort => ({ host: '::1', port, family: 'ipv6' });
    const controlPlane = new URL(`http://${LOOPBACK}:${await closedPort()}`);
    const app = await startApp('catalog-v6', {}, v6(0));
    const catalog = await startTestProxy({
      service: 'catalog',
      app: app.address,
      controlPlane,
      listenHost: v6(0),
      configFile: writeConfig({ version: '1', services: [] }),
    });
    const web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      controlPlane,
      listenHost: v6(0),
      configFile: writeConfig({
        version: '1',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: [{ proxyId: 'c6', address: hostPortOf(catalog.addresses.inbound), version: 'v1' }],
          },
        ],
      }),
    });
    try {
      expect(hostPortOf(catalog.addresses.inbound)).toMatch(/^\[::1\]:\d+$/);
      expect(web.readyLine).toMatch(/outbound \[::1\]:\d+, admin \[::1\]:\d+$/);
      const res = await send(web.addresses.outbound, { target: '/v6', headers: { host: 'catalog.shop' } });
      expect(res.status).toBe(200);
      expect(res.headers['x-app']).toBe('catalog-v6');
      expect(app.seen.map((r) => r.url)).toEqual(['/v6']);
      const config = JSON.parse((await adminGet(web, '/config')).text) as { refused: unknown[] };
      expect(config.refused).toEqual([]);
    } finally {
      await Promise.all([web.stop(), catalog.stop()]);
      await app.close();
    }
  });
});

describe('shutdown', () => {
  it('lets in-flight requests finish, then refuses new connections', async () => {
    const chain = await startChain();
    const inFlight = send(chain.catalog.addresses.inbound, {
      target: '/slow/300',
      headers: { host: 'catalog.shop' },
    });
    await waitFor(() => chain.app.seen.some((r) => r.url === '/slow/300'));
    const stopped = chain.catalog.stop();
    expect((await inFlight).status).toBe(200);
    await stopped;
    await expect(send(chain.catalog.addresses.inbound, { target: '/' })).rejects.toThrow(/ECONNREFUSED/);
    await chain.stop();
  });
});
