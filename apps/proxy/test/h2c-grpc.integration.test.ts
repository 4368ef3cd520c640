/**
 * HTTP/2 cleartext and gRPC through the mesh on real sockets: an h2c client (node:http2) → outbound of "web"
 * → inbound of "catalog" → an application that speaks HTTP/2 and HTTP/1.1 on one port. gRPC messages are
 * framed by hand (1-byte flag, 4-byte length, payload), as a gRPC library puts them on the wire.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Headers } from '@weft/schema';
import { detectProtocol } from '../src/http/protocol-detect.ts';
import { LOOPBACK, closedPort, hostPortOf, loopback, send, startTestProxy, writeConfig } from './helpers.ts';

function grpcFrame(payload: string): Buffer {
  const data = Buffer.from(payload, 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

function grpcMessages(body: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 5 <= body.length;) {
    const length = body.readUInt32BE(at + 1);
    out.push(body.subarray(at + 5, at + 5 + length).toString('utf8'));
    at += 5 + length;
  }
  return out;
}

interface H2Reply {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  body: Buffer;
}

const GRPC_HEADERS = { 'content-type': 'application/grpc', te: 'trailers' };

function h2Request(
  session: ClientHttp2Session,
  path: string,
  o: { authority?: string; headers?: Record<string, string>; body?: Buffer; method?: string } = {},
): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': o.method ?? 'POST',
      ':path': path,
      ':authority': o.authority ?? 'catalog.shop',
      ...o.headers,
    });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ headers, trailers, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    stream.end(o.body);
  });
}

/** What the application saw of one HTTP/2 stream. */
interface SeenStream {
  path: string;
  headers: IncomingHttpHeaders;
  cancelled: boolean;
}

