/**
 * Services and endpoints of one ProxyConfig, indexed for lookups on the data path. Immutable once built,
 * except for the state it shares with other tables: endpoint state comes from the EndpointRegistry, and a
 * service whose endpoint set did not change keeps the previous table's route, balancers included, so a
 * config update does not restart round-robin.
 *
 * Each route is split into subsets, as Envoy's subset load balancer does: one with every endpoint and one
 * per version. Outbound routing picks a subset first (pickVersion) and an endpoint in it second.
 */
import type { Endpoint, ProxyConfig } from '@weft/schema';
import type { EndpointRegistry, EndpointState } from './endpoint-registry.ts';
import type { Balancer, BalancerFactory } from './round-robin.ts';
import type { ServiceName } from './service-name.ts';

/** One endpoint of a route, with the state the registry keeps for its address. */
export interface RouteEndpoint extends Readonly<Endpoint> {
  readonly state: EndpointState;
}

export interface EndpointSubset {
  /** The version every endpoint in it runs; undefined for the subset of all endpoints. */
  readonly version: string | undefined;
  readonly endpoints: readonly RouteEndpoint[];
  readonly balancer: Balancer<RouteEndpoint>;
}

export interface ServiceRoute {
  readonly service: string;
  readonly namespace: string;
  /** Every endpoint, in config order (the same list as `all.endpoints`). */
  readonly endpoints: readonly RouteEndpoint[];
  /** Every endpoint whatever its version: where requests go while no split applies. */
  readonly all: EndpointSubset;
  /** One subset per version, in the order versions first appear. */
  readonly versions: ReadonlyMap<string, EndpointSubset>;
}

export interface RoutingTableDeps {
  balancer: BalancerFactory;
  endpoints: EndpointRegistry;
  /** The table this one replaces: routes whose endpoint set is unchanged are taken over from it. */
  previous?: RoutingTable | undefined;
}

export class RoutingTable {
  readonly #routes = new Map<string, ServiceRoute>();

  constructor(config: ProxyConfig, deps: RoutingTableDeps) {
    // A service listed twice keeps all its endpoints.
    const merged = new Map<string, { service: string; namespace: string; endpoints: Endpoint[] }>();
    for (const s of config.services) {
      const key = routeKey(s.name, s.namespace);
      const entry = merged.get(key);
      if (entry) entry.endpoints.push(...s.endpoints);
      else merged.set(key, { service: s.name, namespace: s.namespace, endpoints: [...s.endpoints] });
    }
    const before = deps.previous === undefined ? undefined : deps.previous.#routes;
    for (const [key, s] of merged) {
      const previous = before?.get(key);
      const route =
        previous !== undefined && sameEndpointSet(previous.endpoints, s.endpoints)
          ? previous
          : buildRoute(s.service, s.namespace, s.endpoints, deps);
      this.#routes.set(key, route);
    }
  }

  lookup(name: ServiceName): ServiceRoute | undefined {
    return this.#routes.get(routeKey(name.service, name.namespace));
  }

  /** Every endpoint address, so per-endpoint state and connection pools of vanished ones can go. */
  addresses(): Set<string> {
    const out = new Set<string>();
    for (const route of this.#routes.values()) for (const e of route.endpoints) out.add(e.address);
    return out;
  }
}

function routeKey(service: string, namespace: string): string {
  return `${service}.${namespace}`;
}

function buildRoute(
  service: string,
  namespace: string,
  endpoints: readonly Endpoint[],
  deps: RoutingTableDeps,
): ServiceRoute {
  const routed: RouteEndpoint[] = endpoints.map((e) => ({
    proxyId: e.proxyId,
    address: e.address,
    version: e.version,
    state: deps.endpoints.acquire(e.address),
  }));
  const byVersion = new Map<string, RouteEndpoint[]>();
  for (const e of routed) {
    const list = byVersion.get(e.version);
    if (list) list.push(e);
    else byVersion.set(e.version, [e]);
  }
  const versions = new Map<string, EndpointSubset>();
  for (const [version, list] of byVersion) {
    versions.set(version, { version, endpoints: list, balancer: deps.balancer(list) });
  }
  return {
    service,
    namespace,
    endpoints: routed,
    all: { version: undefined, endpoints: routed, balancer: deps.balancer(routed) },
    versions,
  };
}

/** Same endpoints (proxy id, address, version), in any order. */
function sameEndpointSet(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a.length !== b.length) return false;
  const key = (e: Endpoint): string => `${e.address}\n${e.version}\n${e.proxyId}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((k, i) => k === right[i]);
}
