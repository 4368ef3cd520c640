/**
 * How long the upstream may take to start answering; a miss becomes a 504. The inbound app timeout. The
 * outbound stack uses requestDeadline and perTryTimeout (deadline.ts) instead, which extend the precedence
 * below with request, per-try and idle timeouts of their own.
 *
 * Outbound, the first that is set wins: the matched HTTPRoute rule's TimeoutPolicy (perTry, else request),
 * the rule's own HTTPRoute timeouts (backendRequest, else request), the TimeoutPolicy of the service the
 * request goes to (perTry, else request), then the proxy's default. All are compiled into the routing
 * table (CompiledRouteRule.timeout, ServiceRoute.timeoutMs). 0 means no timeout, as Gateway API says of 0s.
 */
import type { Layer } from '../http/layer.ts';
import { withinHeadersTimeout } from './deadline.ts';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 15_000;

/**
 * `ms`: the proxy default, for requests nothing else sets a timeout for (every inbound request: the app
 * timeout). Short timeouts get a precise timer (withinHeadersTimeout); the default 15 s is undici's, late by
 * under a second, which OUTBOUND_DEADLINE_MARGIN_MS (2 s) covers so the two hops never race.
 */
export function timeout(ms: number): Layer {
  return (next) => (req) => {
    const limit = req.routeRule?.timeout?.ms ?? req.route?.timeoutMs ?? ms;
    req.timeoutMs = limit;
    return limit > 0 ? withinHeadersTimeout(next, req, limit) : next(req);
  };
}
