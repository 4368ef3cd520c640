/**
 * Outbound routing in two steps, like Envoy's route match then cluster load balancing: name the
 * destination service from the request's authority, then pick one of its endpoints. Traffic splits
 * (subset by version) slot in between the two.
 */
import { UNKNOWN_SERVICE } from '@weft/schema';
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import type { RoutingTable } from '../routing/routing-table.ts';
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

export function loadBalance(): Layer {
  return (next) => (req) => {
    const route = req.route;
    const endpoint = route?.balancer.pick();
    if (route === undefined || endpoint === undefined) {
      const name = route ? `${route.service}.${route.namespace}` : 'the destination';
      return Promise.resolve(localReply(req, 503, 'no-endpoints', `no endpoints for service ${name}`));
    }
    req.destination = { service: route.service, namespace: route.namespace, version: endpoint.version };
    req.upstream = endpoint.address;
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
