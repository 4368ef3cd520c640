/**
 * The HTTP/2 side of a data listener (h2c with prior knowledge): listener.ts detects the connection preface
 * on a new connection (protocol-detect.ts) and hands the socket here, to a node:http2 server that never
 * listens itself. Each stream becomes the same ProxyRequest an HTTP/1.1 request does (`protocol: 'h2'`,
 * `:authority` as authority and Host, pseudo-headers and connection-scoped fields removed) and runs through
 * the same layer stack; the response is written back with its trailers (`ProxyResponse.trailers`, gRPC's
 * `grpc-status`), and the proxy's own replies to a gRPC request are gRPC-shaped (h2-grpc.ts).
 *
 * The listener's limits hold for HTTP/2 too: its connections count against `maxConnections` (a stream on a
 * connection beyond it gets 503 `connection-limit` and the session is closed with GOAWAY), a session idle for
 * the keep-alive timeout is closed, and drain sends GOAWAY at once (streams in flight finish) and cuts what is
 * left after the grace period. Per connection, at most H2_MAX_CONCURRENT_STREAMS streams and header blocks of
 * H2_MAX_HEADER_LIST_SIZE bytes.
 */
import type http from 'node:http';
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { Headers } from '@weft/schema';
import type { Logger } from '../log.ts';
import { ClientSignal } from './client-signal.ts';
import { ProxyRequest, type HeaderMap, type ProxyErrorKind, type ProxyResponse } from './exchange.ts';
import { grpcShapedReply, grpcStatusOf, isGrpc, parseGrpcTimeout } from './h2-grpc.ts';
import { resetStream } from './h2-reset.ts';
import { withoutHopByHop } from './hop-by-hop.ts';
import type { Handler } from './layer.ts';
import type { ListenerLimits } from './listener-limits.ts';
import { detectProtocol } from './protocol-detect.ts';

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/**
 * Streams one client connection may have open at once. 100 is RFC 9113's recommended minimum and what
 * clients are built to expect (Go's server allows 250, nginx 128; Envoy's default of 2^31 − 1 leaves the
 * bound to its overload manager, which we do not have). Each stream holds an upstream stream and buffers,
 * so this with `maxConnections` bounds the work clients can pin on a listener; a client with more requests
 * queues them on its side instead of being refused.
 */
export const H2_MAX_CONCURRENT_STREAMS = 100;
/**
 * Largest header block accepted (HPACK-decoded size, RFC 9113 §6.5.2): node:http's 16 KiB limit for
 * HTTP/1.1, so a request is acceptable or not whichever protocol carried it.
 */
export const H2_MAX_HEADER_LIST_SIZE = 16 * 1024;

export interface H2ListenerOptions {
  handler: Handler;
  log: Logger;
  limits: ListenerLimits;
  /** True for a connection accepted beyond the listener's connection limit. */
  isOverLimit: (socket: Socket) => boolean;
  isDraining: () => boolean;
  /** An exchange started / ended (the listener's in-flight count, which drain waits on). */
  exchangeStarted: () => void;
  exchangeEnded: () => void;
}

export interface H2Listener {
  /** Takes over a socket whose first bytes are the HTTP/2 preface (still unread, on the socket). */
  accept(socket: Socket): void;
  /** Sessions open now. */
  readonly sessions: number;
  /** GOAWAY to every session: no new streams, those in flight finish. */
  closeSessions(): void;
  /** Cuts every session that still has streams open (the others close by themselves after GOAWAY). */
  destroySessions(): void;
}

export function createH2Listener(o: H2ListenerOptions): H2Listener {
  const server = http2.createServer({
    settings: {
      maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS,
      maxHeaderListSize: H2_MAX_HEADER_LIST_SIZE,
    },
    maxHeaderListPairs: 256,
  });
  // Open streams per session: an idle session (none) is closed after the keep-alive timeout.
  const sessions = new Map<Http2Session, { socket: Socket; streams: number }>();
  let accepting: Socket | undefined;

  server.on('session', (session: Http2Session) => {
    const socket = accepting;
    if (socket === undefined) return;
    const state = { socket, streams: 0 };
    sessions.set(session, state);
    session.once('close', () => sessions.delete(session));
    session.on('error', () => {});
    session.setTimeout(o.limits.keepAliveTimeoutMs, () => {
      if (state.streams === 0) session.close();
    });
    if (o.isDraining()) session.close();
  });
  server.on('stream', (stream: ServerHttp2Stream, head: IncomingHttpHeaders, flags: number) => {
    const state = sessions.get(stream.session as Http2Session);
    if (state === undefined) {
      resetStream(stream, NGHTTP2_INTERNAL_ERROR);
      return;
    }
    state.streams++;
    stream.once('close', () => state.streams--);
    onStream(o, stream, head, (flags & NGHTTP2_FLAG_END_STREAM) !== 0, state.socket);
  });

  return {
    accept(socket) {
      // The session's own idle timeout takes over from the listener's first-bytes deadline (the socket's
      // timer would no longer see the traffic once node:http2 reads the socket directly).
      socket.setTimeout(0);
      accepting = socket;
      try {
        server.emit('connection', socket);
      } finally {
        accepting = undefined;
      }
    },
    get sessions() {
      return sessions.size;
    },
    closeSessions() {
      for (const session of sessions.keys()) session.close();
    },
    destroySessions() {
      // A session without streams was sent GOAWAY by closeSessions and closes once its last frames are
      // out; destroying it now could cut the end of a response that has just finished.
      for (const [session, state] of sessions) if (state.streams > 0) session.destroy();
    },
  };
}

