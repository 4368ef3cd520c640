/**
 * Outbound routing in three steps, like Envoy's route match, subset selection, then cluster load
 * balancing: name the destination service from the request's authority (resolveDestination), choose
 * which of its versions serves the request (pickVersion: split pins and weights), then pick one endpoint
 * of that version (pickEndpoint). Per-attempt policies (retry) will sit between the last two.
 */
import { UNKNOWN_SERVICE } from '@weft/schema';
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import type { RoutingTable } from '../routing/routing-table.ts';
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
 * Which endpoints may serve the request: with a split in force, the version of the first pin the request
 * matches (header, or cookie), else a version drawn by weight with `random`; without one (or when the split
 * cannot be served: see RouteSplit), every endpoint of the service.
 */
export function pickVersion(random: RandomSource = Math.random): Layer {
  return (next) => (req) => {
    const route = req.route;
    if (route === undefined) {
      return Promise.resolve(localReply(req, 503, 'no-endpoints', 'no endpoints for the destination'));
    }
    req.subset = route.split?.choose(req.headers, random) ?? route.all;
    return next(req);
  };
}

/**
 * One endpoint of the chosen subset, in turn. The destination version recorded for telemetry is the
 * chosen endpoint's, and the endpoint counts the request as in flight until the exchange completes.
 */
export function pickEndpoint(): Layer {
  return (next) => (req) => {
    const route = req.route;
    const subset = req.subset;
    const endpoint = subset?.balancer.pick();
    if (route === undefined || subset === undefined || endpoint === undefined) {
      const name = route ? `${route.service}.${route.namespace}` : 'the destination';
      const of = subset?.version === undefined ? '' : ` of version ${subset.version}`;
      return Promise.resolve(localReply(req, 503, 'no-endpoints', `no endpoints${of} for service ${name}`));
    }
    req.endpoint = endpoint;
    req.destination = { service: route.service, namespace: route.namespace, version: endpoint.version };
    req.upstream = endpoint.address;
    const state = endpoint.state;
    state.requestStarted();
    req.onComplete(() => state.requestEnded());
    return next(req);
  };
}

/** Inbound: everything goes to the local application. */
export function toLocalApp(address: string): Layer {
  return (next) => (req) => {
    req.upstream = address;
    return next(req);
  };
}
