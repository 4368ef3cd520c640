/**
 * Per attempt, after pickEndpoint (Envoy's circuit breakers and outlier detection, at the router): admits
 * the attempt under the destination service's CircuitBreakerPolicy limits (else 503 `overflow`, the limit
 * named in `x-weft-overflow`), and feeds how it ended — the status of the answer, or a connect failure,
 * reset or timeout — to outlier detection, which may eject the endpoint. Runs once per forward, so a retry
 * layer above it reports every attempt.
 */
import { Headers } from '@weft/schema';
import type { ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import type { Breakers } from '../policies/breaker/breakers.ts';
import type { AttemptOutcome } from '../policies/breaker/endpoint-outlier.ts';
import type { Admission, LimitTicket, OverflowReason } from '../policies/breaker/service-limits.ts';
import { classifyUpstreamFailure } from '../upstream/upstream-failure.ts';

/** Longest a queued attempt waits for a connection when the attempt itself has no timeout yet. */
const MAX_PENDING_WAIT_MS = 15_000;

const LIMIT_TEXT: Record<OverflowReason, string> = {
  'max-connections': 'every connection it allows (maxConnections) is busy',
  'max-pending-requests': 'its queue of requests waiting for a connection (maxPendingRequests) is full',
  'max-requests': 'it has its maximum of requests in flight (maxRequests)',
};

export function circuitBreaker(breakers: Breakers): Layer {
  return (next) => async (req) => {
    const route = req.route;
    const endpoint = req.endpoint;
    if (route === undefined || endpoint === undefined) return next(req);
    // The service whose endpoint was picked: a failover service's when pickEndpoint failed over.
    const served = req.destination;
    const breaker = breakers.of(served.service, served.namespace);
    const known = breakers.peersOf(breaker);
    const peers = known.length > 0 ? known : route.endpoints;
    let ticket: LimitTicket | undefined;
    if (breaker.limits.settings !== undefined) {
      const admission = breaker.limits.admit();
      if (admission.kind === 'overflow') {
        const res = localReply(
          req,
          503,
          'overflow',
          `circuit breaker of ${served.service}.${served.namespace} (${breaker.limits.settings.source}): ${LIMIT_TEXT[admission.reason]}`,
        );
        res.headers[Headers.overflow] = admission.reason;
        return res;
      }
      const waited = await ticketOf(admission, req);
      if (waited === 'timeout') {
        return localReply(
          req,
          504,
          'upstream-timeout',
          `waited too long for a connection to ${served.service}.${served.namespace} (maxConnections)`,
        );
      }
      ticket = waited;
    }
    let res: ProxyResponse;
    try {
      res = await next(req);
    } catch (err) {
      ticket?.release();
      const outcome = failureOutcome(err, req.signal.aborted);
      if (outcome !== undefined) breakers.record(breaker, endpoint.state, peers, outcome);
      throw err;
    }
    breakers.record(breaker, endpoint.state, peers, { kind: 'response', status: res.status });
    if (ticket !== undefined) releaseWhenDone(res, req, ticket);
    return res;
  };
}

/** The ticket of an admitted or queued attempt; a queued one waits at most the attempt's timeout. */
async function ticketOf(
  admission: Exclude<Admission, { kind: 'overflow' }>,
  req: ProxyRequest,
): Promise<LimitTicket | 'timeout'> {
  if (admission.kind === 'admitted') return admission.ticket;
  // The timeout layer runs below this one: a timeout already set came from a layer above (retry).
  const waitMs = req.timeoutMs > 0 ? req.timeoutMs : MAX_PENDING_WAIT_MS;
  let timer: NodeJS.Timeout | undefined;
  let stopWatching: (() => void) | undefined;
  const gaveUp = new Promise<'timeout' | 'aborted'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), waitMs);
    stopWatching = req.signal.whenAborted(() => resolve('aborted'));
  });
  const outcome = await Promise.race([admission.ticket, gaveUp]);
  if (timer !== undefined) clearTimeout(timer);
  stopWatching?.();
  if (typeof outcome !== 'string') return outcome;
  admission.cancel();
  // A ticket granted in the same tick as the give-up must not be lost.
  void admission.ticket.then((t) => t.release());
  if (outcome === 'aborted')
    throw Object.assign(new Error('client closed the request'), { name: 'AbortError' });
  return 'timeout';
}

/** The connection is held until the answer's body has been relayed (or the exchange ended otherwise). */
function releaseWhenDone(res: ProxyResponse, req: ProxyRequest, ticket: LimitTicket): void {
  const body = res.body;
  if (body !== null && typeof body !== 'string') body.once('close', () => ticket.release());
  else ticket.release();
  req.onComplete(() => ticket.release());
}

/** How an attempt that got no answer ended, for outlier detection; undefined when the client left. */
function failureOutcome(err: unknown, clientGone: boolean): AttemptOutcome | undefined {
  switch (classifyUpstreamFailure(err, clientGone).kind) {
    case 'upstream-connect-failure':
      return { kind: 'local-failure', failure: 'connect' };
    case 'upstream-reset':
      return { kind: 'local-failure', failure: 'reset' };
    case 'upstream-timeout':
      return { kind: 'local-failure', failure: 'timeout' };
    default:
      return undefined;
  }
}
