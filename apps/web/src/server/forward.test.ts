import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardToApi } from './forward.ts';

/** A stand-in API that records what reached it and answers as told by the path. */
let api: Server;
let apiUrl = '';
let seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/auth/login')) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'set-cookie': ['weft_session=abc; Path=/; HttpOnly; SameSite=Lax', 'weft_oidc=; Path=/; Max-Age=0'],
          'x-internal': 'not for the browser',
        });
        res.end('{"ok":true}');
      } else if (req.url?.startsWith('/auth/logout')) {
        res.writeHead(204, { 'set-cookie': 'weft_session=; Path=/; Max-Age=0' });
        res.end();
      } else if (req.url?.startsWith('/auth/oidc/start')) {
        res.writeHead(302, { location: 'https://idp.example/authorize?x=1' });
        res.end();
      } else {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '42' });
        res.end('{"error":"slow down"}');
      }
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  process.env.WEFT_API_URL = apiUrl;
});

afterAll(async () => {
  delete process.env.WEFT_API_URL;
  await new Promise((resolve) => api.close(resolve));
});

function request(path: string, init: RequestInit = {}): Request {
  return new Request(`http://console.test:3000${path}`, init);
}

describe('forwardToApi', () => {
  it('forwards method, path, query, body and cookie, and says which host and scheme the browser used', async () => {
    seen = [];
    const res = await forwardToApi(
      request('/auth/login?next=%2Fgraph', {
        method: 'POST',
        body: '{"username":"a","password":"b"}',
        headers: {
          'content-type': 'application/json',
          cookie: 'weft_session=old',
          host: 'console.test:3000',
          'x-forwarded-for': '203.0.113.9',
          'x-forwarded-host': 'spoofed.example',
        },
      }),
      'auth',
    );
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    const [call] = seen;
    expect(call!.method).toBe('POST');
    expect(call!.url).toBe('/auth/login?next=%2Fgraph');
    expect(call!.body).toBe('{"username":"a","password":"b"}');
    expect(call!.headers.cookie).toBe('weft_session=old');
    expect(call!.headers['x-forwarded-host']).toBe('console.test:3000');
    expect(call!.headers['x-forwarded-proto']).toBe('http');
    expect(call!.headers['x-forwarded-for']).toBe('203.0.113.9');
  });

  it('passes every set-cookie back, and only the headers meant for the browser', async () => {
    const res = await forwardToApi(request('/auth/login', { method: 'POST', body: '{}' }), 'auth');
    expect(res.headers.getSetCookie()).toEqual([
      'weft_session=abc; Path=/; HttpOnly; SameSite=Lax',
      'weft_oidc=; Path=/; Max-Age=0',
    ]);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-internal')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('hands redirects to the browser instead of following them', async () => {
    const res = await forwardToApi(request('/auth/oidc/start?returnTo=%2F'), 'auth');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://idp.example/authorize?x=1');
  });

  it('keeps 204 bodiless and 429 with its Retry-After', async () => {
    const out = await forwardToApi(request('/auth/logout', { method: 'POST' }), 'auth');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()).toEqual(['weft_session=; Path=/; Max-Age=0']);
    const limited = await forwardToApi(request('/auth/other'), 'auth');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('42');
  });

  it('keeps a tRPC batch path as sent', async () => {
    seen = [];
    await forwardToApi(request('/trpc/services.list,topology.graph?batch=1&input=%7B%7D'), 'trpc');
    expect(seen[0]!.url).toBe('/trpc/services.list,topology.graph?batch=1&input=%7B%7D');
  });

  it('answers in the caller’s error shape when the API is down', async () => {
    const before = process.env.WEFT_API_URL;
    process.env.WEFT_API_URL = 'http://127.0.0.1:9';
    try {
      const auth = await forwardToApi(request('/auth/login', { method: 'POST', body: '{}' }), 'auth');
      expect(auth.status).toBe(502);
      expect(((await auth.json()) as { error: string }).error).toMatch(
        /^API unreachable at http:\/\/127\.0\.0\.1:9/,
      );
      const trpc = await forwardToApi(request('/trpc/a.b,c.d?batch=1'), 'trpc');
      expect(((await trpc.json()) as unknown[]).length).toBe(2);
    } finally {
      process.env.WEFT_API_URL = before;
    }
  });
});
