/**
 * The HTTP/2 side of a data listener on real sockets, with stand-in handlers for the layer stack: protocol
 * detection, how an exchange completes (grpc-status), gRPC's own deadline, the connection limit, trailers
 * to HTTP/1.1 clients, and drain.
 */
import http from 'node:http';
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Headers } from '@weft/schema';
import type { Completion, ProxyRequest, ProxyResponse } from '../src/http/exchange.ts';
import type { Handler } from '../src/http/layer.ts';
import { createListener, type Listener } from '../src/http/listener.ts';
import type { ListenerLimits } from '../src/http/listener-limits.ts';
import { localReply } from '../src/http/local-reply.ts';
import { detectProtocol, H2_PREFACE, type DetectedProtocol } from '../src/http/protocol-detect.ts';
import { LOOPBACK, recordingLog } from './helpers.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Seen {
  req: ProxyRequest;
  completion: Completion;
}

async function startListener(handler: Handler, limits: Partial<ListenerLimits> = {}) {
  const completions: Seen[] = [];
  const listener = createListener(
    (req) => {
      req.onComplete((r, completion) => completions.push({ req: r, completion }));
      return handler(req);
    },
    recordingLog(),
    { name: 'test', limits },
  );
  await new Promise<void>((resolve) => listener.server.listen(0, LOOPBACK, resolve));
  const { port } = listener.server.address() as AddressInfo;
  cleanup.push(() => listener.drain(0));
  return { listener, port, completions };
}

function connect(port: number): ClientHttp2Session {
  const session = http2.connect(`http://${LOOPBACK}:${port}`);
  session.on('error', () => {});
  cleanup.push(() => session.destroy());
  return session;
}

interface H2Reply {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  body: string;
}

function request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: string,
): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/svc/Method',
      ':authority': 'a.shop',
      ...headers,
    });
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => (head = h));
    stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => resolve({ headers: head, trailers, body: text }));
    stream.on('error', reject);
    stream.end(body);
  });
}

const GRPC = { 'content-type': 'application/grpc', te: 'trailers' };

/** An upstream-like response whose body ends and then has trailers. */
function withTrailers(text: string, trailers: Record<string, string>): ProxyResponse {
  const body = new PassThrough();
  body.end(text);
  return { status: 200, headers: { 'content-type': 'application/grpc' }, body, trailers: () => trailers };
}

