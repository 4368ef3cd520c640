/**
 * The config every proxy gets, compiled from three inputs: the live endpoints per service (the registry,
 * with its post-restart warm-up rule), the policies the platform has accepted, and the HTTPRoutes (GAMMA,
 * Kubernetes mode only; routes.ts attaches them to their parent Services). A pure function, so the rules are
 * tested on plain objects. docs/routing.md is the user-facing account of these rules.
 *
 * Policy rules:
 * - only policies whose `Accepted` condition is True are compiled;
 * - a targetRef of kind Service (no sectionName) means that Service in the policy's namespace, and its
 *   policy goes into the Service's entry; one policy per kind per Service: when two target the same
 *   Service, the oldest (creationTimestamp, then namespace/name) wins and the other is `conflicted`;
 * - a targetRef of kind HTTPRoute means every rule of that route, with sectionName the rule of that name;
 *   a Service targetRef with sectionName means the rules of that name among the Service's routes. TrafficSplit,
 *   RetryPolicy, TimeoutPolicy and RateLimitPolicy go into `rule.policies` of those rules, in the copy of every
 *   parent Service (the Service's own for a Service target); CircuitBreakerPolicy and LoadBalancingPolicy act
 *   on a Service's endpoints and are not compiled for a route (WEFT1005);
 * - per rule and kind one policy: one that names the rule (sectionName) beats one for the whole route
 *   (GEP-713: the more specific wins), and among equals the oldest wins; a policy that is in force in no rule
 *   is `conflicted` with the policy that took its first rule;
 * - each compiled policy is its spec without targetRef, plus `source` ("TrafficSplit shop/reviews-canary").
 *
 * The version is a hash of the content, so the same endpoints, policies and routes give the same version on
 * every API replica and across restarts. Without policies or routes it is the hash the registry always used,
 * so proxies running before an upgrade are not sent a new version for the same content.
 */
import { createHash } from 'node:crypto';
import {
  policyKey,
  type PolicyKind,
  type PolicyResource,
  type ProxyConfig,
  type RoutePolicies,
  type ServiceEndpoints,
  type ServicePolicy,
} from '@weft/schema';
import type { PolicyRef, StoredPolicy } from '../policies/platform.ts';
import { attachRoutes, type AttachedRule, type RouteReport, type RoutingInput } from './routes.ts';

export type { RoutingInput } from './routes.ts';

/** What became of one policy in a compiled config. */
export type PolicyOutcome =
  | { kind: 'compiled' }
  | { kind: 'not-accepted' }
  /** The kind cannot act on what it targets (a CircuitBreakerPolicy for a route). */
  | { kind: 'unsupported-target'; message: string }
  /** Accepted, but its route or rule is not there now (re-validation will take Accepted back). */
  | { kind: 'target-not-found'; message: string }
  /** Another policy of the same kind (`winner`) already applies to the same target ("reviews.shop"). */
  | { kind: 'conflicted'; winner: string; target: string };

export interface PolicyProgram {
  ref: PolicyRef;
  /** "TrafficSplit shop/reviews-canary" */
  source: string;
  generation: number;
  outcome: PolicyOutcome;
}

export interface CompiledConfig {
  config: ProxyConfig;
  /** One entry per policy offered, compiled or not, in the order they were offered. */
  programs: PolicyProgram[];
  /** One entry per HTTPRoute offered, oldest first: what became of its parents and backends. */
  routes: RouteReport[];
}

/** Which field of ServicePolicy each kind compiles into. */
export const POLICY_FIELD = {
  TrafficSplit: 'split',
  RetryPolicy: 'retry',
  TimeoutPolicy: 'timeout',
  CircuitBreakerPolicy: 'circuitBreaker',
  LoadBalancingPolicy: 'loadBalancing',
  RateLimitPolicy: 'rateLimit',
  FaultInjectionPolicy: 'faultInjection',
  MirrorPolicy: 'mirror',
  CachePolicy: 'cache',
} as const satisfies Record<PolicyKind, keyof ServicePolicy>;

/** The kinds a route rule carries (RoutePolicies); the others belong to a whole Service. */
const ROUTE_KINDS = new Set<PolicyKind>([
  'TrafficSplit',
  'RetryPolicy',
  'TimeoutPolicy',
  'RateLimitPolicy',
  'FaultInjectionPolicy',
  'MirrorPolicy',
  'CachePolicy',
]);

/** `${source}@${generation}`: how a config version records that it carries one generation of a policy. */
export function programKey(p: { source: string; generation: number }): string {
  return `${p.source}@${p.generation}`;
}

export function refOf(resource: PolicyResource): PolicyRef {
  return { kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name };
}

export function isAccepted(policy: Pick<StoredPolicy, 'conditions'>): boolean {
  return policy.conditions.some((c) => c.type === 'Accepted' && c.status === 'True');
}

