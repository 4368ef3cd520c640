/**
 * What the console calls each policy kind (menu items, page titles, default names), and which kinds may
 * target a route rule. Kept apart from forms/index.ts so the Actions menu lists every kind even before its
 * form exists.
 */
import { POLICY_KIND_NAMES, type PolicyKind } from '@weft/schema';

export interface KindLabel {
  /** "Canary split" */
  title: string;
  /** Suffix of a new policy's name: "reviews-canary". */
  nameSuffix: string;
}

export const KIND_LABELS: Record<PolicyKind, KindLabel> = {
  TrafficSplit: { title: 'Canary split', nameSuffix: 'canary' },
  RateLimitPolicy: { title: 'Rate limit', nameSuffix: 'rate-limit' },
  RetryPolicy: { title: 'Retry', nameSuffix: 'retry' },
  TimeoutPolicy: { title: 'Timeout', nameSuffix: 'timeout' },
  CircuitBreakerPolicy: { title: 'Circuit breaker', nameSuffix: 'circuit-breaker' },
  LoadBalancingPolicy: { title: 'Load balancing', nameSuffix: 'load-balancing' },
  FaultInjectionPolicy: { title: 'Fault injection', nameSuffix: 'fault-injection' },
  MirrorPolicy: { title: 'Mirror', nameSuffix: 'mirror' },
  CachePolicy: { title: 'Cache', nameSuffix: 'cache' },
};

/** The menu's order: the everyday ones first (the order of POLICY_KINDS). */
export const MENU_KINDS: readonly PolicyKind[] = POLICY_KIND_NAMES;

export function isPolicyKind(value: string): value is PolicyKind {
  return (POLICY_KIND_NAMES as readonly string[]).includes(value);
}

/**
 * Circuit breaking and balancing act on a Service's endpoints, which a route rule has none of its own of
 * (validate() refuses them with WEFT1005): those kinds target a whole Service only.
 */
export function kindAllowsRouteTarget(kind: PolicyKind): boolean {
  return kind !== 'CircuitBreakerPolicy' && kind !== 'LoadBalancingPolicy';
}

/** A name for a new policy on `service` that no policy of the kind in the namespace has yet. */
export function newPolicyName(kind: PolicyKind, service: string, taken: ReadonlySet<string>): string {
  const base = `${service}-${KIND_LABELS[kind].nameSuffix}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}
