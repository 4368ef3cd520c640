/**
 * The HTTP/1.1 side facing clients (Envoy's listener + codec + connection manager): turns each node:http
 * request into a ProxyRequest, runs the layer stack, writes the ProxyResponse back, and reports how the
 * exchange ended. Connection-scoped fields are removed here, on the request before the first layer and on
 * the response after the last, so no layer sees them and none of the fields layers set can be named away.
 *
 * It also protects the process (listener-limits.ts): a connection limit (beyond it, requests are answered
 * 503 `connection-limit` and the connection closed; only a few such connections wait at a time, the
 * oldest dropped for the newest), header and request deadlines (slowloris: 408 and close), an idle keep-alive timeout longer
 * than any client's, and a 400 that closes the connection for anything the parser refuses (client-error.ts:
 * the request-smuggling shapes among them). Interim responses (102, 103, …) from the upstream are relayed,
 * and protocol switches (WebSocket) tunnelled (upgrade/).
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Headers } from '@weft/schema';
import type { Logger } from '../log.ts';
import { clientErrorReply, rawClientErrorResponse } from './client-error.ts';
import { ClientSignal } from './client-signal.ts';
import { ProxyRequest, type HeaderMap, type ProxyErrorKind, type ProxyResponse } from './exchange.ts';
import { withoutHopByHop } from './hop-by-hop.ts';
import type { Handler } from './layer.ts';
import { requestFramingProblem } from './request-framing.ts';
import { createH2Listener, detectHttp2On } from './h2-listener.ts';
import { grpcShapedReply, grpcStatusOf, isGrpc } from './h2-grpc.ts';
import { answerUpgrade, CONNECT, rawHead } from '../upgrade/tunnel.ts';
import {
  connectionsCheckingIntervalMs,
  DEFAULT_LISTENER_LIMITS,
  FALLBACK_MAX_CONNECTIONS,
  refusalAllowance,
  type ListenerLimits,
} from './listener-limits.ts';

export interface Listener {
  readonly server: http.Server;
  /** Exchanges whose response has not finished yet. */
  readonly inFlight: number;
  /** Client connections open now (those being refused included). */
  readonly openConnections: number;
  /** Connections accepted beyond `maxConnections` since the start (answered 503 or dropped). */
  readonly refusedConnections: number;
  /** Requests refused for their framing (400, 408, 431, 501: parser errors, smuggling shapes, slowloris). */
  readonly malformedRequests: number;
  readonly limits: ListenerLimits;
  /**
   * Stops accepting, lets in-flight exchanges finish for up to `graceMs` (their responses say
   * `Connection: close`, idle keep-alive connections are closed at once), then cuts the rest.
   */
  drain(graceMs: number): Promise<void>;
}

export interface ListenerOptions {
  /** "inbound" / "outbound", for log lines. */
  name?: string;
  limits?: Partial<ListenerLimits>;
  /**
   * Handles CONNECT requests (outbound only: egress tunnels); its answer 200 with `req.upgrade.upstream` set
   * joins the two sockets. Absent: CONNECT is answered 405.
   */
  connect?: Handler;
}

/** How long a connection over the limit may take to send the request that gets its 503. */
const OVER_LIMIT_GRACE_MS = 1_000;
/** How long a refused client may take to read its 400/408/431 before the socket is destroyed. */
const CLIENT_ERROR_LINGER_MS = 1_000;

