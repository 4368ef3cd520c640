/**
 * Outbound timeouts as real deadlines (Envoy's route timeout and per-try timeout).
 *
 * requestDeadline: the request timeout bounds the whole exchange, every try, backoff wait and the response
 * body included. Missed before the response headers were handed on: 504 `upstream-timeout`, and the upstream
 * work is cancelled (the terminal listens to `req.attemptSignal`, which fires at the deadline or when the
 * client goes away). Missed while the body streams: the body is cut, so the client sees an aborted response.
 * A request body that trickles is cut the same way, since cancelling the upstream request stops reading it.
 *
 * perTryTimeout: each try may wait for response headers until its per-try timeout or the deadline, whichever
 * comes first; a miss is a 504 the retry layer above may retry.
 *
 * Which timeouts apply is decided in policies/retry/request-timeouts.ts. Without any, the deadline is the
 * outbound default: the inbound app timeout plus OUTBOUND_DEADLINE_MARGIN_MS. So when an app is slow, the
 * callee's inbound proxy answers 504 first and the caller relays it, instead of the two hops racing and the
 * caller's side reporting a 504 or a 499 at random; a caller's policy with a shorter request timeout fires on
 * the caller's side, before the callee's default.
 */
import type { ServicePolicy } from '@weft/schema';
import { ClientSignal } from '../http/client-signal.ts';
import type { ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import { requestTimeoutsFor } from '../policies/retry/request-timeouts.ts';
import { UpstreamError } from '../upstream/upstream-failure.ts';

/**
 * How much longer the outbound default deadline is than the inbound app timeout (see above): more than
 * undici's headers timer can be late (it ticks every ~500 ms, so up to ~1 s), so the callee's 504 always wins.
 */
export const OUTBOUND_DEADLINE_MARGIN_MS = 2_000;

/**
 * Header timeouts shorter than this get a timer of their own; longer ones are left to undici's, whose
 * lateness (under a second) is then under 10 %, and which costs nothing extra per request.
 */
export const PRECISE_HEADERS_TIMEOUT_BELOW_MS = 10_000;

export interface DeadlineOptions {
  /** The policies of the config in force (undefined: none). */
  policies: () => readonly ServicePolicy[] | undefined;
  /** The request timeout when no policy or route sets one; 0 for none. */
  defaultMs: number;
}

export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
}

export function requestDeadline(o: DeadlineOptions): Layer {
  return (next) => (req) => {
    const timeouts = requestTimeoutsFor(req, o.policies(), o.defaultMs);
    req.idleTimeoutMs = timeouts.idleMs;
    const timeoutMs = timeouts.requestMs;
    if (timeoutMs <= 0) return next(req);
    const deadline = req.receivedAt + timeoutMs;
    req.deadline = deadline;

    const parent = req.attemptSignal ?? req.signal;
    const signal = new ClientSignal();
    req.attemptSignal = signal;
    const unlink = parent.whenAborted(() => signal.abort());
    if (parent.aborted) signal.abort();

    return new Promise<ProxyResponse>((resolve, reject) => {
      let settled = false;
      let timer = setTimeout(
        () => {
          signal.abort();
          if (settled) return;
          settled = true;
          unlink();
          resolve(localReply(req, 504, 'upstream-timeout', `request timeout of ${timeoutMs} ms exceeded`));
        },
        Math.max(0, deadline - performance.now()),
      );
      next(req).then(
        (res) => {
          if (settled) {
            discardBody(res);
            return;
          }
          settled = true;
          clearTimeout(timer);
          const body = res.body;
          if (body === null || typeof body === 'string' || body.readableEnded) {
            unlink();
            resolve(res);
            return;
          }
          // Headers are on their way to the client: from now on the deadline can only cut the body.
          timer = setTimeout(
            () => {
              signal.abort();
              body.destroy(new DeadlineExceededError(`request timeout of ${timeoutMs} ms exceeded`));
            },
            Math.max(0, deadline - performance.now()),
          );
          body.once('close', () => {
            clearTimeout(timer);
            unlink();
          });
          resolve(res);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          unlink();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  };
}

/**
 * Each try waits for response headers until its per-try timeout or the request deadline, the sooner. A miss
 * fails the try as a 504 `upstream-timeout` the retry layer above may retry.
 */
export function perTryTimeout(policies: () => readonly ServicePolicy[] | undefined): Layer {
  return (next) => (req) => {
    const perTry = requestTimeoutsFor(req, policies(), 0).perTryMs;
    const deadline = req.deadline;
    // At least 1 ms: 0 would mean no limit at all, and a passed deadline is answered by requestDeadline.
    const left = deadline === undefined ? 0 : Math.max(1, Math.ceil(deadline - performance.now()));
    const limit = perTry > 0 && (left === 0 || perTry < left) ? perTry : left;
    req.timeoutMs = limit;
    if (perTry <= 0 || limit !== perTry) return next(req); // the deadline's own timer bounds this try
    return withinHeadersTimeout(next, req, limit);
  };
}

/**
 * Runs one try, failing it as a 504 `upstream-timeout` when response headers take longer than `limit` ms.
 * Below PRECISE_HEADERS_TIMEOUT_BELOW_MS a timer of its own cancels the try (through a child of the
 * request's signal): undici's headersTimeout ticks every half second, too coarse for timeouts of a few
 * hundred ms, so there it is only the backstop.
 */
export function withinHeadersTimeout(
  next: (req: ProxyRequest) => Promise<ProxyResponse>,
  req: ProxyRequest,
  limit: number,
): Promise<ProxyResponse> {
  if (limit >= PRECISE_HEADERS_TIMEOUT_BELOW_MS) return next(req); // undici's headersTimeout (req.timeoutMs)
  const parent = req.attemptSignal;
  const signal = new ClientSignal();
  const unlink = (parent ?? req.signal).whenAborted(() => signal.abort());
  if ((parent ?? req.signal).aborted) signal.abort();
  req.attemptSignal = signal;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signal.abort();
  }, limit);
  const done = (): void => {
    clearTimeout(timer);
    unlink();
    // Layers above judge the try by the request's signal, not by this try's.
    req.attemptSignal = parent;
  };
  return next(req).then(
    (res) => {
      done();
      return res;
    },
    (err: unknown) => {
      done();
      if (timedOut) throw new UpstreamError(req.upstream ?? 'upstream', new HeadersTimeoutError(limit));
      throw err;
    },
  );
}

/** Classified like undici's own headers timeout: 504 `upstream-timeout`. */
class HeadersTimeoutError extends Error {
  override readonly name = 'HeadersTimeoutError';
  readonly code = 'UND_ERR_HEADERS_TIMEOUT';

  constructor(ms: number) {
    super(`no response headers within ${ms} ms`);
  }
}

/** A response nobody will read: its body is let go so the connection is freed. */
export function discardBody(res: ProxyResponse): void {
  const body = res.body;
  if (body === null || typeof body === 'string') return;
  body.on('error', () => {});
  body.destroy();
}