/**
 * Puts protocol detection in front of `server`'s HTTP/1.1 codec: each new connection's first bytes decide
 * whether `h2` or the codec takes it. Call before adding other 'connection' listeners (they still run for
 * every connection, HTTP/2 ones included: the connection limit counts both). A connection that sends nothing
 * is closed by the listener's first-bytes deadline (the socket timeout it sets).
 */
export function detectHttp2On(server: http.Server, h2: H2Listener): void {
  const http1 = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const onTimeout = (): void => {
      socket.destroy();
    };
    socket.on('timeout', onTimeout);
    detectProtocol(socket, (protocol) => {
      socket.off('timeout', onTimeout);
      if (protocol === 'h2') {
        h2.accept(socket);
        return;
      }
      for (const listener of http1) listener.call(server, socket);
      socket.resume();
    });
  });
}

function onStream(
  o: H2ListenerOptions,
  stream: ServerHttp2Stream,
  head: IncomingHttpHeaders,
  /** The head came with END_STREAM: no body. */
  endStream: boolean,
  socket: Socket,
): void {
  // A client reset reaches the stream as an error when nothing reads it; the exchange ends through 'close'.
  stream.on('error', () => {});
  const method = head[':method'] ?? 'GET';
  const grpc = isGrpc(head);
  if (o.isOverLimit(socket)) {
    respondOwn(
      stream,
      grpc,
      503,
      'connection-limit',
      'proxy overloaded: this listener holds its maximum of connections; retry shortly',
      { 'retry-after': '1' },
    );
    stream.session?.close();
    return;
  }
  if (method === 'CONNECT') {
    respondOwn(stream, grpc, 405, 'bad-request', 'CONNECT is not supported: send plain HTTP requests');
    return;
  }
  const headers = requestHeaders(head);
  const authority = head[':authority'] ?? (typeof headers.host === 'string' ? headers.host : undefined);
  // Layers (request target, routing, forwarded) read the authority from Host, as on HTTP/1.1.
  if (authority !== undefined) headers.host = authority;
  const exchange = new ProxyRequest({
    method,
    path: head[':path'] ?? '/',
    authority,
    headers,
    body: endStream ? null : stream,
    remoteAddress: socket.remoteAddress ?? '',
    receivedAt: performance.now(),
    signal: new ClientSignal(),
  });
  exchange.protocol = 'h2';
  exchange.onInterim = (info) => {
    if (info.statusCode < 102 || info.statusCode > 199 || stream.headersSent || stream.closed) return;
    try {
      stream.additionalHeaders({ ...withoutHopByHop(info.headers), ':status': info.statusCode });
    } catch {
      // An interim head node:http2 refuses is dropped: the final response still comes.
    }
  };
  const written: Written = { status: 0, headers: undefined, trailers: undefined, ended: false };
  o.exchangeStarted();

  // gRPC's own deadline (`grpc-timeout`) bounds the exchange: past it the client gets DEADLINE_EXCEEDED
  // and the upstream stream is cancelled, whatever deadline the proxy's policies allow.
  const grpcTimeoutMs = grpc ? parseGrpcTimeout(headers['grpc-timeout']) : undefined;
  const grpcTimer =
    grpcTimeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          if (stream.headersSent) {
            resetStream(stream, NGHTTP2_CANCEL);
          } else {
            exchange.error = 'upstream-timeout';
            writeResponse(
              stream,
              exchange,
              ownReply(504, 'upstream-timeout', `grpc-timeout of ${grpcTimeoutMs} ms exceeded`),
              written,
            );
          }
          exchange.signal.abort();
        }, grpcTimeoutMs);

  stream.once('close', () => {
    if (grpcTimer !== undefined) clearTimeout(grpcTimer);
    if (!written.ended) exchange.signal.abort();
    o.exchangeEnded();
    exchange.complete({
      status: written.status,
      endedAt: (written.ended ? written.endedAt : undefined) ?? performance.now(),
      aborted:
        !written.ended ||
        (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR && written.status === 0),
      grpcStatus:
        grpc && written.headers !== undefined ? grpcStatusOf(written.headers, written.trailers) : undefined,
    });
  });

  o.handler(exchange).then(
    (response) => writeResponse(stream, exchange, response, written),
    (err: unknown) => {
      o.log.error(
        `unhandled error in the layer stack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      writeResponse(stream, exchange, ownReply(500, 'internal-error', 'internal proxy error'), written);
    },
  );
}

/** What was written to the client, for the exchange's completion. */
interface Written {
  status: number;
  headers: HeaderMap | undefined;
  trailers: HeaderMap | undefined;
  /** The whole response (trailers included) was handed to the stream. */
  ended: boolean;
  /**
   * The end of the exchange (its span, its latency): `performance.now()` read just before the response's last
   * bytes were handed to the stream, as the HTTP/1.1 listener reads it (`LastByteClock`, listener.ts).
   */
  endedAt?: number;
}

function markLastByte(written: Written): void {
  written.endedAt = performance.now();
}

function requestHeaders(head: IncomingHttpHeaders): HeaderMap {
  const fields: HeaderMap = {};
  for (const name in head) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    fields[name] = head[name];
  }
  // `te: trailers` among them: the terminal asks for trailers itself on gRPC streams.
  return withoutHopByHop(fields);
}

function ownReply(status: number, kind: ProxyErrorKind, message: string): ProxyResponse {
  return {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      [Headers.proxyError]: kind,
      'cache-control': 'no-store',
    },
    body: `${message}\n`,
  };
}

/** A reply before any layer runs (outside telemetry), gRPC-shaped for a gRPC client. */
function respondOwn(
  stream: ServerHttp2Stream,
  grpc: boolean,
  status: number,
  kind: ProxyErrorKind,
  message: string,
  extra: Record<string, string> = {},
): void {
  const reply = ownReply(status, kind, message);
  Object.assign(reply.headers, extra);
  writeBody(stream, grpc ? grpcShapedReply(reply) : reply, {
    status: 0,
    headers: undefined,
    trailers: undefined,
    ended: false,
  });
}

function writeResponse(
  stream: ServerHttp2Stream,
  exchange: ProxyRequest,
  response: ProxyResponse,
  written: Written,
): void {
  const shaped = isGrpc(exchange.headers) ? grpcShapedReply(response) : response;
  if (stream.headersSent || stream.closed || stream.destroyed) {
    const body = shaped.body;
    if (body !== null && typeof body !== 'string') body.destroy();
    return;
  }
  writeBody(stream, shaped, written);
}

function writeBody(stream: ServerHttp2Stream, response: ProxyResponse, written: Written): void {
  const body = response.body;
  const headers = withoutHopByHop(response.headers);
  if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
  if (body === null) markLastByte(written);
  try {
    stream.respond(
      { ...headers, ':status': response.status },
      { endStream: body === null, waitForTrailers: body !== null && typeof body !== 'string' },
    );
  } catch {
    if (body !== null && typeof body !== 'string') body.destroy();
    resetStream(stream, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  written.status = response.status;
  written.headers = headers;
  if (body === null) {
    written.ended = true;
    return;
  }
  if (typeof body === 'string') {
    markLastByte(written);
    stream.end(body);
    written.ended = true;
    return;
  }
  // Before pipe's own listener writes each chunk: the last reading precedes the last data frame.
  body.on('data', () => markLastByte(written));
  stream.once('wantTrailers', () => {
    const trailers = response.trailers?.();
    const fields = trailers === undefined ? {} : trailerFields(trailers);
    written.trailers = fields;
    if (written.endedAt === undefined) markLastByte(written);
    try {
      stream.sendTrailers(fields);
    } catch {
      resetStream(stream, NGHTTP2_INTERNAL_ERROR);
      return;
    }
    written.ended = true;
  });
  // A body that fails midway (the upstream reset, a deadline cut it) resets the client's stream: the
  // client must not take a truncated body for a whole one.
  body.once('error', () => {});
  body.once('close', () => {
    if (!body.readableEnded) resetStream(stream, NGHTTP2_INTERNAL_ERROR);
  });
  stream.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(stream);
}

/** Trailers as HTTP/2 allows them: no pseudo-headers, no connection-scoped fields. */
function trailerFields(trailers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  const fields = withoutHopByHop(trailers);
  for (const name in fields) {
    if (name.charCodeAt(0) === 58 || name === 'content-length') continue;
    out[name] = fields[name];
  }
  return out;
}
