/**
 * Span timing across two real proxies on one host, each its own process as sidecars run (each converts its
 * monotonic clock to epoch time on its own): every SERVER span of the callee's inbound proxy lies within the
 * CLIENT span of the caller's outbound proxy that is its parent — for quick, slow and streamed answers,
 * streamed request bodies, failures, concurrent requests on kept-alive connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attr, SpanKind, attributeString, exportTraceServiceRequestSchema } from '@weft/schema';
import { LOOPBACK, closedPort, startApp, startOtlpReceiver, waitFor, writeConfig } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface ProxyProcess {
  child: ChildProcess;
  inbound: { host: string; port: number };
  outbound: { host: string; port: number };
}

/** `weft-proxy` as a child process; resolves with its listeners once it printed its ready line. */
async function startProxyProcess(args: Record<string, string>): Promise<ProxyProcess> {
  const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]);
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...argv], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const line = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`weft-proxy exited: ${stderr}`);
    return stdout.includes('\n') && stdout.split('\n')[0];
  }, 30_000);
  const match = /inbound (\S+):(\d+) -> .*, outbound (\S+):(\d+),/.exec(line ?? '');
  if (match === null) throw new Error(`unexpected ready line: ${line}`);
  const [, inHost, inPort, outHost, outPort] = match as unknown as [string, string, string, string, string];
  return {
    child,
    inbound: { host: inHost, port: Number(inPort) },
    outbound: { host: outHost, port: Number(outPort) },
  };
}

interface TimedSpan {
  service: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  path: string;
  start: bigint;
  end: bigint;
}

function spansOf(payloads: unknown[]): TimedSpan[] {
  return payloads.flatMap((p) =>
    exportTraceServiceRequestSchema.parse(p).resourceSpans.flatMap((rs) => {
      const service = attributeString(rs.resource.attributes, Attr.serviceName) ?? '';
      return rs.scopeSpans.flatMap((ss) =>
        ss.spans.map((s) => ({
          service,
          kind: s.kind,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          path: attributeString(s.attributes, Attr.urlPath) ?? '',
          start: s.startTimeUnixNano,
          end: s.endTimeUnixNano,
        })),
      );
    }),
  );
}

/** A gRPC message frame (uncompressed) carrying `text`. */
function grpcFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  payload.copy(frame, 5);
  return frame;
}

/**
 * The application: HTTP/2 (h2c, a gRPC server streaming three messages 10 ms apart, then trailers) on the
 * same port as the HTTP/1.1 app at `h1`, to which other connections are relayed. The callee's proxy talks
 * HTTP/2 to the app for a gRPC call, as it was called.
 */
