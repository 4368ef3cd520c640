/** The mirror layer and its sender with a recording transport instead of sockets. */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Headers, type ProxyConfig, type ServicePolicy } from '@weft/schema';
import { ClientSignal } from '../../http/client-signal.ts';
import { ProxyRequest, type HeaderMap, type ProxyResponse } from '../../http/exchange.ts';
import { stack, type Handler } from '../../http/layer.ts';
import { mirror } from '../../layers/mirror.ts';
import { pickVersion, resolveDestination } from '../../layers/routing.ts';
import type { Logger } from '../../log.ts';
import { EndpointRegistry } from '../../routing/endpoint-registry.ts';
import { RoundRobin } from '../../routing/round-robin.ts';
import { RoutingTable } from '../../routing/routing-table.ts';
import { BodyCopy, type BodyCopyResult } from './body-copy.ts';
import { MirrorSender, shadowHost, type MirrorCopy } from './mirror-sender.ts';

const MIRROR = 'MirrorPolicy shop/reviews-mirror-v2';

function request(o: { method?: string; headers?: HeaderMap; body?: Readable | null } = {}): ProxyRequest {
  return new ProxyRequest({
    method: o.method ?? 'GET',
    path: '/reviews/7?x=1',
    authority: 'reviews',
    headers: { host: 'reviews', ...o.headers },
    body: o.body ?? null,
    remoteAddress: '127.0.0.1',
    receivedAt: 0,
    signal: new ClientSignal(),
  });
}

