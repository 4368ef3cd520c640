/**
 * Timeouts on real sockets: test client → outbound of "web" → inbound of "catalog" → catalog app, with the
 * TimeoutPolicy (if any) in web's static config. The request timeout is a deadline for the whole exchange,
 * body included; the two hops have distinct defaults so a slow app always gets the same 504 on both sides.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Headers, type ServicePolicy } from '@weft/schema';
import type { ProxyTuning } from '../src/proxy.ts';
import {
  adminGet,
  closedPort,
  hostPortOf,
  loopback,
  send,
  startApp,
  startTestProxy,
  waitFor,
  writeConfig,
} from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

/** Requests that reached the app's /hang, and those of them that ended without an answer (cancelled). */
const arrived: string[] = [];
const cancelled: string[] = [];

const APP: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  // Headers at once, then a chunk every 100 ms, never the end.
  '/trickle': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('.');
    const timer = setInterval(() => res.write('.'), 100);
    res.on('close', () => clearInterval(timer));
  },
  // Headers and a chunk, then silence for 3 s.
  '/pause': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('.');
    const timer = setTimeout(() => res.end('.'), 3_000);
    res.on('close', () => clearTimeout(timer));
  },
  // Answers after 3 s, noting when the proxy cancels it first.
  '/hang': (req, res) => {
    arrived.push(req.url ?? '');
    const timer = setTimeout(() => res.end('late'), 3_000);
    res.on('close', () => {
      clearTimeout(timer);
      if (!res.writableEnded) cancelled.push(req.url ?? '');
    });
  },
  // Reads the whole body before answering.
  '/upload': (req, res) => {
    req.resume();
    req.on('end', () => res.end('got it'));
  },
};

async function chain(o: { timeout?: ServicePolicy['timeout']; tuning?: Partial<ProxyTuning> } = {}) {
  const app = await startApp('catalog', APP);
  const catalog = await startTestProxy({
    service: 'catalog',
    app: app.address,
    configFile: writeConfig({ version: 'catalog-1', services: [] }),
    tuning: o.tuning,
  });
  const web = await startTestProxy({
    service: 'web',
    app: loopback(await closedPort()),
    tuning: o.tuning,
    configFile: writeConfig({
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
      ...(o.timeout ? { policies: [{ service: 'catalog', namespace: 'shop', timeout: o.timeout }] } : {}),
    }),
  });
  cleanup.push(async () => {
    await Promise.all([web.stop(), catalog.stop()]);
    await app.close();
  });
  return { app, catalog, web };
}

/** The response codes a proxy's /metrics counted for `reporter`. */
async function codes(proxy: Awaited<ReturnType<typeof startTestProxy>>, reporter: string): Promise<string[]> {
  const text = (await adminGet(proxy, '/metrics')).text;
  return text
    .split('\n')
    .filter((l) => l.startsWith(`weft_requests_total{reporter="${reporter}"`))
    .map((l) => /response_code="(\d+)"/.exec(l)?.[1] ?? '?');
}