export function generationOf(resource: PolicyResource): number {
  return resource.metadata.generation ?? 0;
}

/** One rule in one parent Service's list, and the route-level policies offered for it. */
interface RuleSlot {
  serviceKey: string;
  attached: AttachedRule;
  /** Per kind: the oldest policy naming this rule, and the oldest for the whole route. */
  section: Map<PolicyKind, number>;
  whole: Map<PolicyKind, number>;
}

export function compileConfig(
  services: readonly ServiceEndpoints[],
  policies: readonly StoredPolicy[],
  routing: RoutingInput = { routes: [] },
): CompiledConfig {
  const programs: PolicyProgram[] = policies.map((p) => ({
    ref: refOf(p.resource),
    source: policyKey(p.resource),
    generation: generationOf(p.resource),
    outcome: { kind: 'compiled' },
  }));
  const { byService: rulesByService, reports } = attachRoutes(routing);

  const byService = new Map<string, ServicePolicy>();
  const entryFor = (serviceKey: string): ServicePolicy => {
    let entry = byService.get(serviceKey);
    if (!entry) {
      const [namespace = '', service = ''] = serviceKey.split('/');
      entry = { namespace, service };
      byService.set(serviceKey, entry);
    }
    return entry;
  };
  const slots: RuleSlot[] = [];
  for (const [serviceKey, rules] of rulesByService) {
    entryFor(serviceKey).routes = rules.map((r) => r.rule);
    for (const attached of rules) slots.push({ serviceKey, attached, section: new Map(), whole: new Map() });
  }

  // Oldest first, so the first policy of a kind to claim a service or rule keeps it.
  const order = policies.map((_, i) => i).sort((a, b) => compareAge(policies[a]!, policies[b]!));
  const winners = new Map<string, string>();
  /** Policies for route rules, placed once every claim is known. */
  const routed: number[] = [];
  for (const i of order) {
    const { resource } = policies[i]!;
    const program = programs[i]!;
    if (!isAccepted(policies[i]!)) {
      program.outcome = { kind: 'not-accepted' };
      continue;
    }
    const ref = resource.spec.targetRef;
    const namespace = resource.metadata.namespace;
    if (ref.kind === 'HTTPRoute' || ref.sectionName !== undefined) {
      if (!ROUTE_KINDS.has(resource.kind)) {
        program.outcome = {
          kind: 'unsupported-target',
          message: `a ${resource.kind} attaches to a Service, not a route (WEFT1005): it is not sent to proxies`,
        };
        continue;
      }
      const matching = slots.filter((slot) => isTargetOf(resource, slot));
      if (matching.length === 0) {
        program.outcome = { kind: 'target-not-found', message: missingTarget(namespace, ref) };
        continue;
      }
      for (const slot of matching) {
        const claims = ref.sectionName !== undefined ? slot.section : slot.whole;
        if (!claims.has(resource.kind)) claims.set(resource.kind, i);
      }
      routed.push(i);
      continue;
    }
    const serviceKey = `${namespace}/${ref.name}`;
    const claim = `${resource.kind} ${serviceKey}`;
    const winner = winners.get(claim);
    if (winner !== undefined) {
      program.outcome = { kind: 'conflicted', winner, target: `${ref.name}.${namespace}` };
      continue;
    }
    winners.set(claim, program.source);
    Object.assign(entryFor(serviceKey), compiledSpec(resource, program.source, ref.name));
  }

  // Each rule takes, per kind, the policy naming it, else the one for its whole route.
  const placed = new Set<number>();
  for (const slot of slots) {
    const rulePolicies: RoutePolicies = {};
    for (const kind of ROUTE_KINDS) {
      const i = slot.section.get(kind) ?? slot.whole.get(kind);
      if (i === undefined) continue;
      placed.add(i);
      const service = slot.serviceKey.slice(slot.serviceKey.indexOf('/') + 1);
      Object.assign(rulePolicies, compiledSpec(policies[i]!.resource, programs[i]!.source, service));
    }
    if (Object.keys(rulePolicies).length > 0) slot.attached.rule.policies = rulePolicies;
  }
  for (const i of routed) {
    if (placed.has(i)) continue;
    // In force in none of its rules: name the policy that holds the first of them.
    const { resource } = policies[i]!;
    const first = slots.find((slot) => isTargetOf(resource, slot))!;
    const winner = first.section.get(resource.kind) ?? first.whole.get(resource.kind)!;
    programs[i]!.outcome = { kind: 'conflicted', winner: programs[winner]!.source, target: ruleName(first) };
  }

  const compiled = [...byService.values()].sort(
    (a, b) => compareText(a.namespace, b.namespace) || compareText(a.service, b.service),
  );
  const config: ProxyConfig =
    compiled.length > 0
      ? { version: versionOf(services, compiled), services: [...services], policies: compiled }
      : { version: versionOf(services, []), services: [...services] };
  return { config, programs, routes: reports };
}

