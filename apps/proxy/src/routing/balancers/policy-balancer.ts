/**
 * The balancer of one subset of a service's endpoints, as its LoadBalancingPolicy says: the algorithm
 * (RoundRobin, LeastRequest, EWMA, RingHash), wrapped in priority levels by locality when the policy asks
 * for it and this proxy knows where it runs. A service without a policy gets the proxy's default
 * (round robin).
 */
import { durationMs, type ServicePolicy } from '@weft/schema';
import type { RouteEndpoint } from '../routing-table.ts';
import type { Balancer, BalancerFactory } from '../round-robin.ts';
import { RoundRobin } from '../round-robin.ts';
import type { RandomSource } from './candidates.ts';
import { LeastRequest } from './least-request.ts';
import { LocalityBalancer, PRIORITY_LEVELS, priorityOf, type LocalTopology } from './locality.ts';
import { DEFAULT_DECAY_MS, EwmaBalancer } from './peak-ewma.ts';
import { RingHash } from './ring-hash.ts';

export type LoadBalancingSpec = NonNullable<ServicePolicy['loadBalancing']>;

export interface BalancingDeps {
  /** The balancer of services without a LoadBalancingPolicy. */
  fallback: BalancerFactory;
  /** Where this proxy runs; locality needs at least its zone or region. */
  topology?: LocalTopology | undefined;
  random?: RandomSource | undefined;
  /** Clock of the latency observations (`performance.now()`), for EWMA. */
  now?: (() => number) | undefined;
}

export function balancerFor(
  endpoints: readonly RouteEndpoint[],
  spec: LoadBalancingSpec | undefined,
  deps: BalancingDeps,
): Balancer<RouteEndpoint> {
  if (spec === undefined) return deps.fallback(endpoints);
  const algorithm = (list: readonly RouteEndpoint[]) => algorithmBalancer(list, spec, deps);
  const topology = deps.topology;
  if (spec.locality === undefined || !knowsWhere(topology)) return algorithm(endpoints);
  const levels = priorityLevels(endpoints, topology);
  return new LocalityBalancer(
    levels.map((list, priority) => ({ priority, endpoints: list, balancer: algorithm(list) })),
    spec.locality.minHealthyPercent,
    deps.random,
  );
}

function algorithmBalancer(
  list: readonly RouteEndpoint[],
  spec: LoadBalancingSpec,
  deps: BalancingDeps,
): Balancer<RouteEndpoint> {
  switch (spec.type) {
    case 'RoundRobin':
      return new RoundRobin(list);
    case 'LeastRequest':
      return new LeastRequest(list, spec.leastRequest?.choices ?? 2, deps.random);
    case 'EWMA':
      return new EwmaBalancer(
        list,
        spec.ewma === undefined ? DEFAULT_DECAY_MS : durationMs(spec.ewma.decay),
        deps.now,
        deps.random,
      );
    case 'RingHash':
      return new RingHash(
        list,
        { header: spec.ringHash?.header, cookie: spec.ringHash?.cookie },
        spec.ringHash?.minRingSize ?? 1024,
        deps.random,
      );
  }
}

function knowsWhere(topology: LocalTopology | undefined): topology is LocalTopology {
  return topology !== undefined && (topology.zone !== undefined || topology.region !== undefined);
}

/** Endpoints per priority level (0 same zone, 1 same region, 2 elsewhere), in config order each. */
export function priorityLevels<T extends RouteEndpoint>(
  endpoints: readonly T[],
  topology: LocalTopology,
): T[][] {
  const levels: T[][] = Array.from({ length: PRIORITY_LEVELS }, () => []);
  for (const e of endpoints) (levels[priorityOf(e, topology)] as T[]).push(e);
  return levels;
}

/** How a service balances, for /config. */
export interface BalancingReport {
  service: string;
  namespace: string;
  /** "RoundRobin" without a policy (the default). */
  algorithm: string;
  source?: string;
  /** With a locality policy: where this proxy runs and the endpoints per priority level. */
  locality?: {
    zone?: string;
    region?: string;
    minHealthyPercent: number;
    /** Empty when this proxy was not told its zone or region (every endpoint is then one level). */
    levels: { priority: number; endpoints: string[] }[];
    failover: string[];
  };
}

export function balancingReport(
  service: string,
  namespace: string,
  endpoints: readonly RouteEndpoint[],
  spec: LoadBalancingSpec | undefined,
  topology: LocalTopology | undefined,
): BalancingReport {
  const report: BalancingReport = { service, namespace, algorithm: spec?.type ?? 'RoundRobin' };
  if (spec?.source !== undefined) report.source = spec.source;
  if (spec?.locality !== undefined) {
    const levels = knowsWhere(topology)
      ? priorityLevels(endpoints, topology)
          .map((list, priority) => ({ priority, endpoints: list.map((e) => e.address) }))
          .filter((l) => l.endpoints.length > 0)
      : [];
    report.locality = {
      ...(topology?.zone === undefined ? {} : { zone: topology.zone }),
      ...(topology?.region === undefined ? {} : { region: topology.region }),
      minHealthyPercent: spec.locality.minHealthyPercent,
      levels,
      failover: (spec.locality.failover ?? []).map((f) => `${f.service}.${f.namespace ?? namespace}`),
    };
  }
  return report;
}
