/**
 * MirrorPolicy on real sockets: test client → outbound of "web" → inbound of reviews v1 → its app, with a
 * copy of a share of requests going from web's outbound proxy to reviews v2 (the mirror) → its app. The
 * originals are pinned to v1 by a TrafficSplit (v1: 100), as a shadow rollout of v2 would be. Each case runs
 * a whole proxy on a static config file.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Headers, type ProxyConfig } from '@weft/schema';
import {
  adminGet,
  closedPort,
  countApps,
  getThrough,
  hostPortOf,
  loopback,
  readBody,
  run,
  sample,
  send,
  startApp,
  startServer,
  startTestProxy,
  writeConfig,
  type Outcome,
  type TestServer,
} from './helpers.ts';

type TestProxy = Awaited<ReturnType<typeof startTestProxy>>;
type TestApp = Awaited<ReturnType<typeof startApp>>;

const MIRROR = 'MirrorPolicy shop/reviews-mirror-v2';
const SPLIT = { backends: [{ version: 'v1', weight: 100 }], source: 'TrafficSplit shop/reviews-v1' };

/** An app behind its own inbound proxy, as one endpoint of reviews. */
async function startBehindProxy(version: string, app: TestServer) {
  const proxy = await startTestProxy({
    service: 'reviews',
    version,
    app: app.address,
    configFile: writeConfig({ version: `reviews-${version}`, services: [] }),
  });
  return {
    proxy,
    endpoint: { proxyId: `reviews-${version}`, address: hostPortOf(proxy.addresses.inbound), version },
  };
}

/** A mirror app that holds every answer until released (a slow mirror); it still records arrivals. */
async function startHoldingApp() {
  let arrived = 0;
  const held: ServerResponse[] = [];
  const server = await startServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then(() => {
      arrived++;
      held.push(res);
    });
  });
  return {
    ...server,
    get arrived() {
      return arrived;
    },
    releaseAll: () => {
      for (const res of held.splice(0)) res.writeHead(200).end('late');
    },
  };
}

function webConfig(
  version: string,
  endpoints: ProxyConfig['services'][number]['endpoints'],
  mirror?: object,
): string {
  return writeConfig({
    version,
    services: [{ name: 'reviews', namespace: 'shop', endpoints }],
    policies: [
      {
        namespace: 'shop',
        service: 'reviews',
        split: SPLIT,
        ...(mirror === undefined ? {} : { mirror: { source: MIRROR, ...mirror } }),
      },
    ] as ProxyConfig['policies'],
  });
}

async function startWeb(configFile: string): Promise<TestProxy> {
  return startTestProxy({ service: 'web', app: loopback(await closedPort()), configFile });
}

/** `total` GETs through `web`, `concurrency` at a time, each timed. */
async function timedRun(web: TestProxy, total: number, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const times: number[] = [];
  const outcomes = await run(total, concurrency, async (): Promise<Outcome> => {
    const started = performance.now();
    const outcome = await getThrough(agent, web.addresses.outbound, { host: 'reviews', path: '/reviews/1' });
    times.push(performance.now() - started);
    return outcome;
  });
  agent.destroy();
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { outcomes, p50: at(0.5) };
}

const mirrored = async (web: TestProxy, outcome: string) =>
  sample((await adminGet(web, '/metrics')).text, 'weft_proxy_mirrored_total', { outcome });