export function createListener(handler: Handler, log: Logger, options: ListenerOptions = {}): Listener {
  const limits: ListenerLimits = {
    maxConnections: FALLBACK_MAX_CONNECTIONS,
    ...DEFAULT_LISTENER_LIMITS,
    ...options.limits,
  };
  const name = options.name ?? 'listener';
  let inFlight = 0;
  let idleWaiter: (() => void) | undefined;
  let draining = false;
  let refusedConnections = 0;
  let malformedRequests = 0;
  // Client connections within the limit, and (in arrival order) those beyond it waiting for their 503.
  let admitted = 0;
  const overLimit = new Set<Socket>();
  // Connections the listener answered and is closing: requests pipelined behind that answer are never
  // forwarded (after a framing error, where they start is exactly what cannot be trusted).
  const closing = new WeakSet<Socket>();
  const refuse = (
    res: ServerResponse,
    status: number,
    kind: ProxyErrorKind,
    message: string,
    extra?: Record<string, string>,
  ): void => {
    closing.add(res.socket as Socket);
    replyAndClose(res, status, kind, message, extra);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (closing.has(req.socket)) return;
    // The first request arrived: the silent-connection deadline set on 'connection' is done with.
    if (req.socket.timeout) req.socket.setTimeout(0);
    if (overLimit.has(req.socket)) {
      refuse(
        res,
        503,
        'connection-limit',
        `proxy overloaded: this listener holds its maximum of ${limits.maxConnections} connections; retry shortly`,
        { 'retry-after': '1' },
      );
      return;
    }
    const framing = requestFramingProblem(req);
    if (framing !== undefined) {
      malformedRequests++;
      refuse(res, framing.status, 'bad-request', framing.message);
      return;
    }
    const exchange = exchangeFor(req, hasBody(req.headers) ? req : null);
    const signal = exchange.signal;
    // Trailers go to an HTTP/1.1 client only when it said it reads them (RFC 9110 §6.5.1).
    const te = req.headers.te;
    const acceptsTrailers = te !== undefined && /(^|,)\s*trailers\s*(;|,|$)/i.test(String(te));
    let sent: ProxyResponse | undefined;
    // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
    if (req.httpVersionMinor >= 1)
      exchange.onInterim = (info) => writeInterim(res, info.statusCode, info.headers);
    inFlight++;
    const lastByte = new LastByteClock();
    res.once('close', () => {
      // end() was called: the whole response was handed to the socket. (writableFinished would also
      // wait for the socket buffer to drain, which under load it often has not by 'close'.)
      const finished = res.writableEnded;
      if (!finished) signal.abort();
      inFlight--;
      if (inFlight === 0 && idleWaiter) idleWaiter();
      exchange.complete({
        status: res.headersSent ? res.statusCode : 0,
        endedAt: (finished ? lastByte.at : undefined) ?? performance.now(),
        aborted: !finished,
        grpcStatus:
          sent !== undefined && isGrpc(exchange.headers)
            ? grpcStatusOf(sent.headers, acceptsTrailers ? sent.trailers?.() : undefined)
            : undefined,
      });
    });
    handler(exchange).then(
      (response) => {
        sent = isGrpc(exchange.headers) ? grpcShapedReply(response) : response;
        send(res, sent, draining, acceptsTrailers, lastByte);
      },
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

  // Open WebSocket (and other upgraded) connections: node:http forgets them, so drain cuts them itself.
  const tunnels = new Set<Socket>();
  // A protocol switch (WebSocket), or a CONNECT tunnel (egress, outbound only): one exchange through `h` that
  // lasts as long as the tunnel; `prepare` says what the exchange is.
  const tunnelled =
    (h: Handler, prepare: (req: IncomingMessage, exchange: ProxyRequest) => void) =>
    (req: IncomingMessage, socket: Socket, clientHead: Buffer): void => {
      // Until the tunnel's own handlers take over; node:http has detached its own.
      socket.on('error', () => socket.destroy());
      // A tunnel may stay quiet for long: its two ends decide when it is over, not the header deadline.
      socket.setTimeout(0);
      const framing = overLimit.has(socket)
        ? undefined
        : (requestFramingProblem(req) ?? (draining ? DRAINING_UPGRADE : undefined));
      if (overLimit.has(socket) || framing !== undefined) {
        if (framing !== undefined && framing !== DRAINING_UPGRADE) malformedRequests++;
        const status = framing?.status ?? 503;
        const kind: ProxyErrorKind = framing === undefined ? 'connection-limit' : 'bad-request';
        const message =
          framing?.message ??
          `proxy overloaded: this listener holds its maximum of ${limits.maxConnections} connections`;
        socket.end(rawReply(status, kind, message));
        return;
      }
      const exchange = exchangeFor(req, null);
      prepare(req, exchange);
      inFlight++;
      tunnels.add(socket);
      let ended = false;
      const finish = (status: number, aborted: boolean): void => {
        if (ended) return;
        ended = true;
        tunnels.delete(socket);
        inFlight--;
        if (inFlight === 0 && idleWaiter) idleWaiter();
        exchange.complete({ status, endedAt: performance.now(), aborted });
      };
      const clientGone = (): void => exchange.signal.abort();
      socket.once('close', clientGone);
      h(exchange).then(
        (response) => {
          socket.off('close', clientGone);
          if (socket.destroyed) {
            exchange.upgrade?.upstream?.socket.destroy();
            if (response.body !== null && typeof response.body !== 'string') response.body.destroy();
            finish(0, true);
            return;
          }
          answerUpgrade(exchange, response, socket, clientHead, finish);
        },
        (err: unknown) => {
          log.error(
            `unhandled error in the layer stack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          );
          exchange.upgrade?.upstream?.socket.destroy();
          socket.end(rawReply(500, 'internal-error', 'internal proxy error'));
          finish(500, true);
        },
      );
    };

  const server = http.createServer(
    {
      noDelay: true,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
      // Checked in requestFramingProblem, so that the 400 carries x-weft-proxy-error like our other replies.
      requireHostHeader: false,
    },
    onRequest,
  );
  // HTTP/2 with prior knowledge (h2c) on the same port: the preface decides (h2-listener.ts).
  const h2 = createH2Listener({
    handler,
    log,
    limits,
    isOverLimit: (socket) => overLimit.has(socket),
    isDraining: () => draining,
    exchangeStarted: () => inFlight++,
    exchangeEnded: () => {
      inFlight--;
      if (inFlight === 0 && idleWaiter) idleWaiter();
    },
  });
  detectHttp2On(server, h2);
  server.on('connection', (socket: Socket) => {
    // Node's header deadline misses a connection that never sends a byte (measured on Node 20: such
    // sockets stay open indefinitely); without a request by the header deadline it is closed (Node
    // destroys a socket whose timeout nobody handles).
    socket.setTimeout(limits.headersTimeoutMs);
    if (admitted < limits.maxConnections) {
      admitted++;
      socket.once('close', () => admitted--);
      return;
    }
    refusedConnections++;
    // Each refusal holds a descriptor for up to a second, so only a few wait at a time. The oldest makes
    // room for the newest: under a flood of idle connections, the oldest has had its chance to send a
    // request, and a client that just connected still gets its clear 503 instead of a dropped connection.
    if (overLimit.size >= refusalAllowance(limits.maxConnections)) {
      const oldest = overLimit.values().next().value;
      if (oldest !== undefined) {
        overLimit.delete(oldest);
        oldest.destroy();
      }
    }
    overLimit.add(socket);
    const timer = setTimeout(() => socket.destroy(), OVER_LIMIT_GRACE_MS);
    socket.once('close', () => {
      overLimit.delete(socket);
      clearTimeout(timer);
    });
  });
  server.on(
    'upgrade',
    tunnelled(handler, (req, exchange) => (exchange.upgrade = { protocol: String(req.headers.upgrade) })),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const reply = clientErrorReply(err);
    if (reply !== undefined) malformedRequests++;
    const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    // Only when no response has started on this connection: anything else would corrupt it.
    if (reply === undefined || !socket.writable || (current != null && current.headersSent)) {
      socket.destroy();
      return;
    }
    socket.end(rawClientErrorResponse(reply));
    setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
  });
  let acceptErrorLogged = false;
  server.on('error', (err: NodeJS.ErrnoException) => {
    // Bind errors are listen.ts's to report; once listening, an accept failure (EMFILE) must not crash us.
    if (!server.listening || acceptErrorLogged) return;
    acceptErrorLogged = true;
    log.error(`${name} listener cannot accept connections: ${err.code ?? err.message} (logged once)`);
  });
  const connect = options.connect;
  if (connect !== undefined) {
    // CONNECT host:port (authority-form): the exchange's authority is the target, not the Host field.
    server.on(
      'connect',
      tunnelled(connect, (req, exchange) => {
        exchange.authority = req.url;
        exchange.upgrade = { protocol: CONNECT };
      }),
    );
  } else
    server.on('connect', (_req: IncomingMessage, socket: Socket) => {
      const body =
        'CONNECT is not supported: send plain HTTP requests (absolute-form or with a Host header)\n';
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
    get openConnections() {
      return admitted + overLimit.size;
    },
    get refusedConnections() {
      return refusedConnections;
    },
    get malformedRequests() {
      return malformedRequests;
    },
    limits,
    async drain(graceMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      h2.closeSessions();
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
      h2.destroySessions();
      for (const tunnel of tunnels) tunnel.destroy();
      await closed;
    },
  };
}

/** Refusal of an upgrade that arrives while draining: a tunnel would outlive the drain. */
const DRAINING_UPGRADE = {
  status: 503,
  message: 'proxy shutting down: no new upgraded connections',
} as const;

function exchangeFor(req: IncomingMessage, body: Readable | null): ProxyRequest {
  const headers = withoutHopByHop(req.headers);
  return new ProxyRequest({
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    authority: typeof headers.host === 'string' ? headers.host : undefined,
    headers,
    body,
    remoteAddress: req.socket.remoteAddress ?? '',
    receivedAt: performance.now(),
    signal: new ClientSignal(),
  });
}

/** A whole response of the listener's own as bytes, for sockets node:http has handed over. */
function rawReply(status: number, kind: ProxyErrorKind, message: string): string {
  const body = `${message}\n`;
  return (
    rawHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      [Headers.proxyError]: kind,
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    }) + body
  );
}

function hasBody(headers: IncomingMessage['headers']): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * When the exchange ended, for its span and latency: read just before the response's last bytes are handed to
 * the socket (before the last body chunk is written, or before `end()` of a response without one). Not at
 * 'close', nor right after the write: writing to a socket wakes the reader, and on a busy host the kernel may
 * run the reader first — the caller's proxy reads the end, answers its own client and ends its CLIENT span
 * before this process reads its clock, and the callee's SERVER span would end after its parent
 * (span-timing.integration.test.ts; 44 % of the demo's server spans did, by 0.1 to 10 ms).
 */
export class LastByteClock {
  at: number | undefined = undefined;
  readonly mark = (): void => {
    this.at = performance.now();
  };
}

function send(
  res: ServerResponse,
  response: ProxyResponse,
  draining: boolean,
  acceptsTrailers = false,
  lastByte?: LastByteClock,
): void {
  const body = response.body;
  if (res.destroyed) {
    if (body !== null && typeof body !== 'string') body.destroy();
    return;
  }
  try {
    const headers = withoutHopByHop(response.headers);
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    // The client must not send another request on a connection about to go away.
    if (draining) headers.connection = 'close';
    res.writeHead(response.status, headers);
  } catch (err) {
    if (body !== null && typeof body !== 'string') body.destroy();
    res.destroy(err as Error);
    return;
  }
  if (body === null || typeof body === 'string') {
    lastByte?.mark();
    res.end(body ?? undefined);
  } else {
    const trailers = response.trailers;
    // Before pipe's own listeners, which write each chunk and end the response: the time is read before
    // each write, so the last reading precedes the last byte (a body without data: before end()).
    if (lastByte !== undefined) {
      body.on('data', lastByte.mark);
      body.once('end', () => {
        if (lastByte.at === undefined) lastByte.mark();
      });
    }
    if (acceptsTrailers && trailers !== undefined) body.once('end', () => addTrailers(res, trailers()));
    relayBody(body, res);
  }
}

/** Trailers on a chunked response (node:http writes them only there), connection-scoped fields left out. */
function addTrailers(res: ServerResponse, trailers: HeaderMap | undefined): void {
  if (trailers === undefined) return;
  const fields = withoutHopByHop(trailers);
  const out: Record<string, string | string[]> = {};
  for (const name in fields) {
    const value = fields[name];
    if (value !== undefined && name !== 'content-length') out[name] = value;
  }
  try {
    res.addTrailers(out);
  } catch {
    // A trailer node:http refuses (invalid characters) is dropped rather than failing the response.
  }
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

/** A reply of the listener's own, before any layer (so outside telemetry); the connection goes with it. */
function replyAndClose(
  res: ServerResponse,
  status: number,
  kind: ProxyErrorKind,
  message: string,
  extra: Record<string, string> = {},
): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    [Headers.proxyError]: kind,
    'cache-control': 'no-store',
    ...extra,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/**
 * An upstream's 1xx (102 Processing, 103 Early Hints, …) written ahead of the final response. 100 is not
 * relayed (the listener answered the client's Expect itself) nor 101 (upgrades take another path).
 */
function writeInterim(res: ServerResponse, status: number, headers: HeaderMap): void {
  if (status < 102 || status > 199 || res.headersSent || res.writableEnded) return;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Interim'}\r\n`;
  const fields = withoutHopByHop(headers);
  for (const field in fields) {
    const value = fields[field];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${field}: ${v}\r\n`;
  }
  // _writeRaw is what writeEarlyHints and writeProcessing use: it queues behind earlier pipelined
  // responses instead of writing to the socket out of turn. (writeEarlyHints itself insists on a Link
  // field of one strict shape and would drop other 103s.)
  (res as unknown as { _writeRaw(data: string, encoding: BufferEncoding): boolean })._writeRaw(
    `${head}\r\n`,
    'latin1',
  );
}