async function startDualApp(h1: { host: string; port: number }) {
  const h2 = http2.createServer();
  h2.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      let sent = 0;
      const next = (): void => {
        sent++;
        if (sent === 3) stream.end(grpcFrame(`message ${sent}`));
        else {
          stream.write(grpcFrame(`message ${sent}`));
          setTimeout(next, 10);
        }
      };
      next();
    });
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (first.subarray(0, 3).toString('latin1') === 'PRI') {
        socket.unshift(first);
        h2.emit('connection', socket);
        return;
      }
      const upstream = net.connect(h1.port, h1.host);
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      upstream.write(first);
      socket.pipe(upstream).pipe(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostPort: `${LOOPBACK}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An answer whose body comes in `chunks` pieces, `gapMs` apart. */
function streamedAnswer(chunks: number, gapMs: number) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const next = (): void => {
        sent++;
        if (sent === chunks) res.end(`chunk ${sent}\n`);
        else {
          res.write(`chunk ${sent}\n`);
          setTimeout(next, gapMs);
        }
      };
      next();
    });
  };
}

/** A request body that trickles in: `chunks` pieces, `gapMs` apart. */
function tricklingBody(chunks: number, gapMs: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === chunks) {
        this.push(null);
        return;
      }
      sent++;
      setTimeout(() => this.push(Buffer.alloc(1024, 'x')), gapMs);
    },
  });
}

describe('span timing through two proxies', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let app: Awaited<ReturnType<typeof startApp>>;
  let dual: Awaited<ReturnType<typeof startDualApp>>;
  let catalog: ProxyProcess;
  let web: ProxyProcess;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    app = await startApp('catalog', {
      '/stream': streamedAnswer(5, 20),
      '/stream-long': streamedAnswer(20, 5),
    });
    dual = await startDualApp(app.address);
    const common = {
      namespace: 'shop',
      inbound: `${LOOPBACK}:0`,
      outbound: `${LOOPBACK}:0`,
      admin: `${LOOPBACK}:0`,
      'control-plane': receiver.url.href,
      'flush-interval-ms': '50',
      'trace-sampling-percent': '100',
    };
    catalog = await startProxyProcess({
      ...common,
      service: 'catalog',
      version: 'v2',
      app: dual.hostPort,
      'config-file': writeConfig({ version: 'catalog-1', services: [] }),
    });
    web = await startProxyProcess({
      ...common,
      service: 'web',
      version: 'v1',
      app: `${LOOPBACK}:${await closedPort()}`,
      'config-file': writeConfig({
        version: 'web-1',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: [
              {
                proxyId: 'catalog.shop-1',
                address: `${catalog.inbound.host}:${catalog.inbound.port}`,
                version: 'v2',
              },
            ],
          },
        ],
      }),
    });
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    for (const p of [web, catalog]) if (p?.child.exitCode === null) p.child.kill('SIGKILL');
    await dual?.close();
    await app?.close();
    await receiver?.close();
  });

  function request(method: string, path: string, body?: Readable): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: web.outbound.host,
          port: web.outbound.port,
          method,
          path,
          agent,
          headers: { host: 'catalog.shop', ...(body ? { 'transfer-encoding': 'chunked' } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body) body.pipe(req);
      else req.end();
    });
  }

  /** A gRPC call over one HTTP/2 session to web's outbound listener; resolves with its grpc-status. */
  function grpcCall(session: http2.ClientHttp2Session, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        ':authority': 'catalog.shop',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let status = '';
      stream.on(
        'trailers',
        (trailers: http2.IncomingHttpHeaders) => (status = String(trailers['grpc-status'])),
      );
      stream.on('error', reject);
      stream.resume();
      stream.on('end', () => resolve(status));
      stream.end(grpcFrame('hello'));
    });
  }

  it('puts every server span within its client parent over 70 mixed requests, gRPC ones included', async () => {
    const kinds = [
      () => request('GET', '/quick'),
      () => request('GET', '/slow/40'),
      () => request('GET', '/stream'),
      () => request('GET', '/stream-long'),
      () => request('POST', '/upload', tricklingBody(5, 10)),
      () => request('GET', '/status/503'),
    ];
    const session = http2.connect(`http://${web.outbound.host}:${web.outbound.port}`);
    const [statuses, grpcStatuses] = await Promise.all([
      Promise.all(Array.from({ length: 60 }, (_, i) => kinds[i % kinds.length]!())),
      Promise.all(Array.from({ length: 10 }, (_, i) => grpcCall(session, `/test.Stream/Call${i}`))),
    ]);
    session.close();
    const total = 70;
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(grpcStatuses).toEqual(Array.from({ length: 10 }, () => '0'));

    const spans = await waitFor(() => {
      const found = spansOf(receiver.traces);
      return found.length >= total * 2 && found;
    });
    const clients = new Map(
      spans.filter((s) => s.kind === SpanKind.CLIENT && s.service === 'web').map((s) => [s.spanId, s]),
    );
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER && s.service === 'catalog');
    expect(servers).toHaveLength(total);
    const outside = servers.flatMap((server) => {
      const client = clients.get(server.parentSpanId);
      if (client === undefined) return [`${server.path}: no client parent`];
      if (server.start >= client.start && server.end <= client.end) return [];
      const us = (ns: bigint): string => `${Number(ns) / 1000} µs`;
      return [
        `${server.path}: server starts ${us(server.start - client.start)} after its client, ends ${us(client.end - server.end)} before it`,
      ];
    });
    expect(outside).toEqual([]);
  });
});
