/**
 * Services, endpoints and splits of one ProxyConfig, indexed for lookups on the data path. Immutable once
 * built, except for the state it shares with other tables: endpoint state comes from the EndpointRegistry,
 * and subsets whose endpoints did not change are taken over from the previous table, balancers included, so
 * a config update (a new split, another version scaled) does not restart round-robin.
 *
 * Each route is split into subsets, as Envoy's subset load balancer does: one with every endpoint and one
 * per version. Outbound routing picks a subset first (pickVersion: a pin or the weights of the route's
 * split, else every endpoint) and an endpoint in it second.
 *
 * A service with HTTPRoute rules (`routes` in its policies) also has its ServiceRules: the rules compiled
 * against this table's routes (matchRoute picks a rule, then one of its backends, before pickVersion). A
 * service with rules has a route even when the config lists no endpoints for it: under GAMMA the parent
 * Service is the name clients call, and its rules may send everything to other services.
 */
import type { Endpoint, ProxyConfig, RouteRule } from '@weft/schema';
import {
  balancerFor,
  balancingReport,
  type BalancingReport,
  type LoadBalancingSpec,
} from './balancers/policy-balancer.ts';
import type { LocalTopology } from './balancers/locality.ts';
import type { EndpointRegistry, EndpointState } from './endpoint-registry.ts';
import type { Balancer, BalancerFactory } from './round-robin.ts';
import { policyTimeout, ServiceRules, type ServiceRulesReport } from './route-rules.ts';
import type { ServiceName } from './service-name.ts';
import { RouteSplit, type SplitReport, type SplitSpec } from './split.ts';

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
  /** Every endpoint (the same list as `all.endpoints`). */
  readonly endpoints: readonly RouteEndpoint[];
  /** Every endpoint whatever its version: where requests go while no split applies. */
  readonly all: EndpointSubset;
  /** One subset per version, in the order versions first appear. */
  readonly versions: ReadonlyMap<string, EndpointSubset>;
  /** The canary split in force for the service, compiled against `versions`; undefined when none. */
  readonly split: RouteSplit | undefined;
  /**
   * The per-attempt upstream timeout of the service's TimeoutPolicy (perTry, else request), in ms; undefined
   * when it has none (the rule's, else the proxy default, applies: see layers/timeout.ts).
   */
  readonly timeoutMs: number | undefined;
  /** The service's LoadBalancingPolicy (algorithm, locality, failover); undefined: round robin. */
  readonly loadBalancing?: LoadBalancingSpec | undefined;
  /**
   * The services to fail over to, in order, when none of this one's endpoints is usable (filled in by the
   * table after every route exists; routing/balancers/failover.ts).
   */
  readonly failover?: { targets: readonly ServiceRoute[] } | undefined;
}

export interface RoutingTableDeps {
  /** The balancer of services without a LoadBalancingPolicy. */
  balancer: BalancerFactory;
  endpoints: EndpointRegistry;
  /** Where this proxy runs (--zone, --region), for locality-aware balancing. */
  topology?: LocalTopology | undefined;
  /** The table this one replaces: routes and subsets whose endpoints are unchanged are taken over from it. */
  previous?: RoutingTable | undefined;
}

export class RoutingTable {
  readonly #routes = new Map<string, ServiceRoute>();
  /** Splits of services the config lists no endpoints for: reported, never consulted. */
  readonly #unrouted: { service: string; namespace: string; split: RouteSplit }[] = [];
  /** HTTPRoute rules by the route of their parent service (only services with at least one rule). */
  readonly #rules = new Map<ServiceRoute, ServiceRules>();
  readonly #topology: LocalTopology | undefined;
  /** Namespaces of the services the config lists: `name.namespace` in one of them is a mesh name (egress). */
  readonly #namespaces = new Set<string>();

