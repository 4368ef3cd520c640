/**
 * The terminal's HTTP/2 path: a request that arrived over HTTP/2, or any gRPC request, goes to the upstream
 * as a stream on a shared h2c session (h2-sessions.ts), proxy to proxy and proxy to app alike (as Linkerd
 * does, we assume the server speaks what its client spoke). The response body streams as it arrives and
 * its trailers are handed on (`ProxyResponse.trailers`), which is where gRPC puts `grpc-status`.
 *
 * Failures are thrown as UpstreamError with the error codes upstream-failure.ts already knows, so that
 * retries, outlier detection and the local replies treat them as they treat the HTTP/1.1 pools': a session
 * that cannot connect is a connect failure, a stream reset or a session lost before the response headers a
 * reset, a missed header deadline a timeout. The client (or the request deadline) going away resets the
 * upstream stream with CANCEL, so the server stops working on it.
 */
import http2, {
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { HeaderMap, ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import { isGrpc } from '../http/h2-grpc.ts';
import { resetStream } from '../http/h2-reset.ts';
import type { H2Sessions } from './h2-sessions.ts';
import { UpstreamError } from './upstream-failure.ts';
import { BODY_IDLE_TIMEOUT_MS } from './upstream-pools.ts';

const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/** The undici pools' header deadline, used when no layer set one. */
const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;

/** Fields HTTP/2 forbids (RFC 9113 §8.2.2); node:http2 throws on them. The listeners strip them already. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'http2-settings',
  'expect',
]);

function failure(message: string, code: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code });
}

function abortError(): Error {
  const err = new Error('the request was cancelled');
  err.name = 'AbortError';
  return err;
}

/** The request's head for the upstream stream: pseudo-headers first, `te: trailers` for gRPC. */
export function h2RequestHeaders(req: ProxyRequest, upstream: string): OutgoingHttpHeaders {
  const host = req.headers.host;
  const out: OutgoingHttpHeaders = {
    ':method': req.method,
    ':scheme': 'http',
    ':authority': (typeof host === 'string' ? host : undefined) ?? req.authority ?? upstream,
    ':path': req.path,
  };
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value === undefined || CONNECTION_SPECIFIC.has(name)) continue;
    out[name] = value;
  }
  // gRPC servers may insist on it (grpc-go does): the client promises to read trailers, and we relay them.
  if (isGrpc(req.headers)) out.te = 'trailers';
  return out;
}

/** A received head without its pseudo-headers, as layers expect a HeaderMap. */
export function withoutPseudoHeaders(headers: IncomingHttpHeaders): HeaderMap {
  const out: HeaderMap = {};
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    out[name] = headers[name];
  }
  return out;
}

export async function forwardH2(
  req: ProxyRequest,
  upstream: string,
  sessions: H2Sessions,
): Promise<ProxyResponse> {
  const signal = req.attemptSignal ?? req.signal;
  if (signal.aborted) throw new UpstreamError(upstream, abortError());
  const connected = await sessions.get(upstream);
  if ('error' in connected) {
    const cause = connected.error as NodeJS.ErrnoException;
    // A session error other than a socket's (a peer that is no HTTP/2 server) is not a connect failure.
    throw new UpstreamError(
      upstream,
      typeof cause.code === 'string' && cause.code.startsWith('ERR_HTTP2')
        ? failure(cause.message, 'ECONNRESET', cause)
        : cause,
    );
  }
  if (signal.aborted) throw new UpstreamError(upstream, abortError());
  const session = connected.session;
  let stream: ClientHttp2Stream;
  try {
    stream = session.request(h2RequestHeaders(req, upstream), { endStream: req.body === null });
  } catch (err) {
    // The session went away (GOAWAY) between the lookup and the request: nothing was sent.
    throw new UpstreamError(upstream, failure(`cannot open a stream: ${String(err)}`, 'ECONNRESET', err));
  }
  const untrack = sessions.track(session);
  stream.once('close', untrack);

  const body = req.body;
  if (body !== null) {
    body.once('error', () => {
      resetStream(stream, NGHTTP2_CANCEL);
    });
    body.pipe(stream);
  }

  return new Promise<ProxyResponse>((resolve, reject) => {
    let responded = false;
    let trailers: HeaderMap | undefined;
    const headersTimeoutMs = req.timeoutMs > 0 ? req.timeoutMs : DEFAULT_HEADERS_TIMEOUT_MS;
    const headersTimer = setTimeout(() => {
      cancel(failure(`upstream ${upstream} did not answer in time`, 'UND_ERR_HEADERS_TIMEOUT'));
    }, headersTimeoutMs);

    // Before the response: the promise fails with `err`; after it: the body does, which cuts the client's.
    const cancel = (err: Error): void => {
      resetStream(stream, NGHTTP2_CANCEL);
      if (!responded) {
        settleFailure(err);
        return;
      }
      if (!stream.readableEnded) stream.destroy(err);
    };
    const stopListening = signal.whenAborted(() => cancel(abortError()));
    const settleFailure = (err: unknown): void => {
      if (responded) return;
      responded = true;
      clearTimeout(headersTimer);
      stopListening();
      reject(new UpstreamError(upstream, err));
    };

    stream.on('headers', (head: IncomingHttpHeaders) => {
      const status = Number(head[':status']);
      if (status >= 100 && status < 200)
        req.onInterim?.({ statusCode: status, headers: withoutPseudoHeaders(head) });
    });
    stream.once('trailers', (fields: IncomingHttpHeaders) => {
      trailers = withoutPseudoHeaders(fields);
    });
    stream.once('response', (head: IncomingHttpHeaders, flags: number) => {
      if (responded) return;
      responded = true;
      clearTimeout(headersTimer);
      stream.once('close', stopListening);
      const idleMs = req.idleTimeoutMs > 0 ? req.idleTimeoutMs : BODY_IDLE_TIMEOUT_MS;
      stream.setTimeout(idleMs, () =>
        cancel(failure(`upstream ${upstream} body idle`, 'UND_ERR_BODY_TIMEOUT')),
      );
      // (`stream.endAfterHeaders` is not set yet when 'response' fires on Node 20; the frame's flags are.)
      const ended = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
      // A head with END_STREAM (gRPC's trailers-only answer, a 204): nothing to relay after it.
      if (ended) stream.resume();
      resolve({
        status: Number(head[':status']),
        headers: withoutPseudoHeaders(head),
        body: ended ? null : stream,
        trailers: () => trailers,
      });
    });
    stream.once('error', (err: NodeJS.ErrnoException) => {
      settleFailure(failure(`stream reset: ${err.message}`, 'ECONNRESET', err));
    });
    stream.once('close', () => {
      // Reset by the upstream (or the session lost) before any response head.
      settleFailure(
        failure(`stream closed (code ${stream.rstCode ?? 'unknown'}) before a response`, 'ECONNRESET'),
      );
    });
  });
}
