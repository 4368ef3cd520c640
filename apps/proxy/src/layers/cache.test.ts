/** The cache layer on its own, with a hand-written terminal instead of sockets and a fixed clock. */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Headers, type ServicePolicy } from '@weft/schema';
import { ClientSignal } from '../http/client-signal.ts';
import { ProxyRequest, type ProxyResponse } from '../http/exchange.ts';
import { stack, type Handler } from '../http/layer.ts';
import { CacheRegistry } from '../policies/cache/cache-registry.ts';
import type { ServiceRoute } from '../routing/routing-table.ts';
import { cache } from './cache.ts';

const T0 = Date.UTC(2026, 0, 1);
const policies: ServicePolicy[] = [
  {
    service: 'catalog',
    namespace: 'shop',
    cache: {
      source: 'CachePolicy shop/c',
      maxBytes: 1024 * 1024,
      maxEntryBytes: 10,
      heuristicPercent: 10,
      heuristicMax: '1h',
    },
  },
];

function request(method = 'GET'): ProxyRequest {
  const req = new ProxyRequest({
    method,
    path: '/p',
    authority: 'catalog',
    headers: {},
    body: null,
    remoteAddress: '127.0.0.1',
    receivedAt: 0,
    signal: new ClientSignal(),
  });
  req.route = { service: 'catalog', namespace: 'shop' } as ServiceRoute;
  return req;
}

function read(res: ProxyResponse): Promise<string> {
  const body = res.body;
  if (body === null || typeof body === 'string') return Promise.resolve(body ?? '');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: Buffer) => chunks.push(c));
    body.on('end', () => resolve(Buffer.concat(chunks).toString()));
    body.on('error', reject);
  });
}

function setup(respond: () => ProxyResponse) {
  let upstream = 0;
  const terminal: Handler = () => {
    upstream++;
    return Promise.resolve(respond());
  };
  const registry = new CacheRegistry({ policies: () => policies, now: () => T0 });
  const handler = stack([cache(registry)], terminal);
  return { handler, upstream: () => upstream };
}

const headers = { 'cache-control': 'max-age=60', date: new Date(T0).toUTCString() };

describe('cache layer', () => {
  it('streams a body larger than maxEntryBytes whole, and does not store it', async () => {
    const { handler, upstream } = setup(() => ({
      status: 200,
      headers,
      body: Readable.from([Buffer.from('0123456'), Buffer.from('789abcdef')]),
    }));
    const first = await handler(request());
    expect(await read(first)).toBe('0123456789abcdef');
    const second = await handler(request());
    expect(second.headers[Headers.cache]).toBe('MISS');
    await read(second);
    expect(upstream()).toBe(2);
  });

  it('a body cut short is not stored, and waiting requests go on', async () => {
    let body: PassThrough | undefined;
    const { handler, upstream } = setup(() => {
      body = new PassThrough();
      return { status: 200, headers, body };
    });
    const first = await handler(request());
    const waiting = handler(request()); // collapsed onto the first
    body?.write('abc');
    (first.body as Readable).destroy();
    body?.end();
    const second = await waiting;
    expect(second.headers[Headers.cache]).toBe('MISS');
    body?.end('xyz');
    expect(await read(second)).toBe('xyz');
    expect(upstream()).toBe(2);
  });

  it('stores a complete body and answers the next request from it', async () => {
    const { handler, upstream } = setup(() => ({
      status: 200,
      headers,
      body: Readable.from([Buffer.from('ok')]),
    }));
    expect(await read(await handler(request()))).toBe('ok');
    const hit = await handler(request());
    expect(hit.headers[Headers.cache]).toBe('HIT');
    expect(hit.headers.age).toBe('0');
    expect(await read(hit)).toBe('ok');
    const head = await handler(request('HEAD'));
    expect(head.headers[Headers.cache]).toBe('HIT');
    expect(head.body).toBe(null);
    expect(upstream()).toBe(1);
  });

  it('a POST elsewhere invalidates its Location on the same host, not one on another', async () => {
    let location = 'http://elsewhere.example/p';
    const { handler, upstream } = setup(() => ({
      status: 201,
      headers: { ...headers, location },
      body: 'ok',
    }));
    const post = () => {
      const req = request('POST');
      req.path = '/collection';
      return handler(req);
    };
    await handler(request()); // 201 with max-age: stored
    await post();
    expect((await handler(request())).headers[Headers.cache]).toBe('HIT');
    location = '/p';
    await post();
    expect((await handler(request())).headers[Headers.cache]).toBe('MISS');
    expect(upstream()).toBe(4);
  });

  it('an unsafe request that fails does not invalidate', async () => {
    let status = 200;
    const { handler, upstream } = setup(() => ({ status, headers, body: 'ok' }));
    await handler(request());
    status = 500;
    expect((await handler(request('DELETE'))).headers[Headers.cache]).toBe('BYPASS');
    expect((await handler(request())).headers[Headers.cache]).toBe('HIT');
    status = 204;
    await handler(request('DELETE'));
    expect((await handler(request())).headers[Headers.cache]).toBe('MISS');
    expect(upstream()).toBe(4);
  });
});