describe('protocol detection on a socket', () => {
  /** Detects on the server side of a loopback connection; resolves with the verdict and every byte read. */
  async function detect(chunks: Buffer[]): Promise<{ protocol: DetectedProtocol; bytes: Buffer }> {
    const total = Buffer.concat(chunks).length;
    let server: net.Server | undefined;
    const verdict = new Promise<{ protocol: DetectedProtocol; bytes: Buffer }>((resolve) => {
      server = net.createServer((socket: Socket) => {
        detectProtocol(socket, (protocol) => {
          const got: Buffer[] = [];
          socket.on('data', (c: Buffer) => {
            got.push(c);
            if (Buffer.concat(got).length === total) resolve({ protocol, bytes: Buffer.concat(got) });
          });
          socket.resume();
        });
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, LOOPBACK, resolve));
    cleanup.push(() => server?.close());
    const client = net.connect((server?.address() as AddressInfo).port, LOOPBACK);
    client.on('error', () => {});
    client.setNoDelay(true);
    cleanup.push(() => client.destroy());
    for (const chunk of chunks) {
      client.write(chunk);
      // Separate segments, so the detector sees the preface in pieces.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return verdict;
  }

  it('reads the preface across several segments and gives every byte back to the codec', async () => {
    const frames = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const chunks = [H2_PREFACE.subarray(0, 3), H2_PREFACE.subarray(3, 20), H2_PREFACE.subarray(20), frames];
    const { protocol, bytes } = await detect(chunks);
    expect(protocol).toBe('h2');
    expect(bytes.equals(Buffer.concat(chunks))).toBe(true);
  });

  it('hands an HTTP/1.1 request on untouched', async () => {
    const request = Buffer.from('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
    const { protocol, bytes } = await detect([request]);
    expect(protocol).toBe('http/1.1');
    expect(bytes.equals(request)).toBe(true);
  });
});

describe('the HTTP/2 side of a listener', () => {
  it('turns a stream into a ProxyRequest and completes it with the grpc-status the client got', async () => {
    const { port, completions } = await startListener((req) =>
      Promise.resolve(
        req.path === '/ok'
          ? withTrailers(`${req.protocol} ${req.method} ${req.authority} ${String(req.headers.host)}`, {
              'grpc-status': '0',
            })
          : withTrailers('', { 'grpc-status': '5', 'grpc-message': 'not%20found' }),
      ),
    );
    const session = connect(port);
    const ok = await request(session, { ...GRPC, ':path': '/ok' }, 'ping');
    expect(ok.body).toBe('h2 POST a.shop a.shop');
    expect(ok.trailers?.['grpc-status']).toBe('0');
    const missing = await request(session, { ...GRPC, ':path': '/missing' });
    expect(missing.trailers).toMatchObject({ 'grpc-status': '5', 'grpc-message': 'not%20found' });
    await expect.poll(() => completions.length).toBe(2);
    const byPath = Object.fromEntries(completions.map((c) => [c.req.path, c.completion]));
    expect(byPath['/ok']).toMatchObject({ status: 200, aborted: false, grpcStatus: 0 });
    expect(byPath['/missing']).toMatchObject({ status: 200, aborted: false, grpcStatus: 5 });
    // Layers never see pseudo-headers or connection-scoped fields.
    const fields = Object.keys(completions[0]?.req.headers ?? {});
    expect(fields.filter((f) => f.startsWith(':') || f === 'te')).toEqual([]);
  });

  it("shapes the proxy's own reply to a gRPC request as trailers-only, and counts its grpc-status", async () => {
    const { port, completions } = await startListener((req) =>
      Promise.resolve(localReply(req, 504, 'upstream-timeout', 'request timeout of 100 ms exceeded')),
    );
    const reply = await request(connect(port), GRPC);
    expect(reply.headers).toMatchObject({
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': '4',
      'grpc-message': 'request timeout of 100 ms exceeded',
      [Headers.proxyError]: 'upstream-timeout',
    });
    expect(reply.body).toBe('');
    await expect.poll(() => completions[0]?.completion.grpcStatus).toBe(4);
    // A plain HTTP/2 request gets the plain reply.
    const plain = await request(connect(port), {});
    expect(plain.headers[':status']).toBe(504);
    expect(plain.body).toBe('request timeout of 100 ms exceeded\n');
  });

  it('ends a gRPC call at its grpc-timeout with DEADLINE_EXCEEDED and cancels the work below', async () => {
    let cancelled = false;
    const { port } = await startListener(
      (req) =>
        new Promise((resolve) =>
          req.signal.whenAborted(() => {
            cancelled = true;
            resolve(localReply(req, 499, 'client-aborted', 'client closed the request'));
          }),
        ),
    );
    const started = performance.now();
    const reply = await request(connect(port), { ...GRPC, 'grpc-timeout': '200m' });
    expect(reply.headers['grpc-status']).toBe('4');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(cancelled).toBe(true);
  });

  it('resets the client stream when the response body fails midway, never ending it cleanly', async () => {
    const { port } = await startListener(() => {
      const body = new PassThrough();
      body.write('partial');
      // Once the client has the first bytes, the upstream side fails.
      setImmediate(() => body.destroy(new Error('upstream reset')));
      return Promise.resolve({ status: 200, headers: {}, body });
    });
    const outcome = await new Promise<string>((resolve) => {
      const stream = connect(port).request({ ':path': '/', ':authority': 'a.shop' });
      stream.on('end', () => resolve('ended cleanly'));
      stream.on('error', (err: NodeJS.ErrnoException) => resolve(`reset: ${err.code ?? err.message}`));
      stream.resume();
      stream.end();
    });
    expect(outcome).toBe('reset: ERR_HTTP2_STREAM_ERROR');
  });

  it('counts HTTP/2 connections against the connection limit', async () => {
    const { port, listener } = await startListener(
      (req) => Promise.resolve({ status: 200, headers: {}, body: `hello ${req.protocol}` }),
      { maxConnections: 1 },
    );
    const first = connect(port);
    expect((await request(first, {})).body).toBe('hello h2');
    const second = await request(connect(port), GRPC);
    expect(second.headers).toMatchObject({
      ':status': 200,
      'grpc-status': '14',
      [Headers.proxyError]: 'connection-limit',
    });
    expect(listener.refusedConnections).toBe(1);
  });

  it('writes trailers to an HTTP/1.1 client only when it sent TE: trailers', async () => {
    const { port } = await startListener(() => Promise.resolve(withTrailers('body', { 'grpc-status': '0' })));
    const get = (te: string | undefined) =>
      new Promise<http.IncomingMessage & { text: string }>((resolve, reject) => {
        const req = http.request(
          { host: LOOPBACK, port, path: '/', headers: te ? { te } : {}, agent: false },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve(Object.assign(res, { text })));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const withTe = await get('trailers');
    expect(withTe.text).toBe('body');
    expect(withTe.trailers['grpc-status']).toBe('0');
    const without = await get(undefined);
    expect(without.text).toBe('body');
    expect(without.trailers['grpc-status']).toBeUndefined();
  });

  it('lets a stream in flight finish on drain and refuses new ones with GOAWAY', async () => {
    let release: () => void = () => {};
    const started = await startListener(
      () =>
        new Promise((resolve) => {
          release = () => resolve({ status: 200, headers: {}, body: 'finished' });
        }),
    );
    const listener: Listener = started.listener;
    const session = connect(started.port);
    const inFlight = request(session, {});
    await expect.poll(() => listener.inFlight).toBe(1);
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const drained = listener.drain(5_000);
    // The client is told at once to open no more streams here, while its stream in flight goes on.
    await goaway;
    release();
    expect((await inFlight).body).toBe('finished');
    await drained;
    expect(listener.inFlight).toBe(0);
  });
});