describe('a MirrorPolicy copying to another version', () => {
  let v1App: TestApp;
  let v2App: TestApp;
  let v1: Awaited<ReturnType<typeof startBehindProxy>>;
  let v2: Awaited<ReturnType<typeof startBehindProxy>>;
  let web: TestProxy;

  beforeAll(async () => {
    v1App = await startApp('reviews-v1');
    v2App = await startApp('reviews-v2');
    v1 = await startBehindProxy('v1', v1App);
    v2 = await startBehindProxy('v2', v2App);
    web = await startWeb(
      webConfig('web-mirror-50', [v1.endpoint, v2.endpoint], {
        backend: { service: 'reviews', namespace: 'shop', version: 'v2' },
        percentage: 50,
        maxBodyBytes: 64 * 1024,
      }),
    );
  });
  afterAll(async () => {
    await web.stop();
    await Promise.all([v1.proxy.stop(), v2.proxy.stop()]);
    await Promise.all([v1App.close(), v2App.close()]);
  });

  it('sends about the percentage of requests to the mirror, every original still answered by v1', async () => {
    const N = 400;
    const before = v2App.seen.length;
    const { outcomes } = await timedRun(web, N, 8);
    expect(countApps(outcomes)).toEqual({ 'reviews-v1': N });
    // Every copy that was sent arrives (copies finish after their originals: wait for them).
    await expect.poll(() => mirrored(web, 'sent'), { timeout: 5_000 }).toBe(v2App.seen.length - before);
    const copies = v2App.seen.length - before;
    // Binomial(400, 0.5): σ = 10; 150..250 is ±5σ (P(outside) < 1e-6).
    expect(copies).toBeGreaterThan(150);
    expect(copies).toBeLessThan(250);
    expect(await mirrored(web, 'failed')).toBe(0);
    expect(await mirrored(web, 'dropped')).toBe(0);
  });

  it('marks copies with a shadow host and x-weft-mirrored, in a trace of their own', async () => {
    const copy = v2App.seen.at(-1);
    expect(copy?.headers.host).toBe('reviews-shadow');
    expect(copy?.headers[Headers.mirrored]).toBe('1');
    // The caller's identity reaches the mirror's proxy, which strips it before the app as always.
    expect(copy?.headers[Headers.source]).toBeUndefined();
    // The trace does not travel: the mirror's proxy starts one of its own.
    const traceId = (h: IncomingMessage['headers']) => String(h.traceparent).split('-')[1];
    const sent = 'fedcba98765432100123456789abcdef';
    const mark = `trace-${Date.now()}`;
    await send(web.addresses.outbound, {
      target: `/traced/${mark}`,
      headers: { host: 'reviews', traceparent: `00-${sent}-0123456789abcdef-01` },
    });
    const original = v1App.seen.find((s) => s.url === `/traced/${mark}`);
    expect(original && traceId(original.headers)).toBe(sent);
    // Half the requests are copied: repeat until this one was (bounded).
    for (let i = 0; i < 40 && !v2App.seen.some((s) => s.url.startsWith('/traced/')); i++) {
      await send(web.addresses.outbound, {
        target: `/traced/${mark}-${i}`,
        headers: { host: 'reviews', traceparent: `00-${sent}-0123456789abcdef-01` },
      });
    }
    await expect.poll(() => v2App.seen.some((s) => s.url.startsWith('/traced/'))).toBe(true);
    const shadow = v2App.seen.find((s) => s.url.startsWith('/traced/'));
    expect(shadow && traceId(shadow.headers)).not.toBe(sent);
  });

  it('shows the mirror on /config as enforced, with where copies go', async () => {
    const body = JSON.parse((await adminGet(web, '/config')).text) as Record<string, unknown>;
    expect(body.mirrors).toEqual([
      {
        service: 'reviews',
        namespace: 'shop',
        source: MIRROR,
        enforced: true,
        to: 'reviews.shop version v2',
        percentage: 50,
        maxBodyBytes: 64 * 1024,
        endpoints: [v2.endpoint.address],
        problems: [],
      },
    ]);
    expect(body.refused).toEqual([]);
  });
});

describe('a mirrored POST body', () => {
  let v1App: TestApp;
  let v2App: TestApp;
  let v1: Awaited<ReturnType<typeof startBehindProxy>>;
  let v2: Awaited<ReturnType<typeof startBehindProxy>>;
  let web: TestProxy;
  const MAX = 32 * 1024;

  beforeAll(async () => {
    v1App = await startApp('reviews-v1');
    v2App = await startApp('reviews-v2');
    v1 = await startBehindProxy('v1', v1App);
    v2 = await startBehindProxy('v2', v2App);
    web = await startWeb(
      webConfig('web-mirror-all', [v1.endpoint, v2.endpoint], {
        backend: { service: 'reviews', namespace: 'shop', version: 'v2' },
        percentage: 100,
        maxBodyBytes: MAX,
      }),
    );
  });
  afterAll(async () => {
    await web.stop();
    await Promise.all([v1.proxy.stop(), v2.proxy.stop()]);
    await Promise.all([v1App.close(), v2App.close()]);
  });

  it('reaches the mirror byte for byte, streamed in chunks or with a length', async () => {
    const payload = randomBytes(20 * 1024);
    const chunked = await send(web.addresses.outbound, {
      method: 'POST',
      target: '/post/chunked',
      headers: { host: 'reviews', 'content-type': 'application/octet-stream' },
      body: Readable.from([payload.subarray(0, 7000), payload.subarray(7000)]),
    });
    const sized = await send(web.addresses.outbound, {
      method: 'POST',
      target: '/post/sized',
      headers: { host: 'reviews', 'content-type': 'application/octet-stream' },
      body: payload,
    });
    expect([chunked.status, sized.status]).toEqual([200, 200]);
    for (const path of ['/post/chunked', '/post/sized']) {
      await expect.poll(() => v2App.seen.some((s) => s.url === path)).toBe(true);
      const copy = v2App.seen.find((s) => s.url === path);
      const original = v1App.seen.find((s) => s.url === path);
      expect(copy?.method).toBe('POST');
      expect(copy?.body.equals(payload)).toBe(true);
      expect(original?.body.equals(payload)).toBe(true);
    }
  });

  it('does not mirror a body over maxBodyBytes, declared or found while streaming; the original is untouched', async () => {
    const payload = randomBytes(MAX + 1);
    const sized = await send(web.addresses.outbound, {
      method: 'POST',
      target: '/big/sized',
      headers: { host: 'reviews' },
      body: payload,
    });
    const chunked = await send(web.addresses.outbound, {
      method: 'POST',
      target: '/big/chunked',
      headers: { host: 'reviews' },
      body: Readable.from([payload.subarray(0, 1000), payload.subarray(1000)]),
    });
    expect([sized.status, chunked.status]).toEqual([200, 200]);
    expect(v1App.seen.find((s) => s.url === '/big/sized')?.body.equals(payload)).toBe(true);
    expect(v1App.seen.find((s) => s.url === '/big/chunked')?.body.equals(payload)).toBe(true);
    const metrics = (await adminGet(web, '/metrics')).text;
    expect(sample(metrics, 'weft_proxy_mirror_dropped_total', { reason: 'body-too-large' })).toBe(2);
    expect(v2App.seen.some((s) => s.url.startsWith('/big/'))).toBe(false);
  });
});

