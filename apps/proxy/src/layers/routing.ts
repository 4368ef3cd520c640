/**
 * Outbound routing in four steps, like Envoy's virtual host, route match, subset selection, then cluster
 * load balancing: name the destination service from the request's authority (resolveDestination), match
 * the service's HTTPRoute rules and pick the backend service (matchRoute; a service without rules skips
 * it), choose which of its versions serves the request (pickVersion: split pins and weights), then pick
 * one endpoint of that version (pickEndpoint). Per-attempt policies (retry) will sit between the last two.
 */
import { UNKNOWN_SERVICE } from '@weft/schema';
import type { ProxyRequest } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import { pathWithoutQuery } from '../http/request-target.ts';
import { pickWithFailover, type FailoverPick } from '../routing/balancers/failover.ts';
import { unservedBackend } from '../routing/route-rules.ts';
import type { EndpointSubset, RouteEndpoint, RoutingTable, ServiceRoute } from '../routing/routing-table.ts';
import type { RandomSource } from '../routing/split.ts';
import { resolveServiceName } from '../routing/service-name.ts';

export function resolveDestination(routes: () => RoutingTable | undefined, ownNamespace: string): Layer {
  return (next) => (req) => {
    const authority = req.authority;
    const name = authority === undefined ? null : resolveServiceName(authority, ownNamespace);
    if (name === null) {
      return Promise.resolve(
        localReply(
          req,
          503,
          'no-endpoints',
          `no mesh service named "${authority ?? ''}" (use name, name.namespace or name.namespace.svc.cluster.local)`,
        ),
      );
    }
    req.destination = { service: name.service, namespace: name.namespace, version: UNKNOWN_SERVICE };
    const route = routes()?.lookup(name);
    if (route === undefined) {
      return Promise.resolve(
        localReply(req, 503, 'no-endpoints', `no endpoints for service ${name.service}.${name.namespace}`),
      );
    }
    req.route = route;
    return next(req);
  };
}

/**
 * For a destination service with HTTPRoute rules (GAMMA): the rule whose match is most specific among
 * those the request satisfies (routing/route-match.ts has the precedence), recorded as `routeRule`; then
 * one of its backends drawn by weight with `random` (a rule without backends keeps the service itself),
 * which becomes the request's `route`. No rule matches: 404 `no-route`, as Gateway API says. The drawn
 * backend has no endpoints in the config, or no backend has a weight above 0: 500 `invalid-backend`, as
 * Gateway API says for an invalid backendRef. A service without rules passes through untouched.
 */
export function matchRoute(
  routes: () => RoutingTable | undefined,
  random: RandomSource = Math.random,
): Layer {
  return (next) => (req) => {
    const parent = req.route;
    const rules = parent === undefined ? undefined : routes()?.rulesFor(parent);
    if (rules === undefined) return next(req);
    const service = `${rules.service}.${rules.namespace}`;
    const rule = rules.match(req.method, req.path, req.headers);
    if (rule === undefined) {
      return Promise.resolve(
        localReply(
          req,
          404,
          'no-route',
          `no HTTPRoute rule of service ${service} matches ${req.method} ${pathWithoutQuery(req.path)}`,
        ),
      );
    }
    req.routeRule = rule;
    const backend = rule.chooseBackend(random);
    if (backend === undefined) {
      const why = rule.backends.length === 0 ? 'the rule lists no backends' : 'every backend has weight 0';
      return Promise.resolve(
        localReply(req, 500, 'invalid-backend', `${rule.label} of service ${service}: ${why}`),
      );
    }
    req.routeBackend = backend;
    req.destination = { service: backend.service, namespace: backend.namespace, version: UNKNOWN_SERVICE };
    if (backend.route === undefined) {
      return Promise.resolve(
        localReply(
          req,
          500,
          'invalid-backend',
          `${rule.label} of service ${service}: backend ${unservedBackend(backend)}`,
        ),
      );
    }
    req.route = backend.route;
    return next(req);
  };
}

/**
 * Which endpoints may serve the request: with a split in force, the version of the first pin the request
 * matches (header, or cookie), else a version drawn by weight with `random`; without one (or when the split
 * cannot be served: see RouteSplit), every endpoint of the service. The split in force is the matched
 * HTTPRoute rule's when it has one, else that of the service the request goes to (so a split of a route's
 * parent applies only to requests its rules send to the parent itself).
 */
export function pickVersion(random: RandomSource = Math.random): Layer {
  return (next) => (req) => {
    const route = req.route;
    if (route === undefined) {
      return Promise.resolve(localReply(req, 503, 'no-endpoints', 'no endpoints for the destination'));
    }
    const split = req.routeBackend?.split ?? route.split;
    req.subset = split?.choose(req.headers, random) ?? route.all;
    return next(req);
  };
}

/**
 * One endpoint of the chosen subset, in turn. The destination version recorded for telemetry is the
 * chosen endpoint's, and the endpoint counts the request as in flight until the exchange completes.
 * Endpoints ejected by outlier detection or failing health checks are skipped while another is usable.
 */
export function pickEndpoint(): Layer {
  return (next) => (req) => {
    const route = req.route;
    const subset = req.subset;
    // The balancer may read the request (ring hash keys); with no usable endpoint, a failover service.
    // A retry goes to an endpoint this request has not tried yet while one is usable (req.triedEndpoints).
    const tried = req.triedEndpoints;
    const untried =
      route === undefined || subset === undefined || tried === undefined || tried.size === 0
        ? undefined
        : pickUntried(route, subset, tried, req);
    const chosen =
      untried ??
      (route === undefined || subset === undefined
        ? undefined
        : pickWithFailover(route, subset, isAvailable, req));
    const endpoint = chosen?.endpoint;
    if (route === undefined || subset === undefined || chosen === undefined || endpoint === undefined) {
      const name = route ? `${route.service}.${route.namespace}` : 'the destination';
      const of = subset?.version === undefined ? '' : ` of version ${subset.version}`;
      return Promise.resolve(localReply(req, 503, 'no-endpoints', `no endpoints${of} for service ${name}`));
    }
    req.endpoint = endpoint;
    const served = chosen.route;
    req.destination = { service: served.service, namespace: served.namespace, version: endpoint.version };
    req.upstream = endpoint.address;
    const state = endpoint.state;
    state.requestStarted();
    req.onComplete(() => state.requestEnded());
    // Time to response headers of this attempt, for the EWMA balancer (kept on the endpoint's state).
    const startedAt = performance.now();
    return next(req).then((res) => {
      const now = performance.now();
      state.latency.observe(now - startedAt, now);
      return res;
    });
  };
}

/**
 * A usable endpoint the request has not tried yet, only when one exists: with none, the balancer would fall
 * back to any endpoint (panic mode), ejected ones included, and the ordinary pick does that better.
 */
function pickUntried(
  route: ServiceRoute,
  subset: EndpointSubset,
  tried: ReadonlySet<string>,
  req: ProxyRequest,
): FailoverPick | undefined {
  const fresh = (e: RouteEndpoint): boolean => isAvailable(e) && !tried.has(e.address);
  return subset.endpoints.some(fresh) ? pickWithFailover(route, subset, fresh, req) : undefined;
}

/** Not ejected by outlier detection nor failing health checks (policies/breaker, policies/health). */
function isAvailable(e: RouteEndpoint): boolean {
  return e.state.available();
}

/** Inbound: everything goes to the local application. */
export function toLocalApp(address: string): Layer {
  return (next) => (req) => {
    req.upstream = address;
    return next(req);
  };
}
