/**
 * Failover to other services (LoadBalancingPolicy `locality.failover`, like Envoy's aggregate cluster):
 * when no endpoint of the destination service is usable — all ejected or failing health checks, or none
 * listed at all — the request goes to the first failover service that has a usable endpoint, in the
 * order the policy lists them. When none has one either, the destination's own balancer picks (panic
 * mode), or there is nothing to pick.
 */
import type { Balancer, BalancerRequest } from '../round-robin.ts';
import type { EndpointSubset, RouteEndpoint, ServiceRoute } from '../routing-table.ts';

export interface FailoverPick {
  /** The service whose endpoint was picked: the destination's own, or a failover service's. */
  readonly route: ServiceRoute;
  readonly endpoint: RouteEndpoint;
}

export function pickWithFailover(
  route: ServiceRoute,
  subset: EndpointSubset,
  usable: ((e: RouteEndpoint) => boolean) | undefined,
  request: BalancerRequest,
): FailoverPick | undefined {
  const targets = route.failover?.targets ?? [];
  if (targets.length > 0 && !hasUsable(route.endpoints, usable)) {
    for (const target of targets) {
      if (!hasUsable(target.endpoints, usable)) continue;
      const endpoint = pick(target.all.balancer, usable, request);
      if (endpoint !== undefined) return { route: target, endpoint };
    }
  }
  const endpoint = pick(subset.balancer, usable, request);
  return endpoint === undefined ? undefined : { route, endpoint };
}

function hasUsable(
  endpoints: readonly RouteEndpoint[],
  usable: ((e: RouteEndpoint) => boolean) | undefined,
): boolean {
  return endpoints.length > 0 && (usable === undefined || endpoints.some(usable));
}

function pick(
  balancer: Balancer<RouteEndpoint>,
  usable: ((e: RouteEndpoint) => boolean) | undefined,
  request: BalancerRequest,
): RouteEndpoint | undefined {
  return balancer.pick(usable, request);
}