/** A transport whose copies the test answers (or fails) by hand. */
function manualTransport() {
  const copies: { address: string; copy: MirrorCopy; answer: () => void; fail: (e: Error) => void }[] = [];
  const transport = (address: string, copy: MirrorCopy) =>
    new Promise<number>((resolve, reject) => {
      copies.push({ address, copy, answer: () => resolve(200), fail: reject });
    });
  return { copies, transport };
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup(
  mirrorSpec: Partial<NonNullable<ServicePolicy['mirror']>> = {},
  o: { draws?: number[]; maxInFlight?: number; maxHeldBytes?: number } = {},
) {
  const config: ProxyConfig = {
    version: '1',
    services: [
      {
        name: 'reviews',
        namespace: 'shop',
        endpoints: [
          { proxyId: 'r1', address: '10.0.0.1:15006', version: 'v1' },
          { proxyId: 'r2', address: '10.0.0.2:15006', version: 'v2' },
          { proxyId: 'r3', address: '10.0.0.3:15006', version: 'v2' },
        ],
      },
    ],
    policies: [
      {
        namespace: 'shop',
        service: 'reviews',
        mirror: {
          source: MIRROR,
          backend: { service: 'reviews', namespace: 'shop', version: 'v2' },
          percentage: 100,
          maxBodyBytes: 16,
          ...mirrorSpec,
        },
      },
    ],
  };
  const table = new RoutingTable(config, {
    balancer: (items) => new RoundRobin(items, 0),
    endpoints: new EndpointRegistry(),
  });
  const t = manualTransport();
  const log = recordingLogger();
  const sender = new MirrorSender({
    transport: t.transport,
    log,
    maxInFlight: o.maxInFlight ?? 64,
    maxHeldBytes: o.maxHeldBytes,
  });
  const reached: ProxyRequest[] = [];
  const terminal: Handler = (req) => {
    reached.push(req);
    return Promise.resolve<ProxyResponse>({ status: 200, headers: {}, body: null });
  };
  const draws = o.draws;
  const random = draws === undefined ? undefined : () => draws.shift() ?? 1;
  const handler = stack(
    [
      resolveDestination(() => table, 'shop'),
      pickVersion(),
      mirror({ policies: () => config.policies, routes: () => table, sender, random }),
    ],
    terminal,
  );
  return { handler, reached, sender, log, ...t };
}

describe('mirror layer', () => {
  it("copies a request to the backend version's endpoints in turn, marked, with a shadow host and no trace context", async () => {
    const s = setup();
    const headers = {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      b3: '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1',
      [Headers.source]: 'web.shop@v1',
      accept: 'application/json',
    };
    await s.handler(request({ headers }));
    await s.handler(request({ headers }));
    expect(s.reached).toHaveLength(2);
    expect(s.copies.map((c) => c.address)).toEqual(['10.0.0.2:15006', '10.0.0.3:15006']);
    const copy = s.copies[0]?.copy;
    expect(copy).toMatchObject({ method: 'GET', path: '/reviews/7?x=1', body: null });
    expect(copy?.headers).toEqual({
      host: 'reviews-shadow',
      [Headers.source]: 'web.shop@v1',
      accept: 'application/json',
      [Headers.mirrored]: '1',
    });
    // The original keeps its own headers.
    expect(s.reached[0]?.headers.host).toBe('reviews');
    expect(s.reached[0]?.headers.traceparent).toBe(headers.traceparent);
  });

  it('copies the drawn share only, and never a request that is itself a copy', async () => {
    const s = setup({ percentage: 25 }, { draws: [0.1, 0.25, 0.9, 0.2] });
    for (let i = 0; i < 4; i++) await s.handler(request());
    expect(s.copies).toHaveLength(2);
    await s.handler(request({ headers: { [Headers.mirrored]: '1' } }));
    expect(s.copies).toHaveLength(2);
  });

  it('counts copies sent and failed, logs a failure once, and never touches the original', async () => {
    const s = setup();
    for (let i = 0; i < 3; i++) expect((await s.handler(request())).status).toBe(200);
    s.copies[0]?.answer();
    s.copies[1]?.fail(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    s.copies[2]?.fail(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await flush();
    expect([s.sender.sent, s.sender.failed, s.sender.inFlight]).toEqual([1, 2, 0]);
    expect(s.log.lines.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1);
  });

  it('drops copies beyond the in-flight bound and counts them', async () => {
    const s = setup({}, { maxInFlight: 2 });
    for (let i = 0; i < 5; i++) await s.handler(request());
    expect(s.copies).toHaveLength(2);
    expect(s.sender.dropped('overloaded')).toBe(3);
    expect(s.reached).toHaveLength(5);
    s.copies[0]?.answer();
    await flush();
    await s.handler(request());
    expect(s.copies).toHaveLength(3);
  });

  it('drops copies when the backend has no endpoints of the version, and says so once', async () => {
    const s = setup({ backend: { service: 'reviews', namespace: 'shop', version: 'v9' } });
    await s.handler(request());
    await s.handler(request());
    expect(s.copies).toHaveLength(0);
    expect(s.sender.dropped('no-endpoints')).toBe(2);
    expect(s.log.lines.filter((l) => l.includes('no endpoints'))).toHaveLength(1);
  });

  it('sends a body once it has ended, whole, while the original streams it as before', async () => {
    const s = setup();
    const body = new PassThrough();
    const req = request({ method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    await s.handler(req);
    expect(s.copies).toHaveLength(0);
    const upstream = s.reached[0]?.body;
    expect(upstream).not.toBe(body);
    const received: Buffer[] = [];
    upstream?.on('data', (c: Buffer) => received.push(c));
    body.write('hello ');
    body.end('mirror');
    await flush();
    expect(Buffer.concat(received).toString()).toBe('hello mirror');
    expect(s.copies).toHaveLength(1);
    expect(s.copies[0]?.copy.body?.toString()).toBe('hello mirror');
    expect(s.copies[0]?.copy.headers['content-length']).toBe('12');
  });

  it('does not mirror a body declared or found larger than maxBodyBytes; the original gets it all', async () => {
    const s = setup({ maxBodyBytes: 8 });
    await s.handler(
      request({ method: 'POST', headers: { 'content-length': '9' }, body: Readable.from(['x']) }),
    );
    expect(s.sender.dropped('body-too-large')).toBe(1);
    expect(s.sender.inFlight).toBe(0);

    const body = new PassThrough();
    await s.handler(request({ method: 'POST', body }));
    const received: Buffer[] = [];
    s.reached[1]?.body?.on('data', (c: Buffer) => received.push(c));
    body.write('12345');
    body.end('67890');
    await flush();
    expect(Buffer.concat(received).toString()).toBe('1234567890');
    expect(s.copies).toHaveLength(0);
    expect(s.sender.dropped('body-too-large')).toBe(2);
    expect(s.sender.inFlight).toBe(0);
  });

  it('holds at most maxHeldBytes of bodies across copies, and gives them back when a copy is done', async () => {
    const s = setup({ maxBodyBytes: 16 }, { maxHeldBytes: 20 });
    const first = new PassThrough();
    const second = new PassThrough();
    await s.handler(request({ method: 'POST', body: first }));
    await s.handler(request({ method: 'POST', body: second }));
    for (const r of s.reached) r.body?.resume();
    first.end('0123456789abcd'); // 14 bytes held
    second.end('0123456789'); // 10 more would be 24 > 20: this copy goes
    await flush();
    expect(s.copies).toHaveLength(1);
    expect(s.sender.dropped('overloaded')).toBe(1);
    expect(s.sender.heldBytes).toBe(14);
    s.copies[0]?.answer();
    await flush();
    expect(s.sender.heldBytes).toBe(0);
    expect(s.sender.inFlight).toBe(0);
  });

  it('gives the copy up when the exchange completes before the body ended', async () => {
    const s = setup();
    const body = new PassThrough();
    const req = request({ method: 'POST', body });
    await s.handler(req);
    req.complete({ status: 200, endedAt: 1, aborted: false });
    expect(s.sender.dropped('body-incomplete')).toBe(1);
    expect(s.sender.inFlight).toBe(0);
  });
});

describe('BodyCopy', () => {
  it('fails the upstream body when the source fails, and gives the copy up', async () => {
    const source = new PassThrough();
    const results: BodyCopyResult[] = [];
    const copy = new BodyCopy(source, 100, (r) => results.push(r));
    const failed = new Promise<Error>((resolve) => copy.upstream.once('error', resolve));
    source.write('part');
    source.destroy(new Error('client reset'));
    expect((await failed).message).toBe('client reset');
    expect(results).toEqual([{ kind: 'given-up', reason: 'body-incomplete' }]);
  });

  it('passes the upstream backpressure on to the source, without waiting for the copy', async () => {
    const source = new PassThrough({ highWaterMark: 4 });
    const results: BodyCopyResult[] = [];
    const copy = new BodyCopy(source, 1 << 20, (r) => results.push(r));
    // Nobody reads the upstream side: the source stops flowing instead of buffering without bound.
    const chunk = Buffer.alloc(16 * 1024);
    let accepted = 0;
    while (source.write(chunk) && accepted < 1000) accepted++;
    await flush();
    expect(accepted).toBeLessThan(1000);
    expect(source.isPaused() || source.readableFlowing === false).toBe(true);
    copy.upstream.resume();
    source.end();
    await new Promise((r) => copy.upstream.once('end', r));
    expect(results[0]?.kind).toBe('complete');
  });
});

describe('shadowHost', () => {
  it('appends -shadow to the host, before any port, as Envoy does', () => {
    expect(shadowHost('reviews')).toBe('reviews-shadow');
    expect(shadowHost('reviews.shop:8080')).toBe('reviews.shop-shadow:8080');
    expect(shadowHost('[::1]:15001')).toBe('[::1]-shadow:15001');
  });
});
