/**
 * How long the upstream may take to start answering; the forwarding terminal enforces it and a miss
 * becomes a 504. It bounds each attempt, so a retry layer placed outside gets a fresh budget per try.
 *
 * Outbound, the first that is set wins: the matched HTTPRoute rule's TimeoutPolicy (perTry, else request),
 * the rule's own HTTPRoute timeouts (backendRequest, else request), the TimeoutPolicy of the service the
 * request goes to (perTry, else request), then the proxy's default. All are compiled into the routing
 * table (CompiledRouteRule.timeout, ServiceRoute.timeoutMs). 0 means no timeout, as Gateway API says of 0s.
 * The rest of timeout semantics (a request timeout across attempts, idle) is not enforced yet.
 */
import type { Layer } from '../http/layer.ts';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 15_000;

/** `ms`: the proxy default, for requests nothing else sets a timeout for (every inbound request). */
export function timeout(ms: number): Layer {
  return (next) => (req) => {
    req.timeoutMs = req.routeRule?.timeout?.ms ?? req.route?.timeoutMs ?? ms;
    return next(req);
  };
}