/** Whether a route-level targetRef (an HTTPRoute, or a Service with sectionName) names this rule. */
function isTargetOf(resource: PolicyResource, slot: RuleSlot): boolean {
  const ref = resource.spec.targetRef;
  const namespace = resource.metadata.namespace;
  return ref.kind === 'HTTPRoute'
    ? slot.attached.namespace === namespace &&
        slot.attached.routeName === ref.name &&
        (ref.sectionName === undefined || slot.attached.rule.name === ref.sectionName)
    : slot.serviceKey === `${namespace}/${ref.name}` && slot.attached.rule.name === ref.sectionName;
}

/** 'rule "quote" of HTTPRoute shop/reviews (Service reviews.shop)' */
function ruleName(slot: RuleSlot): string {
  const { rule } = slot.attached;
  const [namespace, service] = slot.serviceKey.split('/');
  const which = rule.name !== undefined ? `rule "${rule.name}"` : `rule ${rule.index}`;
  return `${which} of ${rule.route} (Service ${service}.${namespace})`;
}

function missingTarget(namespace: string, ref: PolicyResource['spec']['targetRef']): string {
  if (ref.kind === 'HTTPRoute') {
    return ref.sectionName === undefined
      ? `not sent to proxies: HTTPRoute ${namespace}/${ref.name} does not exist or attaches to no Service`
      : `not sent to proxies: HTTPRoute ${namespace}/${ref.name} has no rule "${ref.sectionName}" attached to a Service`;
  }
  return `not sent to proxies: no HTTPRoute attached to Service ${ref.name}.${namespace} has a rule "${ref.sectionName}"`;
}

/** The config version: a hash of the services and, when there are any, the compiled policies and routes. */
export function versionOf(services: readonly ServiceEndpoints[], policies: readonly ServicePolicy[]): string {
  const content =
    policies.length > 0
      ? canonicalJson({ services, policies })
      : // The registry's hash before policies existed: unchanged content keeps its version across an upgrade.
        JSON.stringify(services);
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/**
 * One kind's spec as the proxy gets it: without targetRef, with where it came from. `service` is the
 * Service the policy applies to (the target, or a route's parent), in the policy's namespace.
 */
function compiledSpec(p: PolicyResource, source: string, service: string): Partial<ServicePolicy> {
  switch (p.kind) {
    case 'TrafficSplit': {
      const { targetRef: _, ...body } = p.spec;
      return { split: { ...body, source } };
    }
    case 'RetryPolicy': {
      const { targetRef: _, ...body } = p.spec;
      return { retry: { ...body, source } };
    }
    case 'TimeoutPolicy': {
      const { targetRef: _, ...body } = p.spec;
      return { timeout: { ...body, source } };
    }
    case 'CircuitBreakerPolicy': {
      const { targetRef: _, ...body } = p.spec;
      return { circuitBreaker: { ...body, source } };
    }
    case 'LoadBalancingPolicy': {
      const { targetRef: _, ...body } = p.spec;
      return { loadBalancing: { ...body, source } };
    }
    case 'RateLimitPolicy': {
      const { targetRef: _, ...body } = p.spec;
      return { rateLimit: { ...body, source } };
    }
    case 'FaultInjectionPolicy': {
      const { targetRef: _, ...body } = p.spec;
      return { faultInjection: { ...body, source } };
    }
    case 'MirrorPolicy': {
      const { targetRef: _, backend, ...body } = p.spec;
      const to = {
        service: backend.service ?? service,
        namespace: backend.namespace ?? p.metadata.namespace,
        ...(backend.version !== undefined ? { version: backend.version } : {}),
      };
      return { mirror: { ...body, backend: to, source } };
    }
    case 'CachePolicy': {
      const { targetRef: _, ...body } = p.spec;
      return { cache: { ...body, source } };
    }
  }
}

/** Oldest first: creationTimestamp (a policy without one counts as newest), then namespace and name. */
function compareAge(a: StoredPolicy, b: StoredPolicy): number {
  return (
    createdAtMs(a) - createdAtMs(b) ||
    compareText(a.resource.metadata.namespace, b.resource.metadata.namespace) ||
    compareText(a.resource.metadata.name, b.resource.metadata.name)
  );
}

function createdAtMs(p: StoredPolicy): number {
  const at = Date.parse(p.resource.metadata.creationTimestamp ?? '');
  return Number.isNaN(at) ? Number.MAX_SAFE_INTEGER : at;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted, so the hash does not depend on the order a store kept the fields in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => compareText(a, b)))
      : v,
  );
}