  constructor(config: ProxyConfig, deps: RoutingTableDeps) {
    // A service listed twice keeps all its endpoints.
    const merged = new Map<string, { service: string; namespace: string; endpoints: Endpoint[] }>();
    for (const s of config.services) {
      const key = routeKey(s.name, s.namespace);
      const entry = merged.get(key);
      if (entry) entry.endpoints.push(...s.endpoints);
      else merged.set(key, { service: s.name, namespace: s.namespace, endpoints: [...s.endpoints] });
    }
    // The config check leaves at most one policy of each kind per service; should two arrive anyway, the
    // first counts.
    const splits = new Map<string, { service: string; namespace: string; spec: SplitSpec }>();
    const timeouts = new Map<string, number>();
    const rules = new Map<string, readonly RouteRule[]>();
    const balancing = new Map<string, LoadBalancingSpec>();
    for (const p of config.policies ?? []) {
      const key = routeKey(p.service, p.namespace);
      if (p.split !== undefined && !splits.has(key))
        splits.set(key, { service: p.service, namespace: p.namespace, spec: p.split });
      const timeout = policyTimeout(p.timeout);
      if (timeout !== undefined && !timeouts.has(key)) timeouts.set(key, timeout.ms);
      if (p.loadBalancing !== undefined && !balancing.has(key)) {
        balancing.set(key, p.loadBalancing);
        // A service that fails over keeps a route while it has no endpoints: the failover serves it.
        if ((p.loadBalancing.locality?.failover?.length ?? 0) > 0 && !merged.has(key))
          merged.set(key, { service: p.service, namespace: p.namespace, endpoints: [] });
      }
      if (p.routes !== undefined && p.routes.length > 0 && !rules.has(key)) {
        rules.set(key, p.routes);
        if (!merged.has(key)) merged.set(key, { service: p.service, namespace: p.namespace, endpoints: [] });
      }
    }
    for (const s of merged.values()) this.#namespaces.add(s.namespace);
    const before = deps.previous === undefined ? undefined : deps.previous.#routes;
    for (const [key, s] of merged) {
      const split = splits.get(key)?.spec;
      const timeoutMs = timeouts.get(key);
      this.#routes.set(
        key,
        buildRoute(
          s.service,
          s.namespace,
          s.endpoints,
          { split, timeoutMs, loadBalancing: balancing.get(key) },
          before?.get(key),
          deps,
        ),
      );
    }
    for (const route of this.#routes.values()) {
      const failover = route.loadBalancing?.locality?.failover ?? [];
      if (route.failover === undefined) continue;
      // The holder may be shared with the previous table's route object; that table is being replaced.
      route.failover.targets = failover
        .map((f) => this.#routes.get(routeKey(f.service, f.namespace ?? route.namespace)))
        .filter((r): r is ServiceRoute => r !== undefined && r !== route);
    }
    this.#topology = deps.topology;
    // After every route exists: rules point at the routes of their backends.
    const resolve = (service: string, namespace: string) => this.#routes.get(routeKey(service, namespace));
    for (const [key, specs] of rules) {
      const parent = this.#routes.get(key);
      if (parent !== undefined) this.#rules.set(parent, new ServiceRules(parent, specs, resolve));
    }
    for (const [key, s] of splits) {
      if (!merged.has(key))
        this.#unrouted.push({
          service: s.service,
          namespace: s.namespace,
          split: new RouteSplit(s.spec, new Map()),
        });
    }
  }

  hasNamespace(namespace: string): boolean {
    return this.#namespaces.has(namespace);
  }

  lookup(name: ServiceName): ServiceRoute | undefined {
    return this.#routes.get(routeKey(name.service, name.namespace));
  }

  /** The HTTPRoute rules of a route's service; undefined when it has none (it routes as it always did). */
  rulesFor(route: ServiceRoute): ServiceRules | undefined {
    return this.#rules.get(route);
  }

  /** Every endpoint address, so per-endpoint state and connection pools of vanished ones can go. */
  addresses(): Set<string> {
    const out = new Set<string>();
    for (const route of this.#routes.values()) for (const e of route.endpoints) out.add(e.address);
    return out;
  }

  /**
   * How each split of the config is enforced with these endpoints, in config order of the services; then
   * the splits of route rules, per service each rule sends to.
   */
  splits(): SplitReport[] {
    const out: SplitReport[] = [];
    for (const route of this.#routes.values()) {
      if (route.split) out.push(route.split.report(route.service, route.namespace));
    }
    for (const u of this.#unrouted) {
      const report = u.split.report(u.service, u.namespace);
      out.push({ ...report, problems: ['the config lists no endpoints for the service'] });
    }
    for (const rules of this.#rules.values()) for (const rule of rules.rules) out.push(...rule.splits());
    return out;
  }

  /** How each service with a LoadBalancingPolicy balances (algorithm, locality levels, failover). */
  balancing(): BalancingReport[] {
    return [...this.#routes.values()]
      .filter((r) => r.loadBalancing !== undefined)
      .map((r) => balancingReport(r.service, r.namespace, r.endpoints, r.loadBalancing, this.#topology));
  }

  /** The HTTPRoute rules in force per service, in config order of the services. */
  routeRules(): ServiceRulesReport[] {
    return [...this.#rules.values()].map((r) => r.report());
  }

  /** One line per problem of the route rules in force (a backend without endpoints, weights all 0). */
  routeProblems(): string[] {
    return [...this.#rules.values()].flatMap((r) =>
      r.problems().map((p) => `routes of ${r.service}.${r.namespace}: ${p}`),
    );
  }
}

function routeKey(service: string, namespace: string): string {
  return `${service}.${namespace}`;
}

/**
 * The route for one service. From `previous` it takes over, when their endpoints are unchanged, the whole
 * route (when its split and timeout are unchanged as well), else each version subset and the route
 * endpoints.
 */
function buildRoute(
  service: string,
  namespace: string,
  endpoints: readonly Endpoint[],
  policies: {
    split: SplitSpec | undefined;
    timeoutMs: number | undefined;
    loadBalancing: LoadBalancingSpec | undefined;
  },
  previous: ServiceRoute | undefined,
  deps: RoutingTableDeps,
): ServiceRoute {
  const { split, timeoutMs, loadBalancing } = policies;
  let subsets: Pick<ServiceRoute, 'endpoints' | 'all' | 'versions'>;
  // Balancers are kept only while the policy that built them is unchanged (endpoint state is kept anyway).
  const sameBalancing = sameSpec(previous?.loadBalancing, loadBalancing);
  if (previous !== undefined && sameBalancing && sameEndpointSet(previous.endpoints, endpoints)) {
    if (sameSplit(previous.split?.spec, split) && previous.timeoutMs === timeoutMs) return previous;
    subsets = previous;
  } else {
    subsets = buildSubsets(endpoints, sameBalancing ? previous : undefined, loadBalancing, deps);
  }
  return {
    service,
    namespace,
    endpoints: subsets.endpoints,
    all: subsets.all,
    versions: subsets.versions,
    split: split === undefined ? undefined : new RouteSplit(split, subsets.versions),
    timeoutMs,
    loadBalancing,
    failover: previous?.failover ?? { targets: [] },
  };
}

function buildSubsets(
  endpoints: readonly Endpoint[],
  previous: ServiceRoute | undefined,
  loadBalancing: LoadBalancingSpec | undefined,
  deps: RoutingTableDeps,
): Pick<ServiceRoute, 'endpoints' | 'all' | 'versions'> {
  const balancer = (list: readonly RouteEndpoint[]) =>
    balancerFor(list, loadBalancing, { fallback: deps.balancer, topology: deps.topology });
  const known = new Map<string, RouteEndpoint>();
  for (const e of previous?.endpoints ?? []) known.set(endpointKey(e), e);
  const routed: RouteEndpoint[] = endpoints.map((e) => {
    const state = deps.endpoints.acquire(e.address);
    const same = known.get(endpointKey(e));
    if (same !== undefined && same.state === state) return same;
    return {
      proxyId: e.proxyId,
      address: e.address,
      version: e.version,
      ...(e.zone === undefined ? {} : { zone: e.zone }),
      ...(e.region === undefined ? {} : { region: e.region }),
      state,
    };
  });
  const byVersion = new Map<string, RouteEndpoint[]>();
  for (const e of routed) {
    const list = byVersion.get(e.version);
    if (list) list.push(e);
    else byVersion.set(e.version, [e]);
  }
  const versions = new Map<string, EndpointSubset>();
  for (const [version, list] of byVersion) {
    // A version whose endpoints stayed keeps its subset and round-robin position while others change.
    const kept = previous?.versions.get(version);
    versions.set(
      version,
      kept !== undefined &&
        sameEndpointSet(kept.endpoints, list) &&
        kept.endpoints.every((e) => e.state === deps.endpoints.get(e.address))
        ? kept
        : { version, endpoints: list, balancer: balancer(list) },
    );
  }
  return {
    endpoints: routed,
    all: { version: undefined, endpoints: routed, balancer: balancer(routed) },
    versions,
  };
}

function endpointKey(e: Endpoint): string {
  // Topology is part of it: an endpoint that moved zone must land in another priority level.
  return `${e.address}\n${e.version}\n${e.proxyId}\n${e.zone ?? ''}\n${e.region ?? ''}`;
}

/** Same endpoints (proxy id, address, version, zone, region), in any order. */
function sameEndpointSet(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a.length !== b.length) return false;
  const left = a.map(endpointKey).sort();
  const right = b.map(endpointKey).sort();
  return left.every((k, i) => k === right[i]);
}

/** Specs come out of the config check with their keys in schema order, so JSON compares them. */
function sameSplit(a: SplitSpec | undefined, b: SplitSpec | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
}

/** Policy specs come out of the config check with their keys in schema order, so JSON compares them. */
function sameSpec(a: LoadBalancingSpec | undefined, b: LoadBalancingSpec | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
}
