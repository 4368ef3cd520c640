/**
 * The HTTP/1.1 side facing clients (Envoy's listener + codec + connection manager): turns each node:http
 * request into a ProxyRequest, runs the layer stack, writes the ProxyResponse back, and reports how the
 * exchange ended. Connection-scoped fields are removed here, on the request before the first layer and on
 * the response after the last, so no layer sees them and none of the fields layers set can be named away.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Headers } from '@weft/schema';
import type { Logger } from '../log.ts';
import { ClientSignal } from './client-signal.ts';
import { ProxyRequest, type ProxyResponse } from './exchange.ts';
import { withoutHopByHop } from './hop-by-hop.ts';
import type { Handler } from './layer.ts';

export interface Listener {
  readonly server: http.Server;
  /** Exchanges whose response has not finished yet. */
  readonly inFlight: number;
  /** Stops accepting, lets in-flight exchanges finish for up to `graceMs`, then cuts the rest. */
  drain(graceMs: number): Promise<void>;
}

export function createListener(handler: Handler, log: Logger): Listener {
  let inFlight = 0;
  let idleWaiter: (() => void) | undefined;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const receivedAt = performance.now();
    const received = req.headers;
    const headers = withoutHopByHop(received);
    const signal = new ClientSignal();
    const exchange = new ProxyRequest({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authority: typeof headers.host === 'string' ? headers.host : undefined,
      headers,
      body: hasBody(received) ? req : null,
      remoteAddress: req.socket.remoteAddress ?? '',
      receivedAt,
      signal,
    });
    inFlight++;
    res.once('close', () => {
      // end() was called: the whole response was handed to the socket. (writableFinished would also
      // wait for the socket buffer to drain, which under load it often has not by 'close'.)
      const finished = res.writableEnded;
      if (!finished) signal.abort();
      inFlight--;
      if (inFlight === 0 && idleWaiter) idleWaiter();
      exchange.complete({
        status: res.headersSent ? res.statusCode : 0,
        endedAt: performance.now(),
        aborted: !finished,
      });
    });
    handler(exchange).then(
      (response) => send(res, response),
      (err: unknown) => {
        log.error(
          `unhandled error in the layer stack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, {
            'content-type': 'text/plain; charset=utf-8',
            [Headers.proxyError]: 'internal-error',
          });
          res.end('internal proxy error\n');
        } else {
          res.destroy();
        }
      },
    );
  };

  const server = http.createServer({ noDelay: true }, onRequest);
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    const body = 'CONNECT is not supported: send plain HTTP requests (absolute-form or with a Host header)\n';
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\ncontent-type: text/plain; charset=utf-8\r\n${Headers.proxyError}: bad-request\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  return {
    server,
    get inFlight() {
      return inFlight;
    },
    async drain(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idleWaiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

function hasBody(headers: IncomingMessage['headers']): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

function send(res: ServerResponse, response: ProxyResponse): void {
  const body = response.body;
  if (res.destroyed) {
    if (body !== null && typeof body !== 'string') body.destroy();
    return;
  }
  try {
    const headers = withoutHopByHop(response.headers);
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(response.status, headers);
  } catch (err) {
    if (body !== null && typeof body !== 'string') body.destroy();
    res.destroy(err as Error);
    return;
  }
  if (body === null) res.end();
  else if (typeof body === 'string') res.end(body);
  else relayBody(body, res);
}

/**
 * body → res with backpressure. Not stream.pipeline: that allocates and fires an AbortController per
 * call, a measurable share of the per-request cost here.
 */
function relayBody(body: Readable, res: ServerResponse): void {
  body.once('error', (err) => res.destroy(err));
  // Client gone before the body ended: stop reading, which lets undici drop the upstream connection.
  res.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(res);
}