/** The application: HTTP/2 (gRPC handlers) and HTTP/1.1 on the same port, told apart by the preface. */
async function startDualApp() {
  const seen: SeenStream[] = [];
  const flakyBodies: string[] = [];
  const h2 = http2.createServer();
  h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const path = String(headers[':path']);
    const record: SeenStream = { path, headers, cancelled: false };
    seen.push(record);
    stream.on('error', () => {});
    stream.on('close', () => {
      if (stream.rstCode === http2.constants.NGHTTP2_CANCEL) record.cancelled = true;
    });
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const messages = grpcMessages(Buffer.concat(chunks));
      if (path === '/test.Echo/Hang') return;
      if (path === '/test.Echo/Flaky') {
        flakyBodies.push(Buffer.concat(chunks).toString('utf8'));
        // The first try fails as an overloaded server would; the retry must carry the same body.
        if (flakyBodies.length === 1) {
          stream.respond({ ':status': 503 }, { endStream: true });
          return;
        }
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      if (path === '/test.Echo/Fail') {
        stream.on('wantTrailers', () =>
          stream.sendTrailers({ 'grpc-status': '3', 'grpc-message': 'bad%20argument' }),
        );
        stream.end();
        return;
      }
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-served-by': 'catalog' }));
      if (path === '/test.Echo/Stream') {
        for (let i = 0; i < 3; i++) stream.write(grpcFrame(`${messages[0] ?? ''} #${i}`));
        stream.end();
        return;
      }
      stream.end(Buffer.concat(messages.map((m) => grpcFrame(`echo: ${m}`))));
    });
  });
  const h1 = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-app': 'catalog' });
    res.end(`http/1.1 ${req.url}`);
  });
  const server = net.createServer((socket: Socket) => {
    detectProtocol(socket, (protocol) => {
      if (protocol === 'h2') h2.emit('connection', socket);
      else {
        h1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    address: loopback(port),
    seen,
    flakyBodies,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('HTTP/2 and gRPC through two proxies', () => {
  let app: Awaited<ReturnType<typeof startDualApp>>;
  let catalog: Awaited<ReturnType<typeof startTestProxy>>;
  let web: Awaited<ReturnType<typeof startTestProxy>>;
  let client: ClientHttp2Session;

  beforeAll(async () => {
    app = await startDualApp();
    const controlPlane = new URL(`http://${LOOPBACK}:${await closedPort()}`);
    catalog = await startTestProxy({
      service: 'catalog',
      version: 'v2',
      app: app.address,
      controlPlane,
      configFile: writeConfig({ version: 'catalog-1', services: [] }),
    });
    web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      controlPlane,
      tuning: { appCheckIntervalMs: 0 },
      configFile: writeConfig({
        version: 'web-1',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: [
              { proxyId: 'catalog.shop-test', address: hostPortOf(catalog.addresses.inbound), version: 'v2' },
            ],
          },
          { name: 'empty', namespace: 'shop', endpoints: [] },
        ],
        policies: [
          {
            service: 'catalog',
            namespace: 'shop',
            retry: {
              source: 'RetryPolicy shop/catalog',
              attempts: 2,
              backoff: { base: '1ms', max: '5ms', jitter: 0 },
              retryOn: ['gateway-error'],
              nonIdempotent: true,
              budget: { ratio: 0.2, minPerSecond: 10 },
            },
          },
        ],
      }),
    });
    client = http2.connect(`http://${hostPortOf(web.addresses.outbound)}`);
  });

  afterAll(async () => {
    client.destroy();
    await Promise.all([web.stop(), catalog.stop()]);
    await app.close();
  });

  it('relays a unary gRPC call: messages intact, grpc-status 0 in the trailers', async () => {
    const reply = await h2Request(client, '/test.Echo/Say', {
      headers: GRPC_HEADERS,
      body: Buffer.concat([grpcFrame('hello'), grpcFrame('world')]),
    });
    expect(reply.headers[':status']).toBe(200);
    expect(reply.headers['content-type']).toBe('application/grpc');
    expect(grpcMessages(reply.body)).toEqual(['echo: hello', 'echo: world']);
    expect(reply.trailers?.['grpc-status']).toBe('0');
    expect(reply.trailers?.['x-served-by']).toBe('catalog');
    // The application saw an HTTP/2 stream with the client's authority, through both proxies' layers.
    const seen = app.seen.find((s) => s.path === '/test.Echo/Say');
    expect(seen?.headers[':authority']).toBe('catalog.shop');
    expect(seen?.headers.te).toBe('trailers');
    expect(seen?.headers['x-forwarded-for']).toBe('127.0.0.1, 127.0.0.1');
  });

  it('relays a server-streaming call and a non-zero grpc-status with its message', async () => {
    const stream = await h2Request(client, '/test.Echo/Stream', {
      headers: GRPC_HEADERS,
      body: grpcFrame('m'),
    });
    expect(grpcMessages(stream.body)).toEqual(['m #0', 'm #1', 'm #2']);
    expect(stream.trailers?.['grpc-status']).toBe('0');

    const fail = await h2Request(client, '/test.Echo/Fail', { headers: GRPC_HEADERS, body: grpcFrame('x') });
    expect(fail.headers[':status']).toBe(200);
    expect(fail.trailers?.['grpc-status']).toBe('3');
    expect(fail.trailers?.['grpc-message']).toBe('bad%20argument');
  });

  it('carries many concurrent streams on one client connection', async () => {
    const calls = Array.from({ length: 150 }, (_, i) =>
      h2Request(client, '/test.Echo/Say', { headers: GRPC_HEADERS, body: grpcFrame(`n${i}`) }),
    );
    const replies = await Promise.all(calls);
    replies.forEach((reply, i) => {
      expect(grpcMessages(reply.body)).toEqual([`echo: n${i}`]);
      expect(reply.trailers?.['grpc-status']).toBe('0');
    });
  });

  it('replays an HTTP/2 request body on a retry', async () => {
    const body = Buffer.concat([grpcFrame('first'), grpcFrame('x'.repeat(20_000))]);
    const reply = await h2Request(client, '/test.Echo/Flaky', { headers: GRPC_HEADERS, body });
    expect(reply.trailers?.['grpc-status']).toBe('0');
    expect(grpcMessages(reply.body)).toEqual(['echo: first', `echo: ${'x'.repeat(20_000)}`]);
    expect(app.flakyBodies).toHaveLength(2);
    expect(app.flakyBodies[1]).toBe(app.flakyBodies[0]);
    expect(app.flakyBodies[0]?.length).toBe(body.length);
  });

  it('still serves HTTP/1.1 clients on the same port', async () => {
    const res = await send(web.addresses.outbound, { target: '/plain', headers: { host: 'catalog.shop' } });
    expect(res.status).toBe(200);
    expect(res.text).toBe('http/1.1 /plain');
  });

  it('answers a gRPC call to a service without endpoints with a trailers-only UNAVAILABLE', async () => {
    const reply = await h2Request(client, '/test.Echo/Say', {
      authority: 'empty.shop',
      headers: GRPC_HEADERS,
      body: grpcFrame('x'),
    });
    expect(reply.headers[':status']).toBe(200);
    expect(reply.headers['content-type']).toBe('application/grpc');
    expect(reply.headers['grpc-status']).toBe('14');
    expect(reply.headers['grpc-message']).toContain('no endpoints');
    expect(reply.headers[Headers.proxyError]).toBe('no-endpoints');
    expect(reply.trailers).toBeUndefined();
    expect(reply.body.length).toBe(0);
  });

  it('cancels the upstream stream when the client cancels its own', async () => {
    const stream = client.request({
      ':method': 'POST',
      ':path': '/test.Echo/Hang',
      ':authority': 'catalog.shop',
      ...GRPC_HEADERS,
    });
    stream.on('error', () => {});
    stream.end(grpcFrame('wait'));
    await expect
      .poll(() => app.seen.some((s) => s.path === '/test.Echo/Hang'), { timeout: 5_000 })
      .toBe(true);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await expect
      .poll(() => app.seen.find((s) => s.path === '/test.Echo/Hang')?.cancelled, { timeout: 5_000 })
      .toBe(true);
  });
});