/** A GET that resolves with how the response ended: complete, or cut after its headers. */
function getBody(
  to: { host: string; port: number },
  path: string,
): Promise<{ status: number; ended: 'complete' | 'cut'; bytes: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: to.host, port: to.port, path, headers: { host: 'catalog' }, agent: false },
      (res) => {
        let bytes = 0;
        let done = false;
        const finish = (ended: 'complete' | 'cut') => {
          if (done) return;
          done = true;
          resolve({ status: res.statusCode ?? 0, ended, bytes, ms: performance.now() - started });
        };
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => finish('complete'));
        res.on('error', () => finish('cut'));
        res.on('close', () => finish(res.complete ? 'complete' : 'cut'));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('timeouts', () => {
  it('answers 504 on the caller side when the app is slow: the callee times out first and both count it', async () => {
    // The same app timeout on both proxies: the outbound default deadline is a second longer, so the
    // catalog inbound answers 504 and web relays it, never a race between the two hops.
    const { web, catalog } = await chain({ tuning: { upstreamTimeoutMs: 400 } });
    const started = performance.now();
    const res = await send(web.addresses.outbound, { target: '/hang', headers: { host: 'catalog' } });
    expect(res.status).toBe(504);
    expect(res.headers[Headers.proxyError]).toBe('upstream-timeout');
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(1_000);
    expect(await codes(catalog, 'inbound')).toEqual(['504']);
    await waitFor(async () => (await codes(web, 'outbound')).length > 0);
    expect(await codes(web, 'outbound')).toEqual(['504']);
  });

  it("answers 504 from the caller's proxy at its request timeout and cancels the upstream work", async () => {
    const { web } = await chain({ timeout: { source: 'TimeoutPolicy shop/catalog', request: '300ms' } });
    cancelled.length = 0;
    const started = performance.now();
    const res = await send(web.addresses.outbound, { target: '/hang', headers: { host: 'catalog' } });
    const took = performance.now() - started;
    expect([res.status, res.headers[Headers.proxyError]]).toEqual([504, 'upstream-timeout']);
    expect(res.text).toBe('request timeout of 300 ms exceeded\n');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1_000);
    // Through both proxies, the app's request is cancelled rather than left to finish.
    await waitFor(() => cancelled.includes('/hang'));
    const config = JSON.parse((await adminGet(web, '/config')).text) as { timeouts: unknown };
    expect(config.timeouts).toEqual([
      { appliesTo: 'catalog.shop', source: 'TimeoutPolicy shop/catalog', enforced: true, requestMs: 300 },
    ]);
  });

  it('cuts a response body that trickles at the request deadline', async () => {
    const { web } = await chain({ timeout: { source: 'TimeoutPolicy shop/catalog', request: '600ms' } });
    const got = await getBody(web.addresses.outbound, '/trickle');
    expect(got.status).toBe(200);
    expect(got.ended).toBe('cut');
    expect(got.bytes).toBeGreaterThan(1);
    expect(got.ms).toBeGreaterThanOrEqual(590);
    expect(got.ms).toBeLessThan(1_500);
  });

  it('cuts a response body that goes silent longer than the idle timeout', async () => {
    const { web } = await chain({
      timeout: { source: 'TimeoutPolicy shop/catalog', request: '10s', idle: '300ms' },
    });
    const got = await getBody(web.addresses.outbound, '/pause');
    expect([got.status, got.ended]).toEqual([200, 'cut']);
    // The body would have ended after 3 s; undici checks idle timers every half second.
    expect(got.ms).toBeLessThan(2_000);
  });

  it('answers 504 when the request body trickles past the deadline', async () => {
    const { web } = await chain({ timeout: { source: 'TimeoutPolicy shop/catalog', request: '400ms' } });
    const started = performance.now();
    const res = await new Promise<{ status: number; error: string | undefined }>((resolve, reject) => {
      const req = http.request({
        ...web.addresses.outbound,
        family: 4,
        method: 'PUT',
        path: '/upload',
        headers: { host: 'catalog', 'transfer-encoding': 'chunked' },
        agent: false,
      });
      const timer = setInterval(() => req.write('.'), 100);
      req.on('response', (r) => {
        clearInterval(timer);
        r.resume();
        resolve({ status: r.statusCode ?? 0, error: r.headers[Headers.proxyError] as string | undefined });
        req.destroy();
      });
      req.on('error', (err) => {
        clearInterval(timer);
        reject(err);
      });
      req.write('.');
    });
    expect(res).toEqual({ status: 504, error: 'upstream-timeout' });
    expect(performance.now() - started).toBeLessThan(1_200);
  });

  it('cancels the upstream work when the client goes away', async () => {
    const { web } = await chain();
    cancelled.length = 0;
    arrived.length = 0;
    const req = http.request({
      host: web.addresses.outbound.host,
      port: web.addresses.outbound.port,
      path: '/hang',
      headers: { host: 'catalog' },
      agent: false,
    });
    req.on('error', () => {});
    req.end();
    // Gone once the app has the request.
    await waitFor(() => arrived.length > 0);
    req.destroy();
    await waitFor(() => cancelled.includes('/hang'));
  });
});