describe("a slow or dead mirror and the caller's latency", () => {
  let v1App: TestApp;
  let holding: Awaited<ReturnType<typeof startHoldingApp>>;
  let v1: Awaited<ReturnType<typeof startBehindProxy>>;
  let slowMirror: Awaited<ReturnType<typeof startBehindProxy>>;
  const webs: TestProxy[] = [];
  const N = 300;

  beforeAll(async () => {
    v1App = await startApp('reviews-v1');
    holding = await startHoldingApp();
    v1 = await startBehindProxy('v1', v1App);
    slowMirror = await startBehindProxy('v2', holding);
  });
  afterAll(async () => {
    holding.releaseAll();
    await Promise.all(webs.map((w) => w.stop()));
    await Promise.all([v1.proxy.stop(), slowMirror.proxy.stop()]);
    await Promise.all([v1App.close(), holding.close()]);
  });

  const mirrorTo = { backend: { service: 'reviews', namespace: 'shop', version: 'v2' }, percentage: 100 };

  it('keeps p50 and success when every request is copied to a mirror that holds its answers', async () => {
    const off = await startWeb(webConfig('web-off', [v1.endpoint]));
    const slow = await startWeb(webConfig('web-slow', [v1.endpoint, slowMirror.endpoint], mirrorTo));
    webs.push(off, slow);
    await timedRun(off, 50, 4); // warm-up: connections to v1
    // Side by side, so both see the same machine load.
    const [without, withSlow] = await Promise.all([timedRun(off, N, 4), timedRun(slow, N, 4)]);
    expect(countApps(without.outcomes)).toEqual({ 'reviews-v1': N });
    expect(countApps(withSlow.outcomes)).toEqual({ 'reviews-v1': N });
    // The mirror answers nothing until released below, so a caller that waited for its copy would never
    // finish: every request answered is the proof; p50 shows copies cost the caller nothing measurable.
    expect(withSlow.p50).toBeLessThan(without.p50 + 25);
    // 64 copies are in flight, held by the mirror; the rest were dropped, not queued.
    const metrics = (await adminGet(slow, '/metrics')).text;
    expect(sample(metrics, 'weft_proxy_mirror_in_flight')).toBe(64);
    expect(sample(metrics, 'weft_proxy_mirror_dropped_total', { reason: 'overloaded' })).toBe(N - 64);
    await expect.poll(() => holding.arrived).toBe(64);
    // Released, the copies complete as sent.
    holding.releaseAll();
    await expect.poll(() => mirrored(slow, 'sent'), { timeout: 5_000 }).toBe(64);
  });

  it('keeps p50 and success when the mirror is down', async () => {
    const off = webs[0] as TestProxy;
    const deadEndpoint = { proxyId: 'reviews-v2', address: `127.0.0.1:${await closedPort()}`, version: 'v2' };
    const dead = await startWeb(webConfig('web-dead', [v1.endpoint, deadEndpoint], mirrorTo));
    webs.push(dead);
    const [without, withDead] = await Promise.all([timedRun(off, N, 4), timedRun(dead, N, 4)]);
    expect(countApps(withDead.outcomes)).toEqual({ 'reviews-v1': N });
    expect(countApps(without.outcomes)).toEqual({ 'reviews-v1': N });
    expect(withDead.p50).toBeLessThan(without.p50 + 25);
    await expect
      .poll(async () => ((await mirrored(dead, 'failed')) ?? 0) + ((await mirrored(dead, 'dropped')) ?? 0), {
        timeout: 5_000,
      })
      .toBe(N);
    expect(await mirrored(dead, 'sent')).toBe(0);
    // Logged once, then only counted.
    expect(dead.log.lines.filter((l) => l.includes('mirror (') && l.includes('ECONNREFUSED'))).toHaveLength(
      1,
    );
  });
});
