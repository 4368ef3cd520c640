/**
 * The config every proxy gets, compiled from two inputs: the live endpoints per service (the registry,
 * with its post-restart warm-up rule) and the policies the platform has accepted. A pure function, so the
 * rules are tested on plain objects.
 *
 * Policy rules (part 1):
 * - only policies whose `Accepted` condition is True are compiled;
 * - a targetRef of kind Service means that Service in the policy's namespace; HTTPRoute targets are left
 *   out until routes exist;
 * - one policy per kind per destination service: when two target the same service, the oldest
 *   (creationTimestamp, then name) wins and the other is reported as conflicted;
 * - each compiled policy is its spec without targetRef, plus `source` ("TrafficSplit shop/reviews-canary").
 *
 * The version is a hash of the content, so the same endpoints and policies give the same version on every
 * API replica and across restarts. Without policies it is the hash the registry always used, so proxies
 * running before an upgrade are not sent a new version for the same content.
 */
import { createHash } from 'node:crypto';
import {
  policyKey,
  type PolicyKind,
  type PolicyResource,
  type ProxyConfig,
  type ServiceEndpoints,
  type ServicePolicy,
} from '@weft/schema';
import type { PolicyRef, StoredPolicy } from '../policies/platform.ts';

/** What became of one policy in a compiled config. */
export type PolicyOutcome =
  | { kind: 'compiled' }
  | { kind: 'not-accepted' }
  | { kind: 'unsupported-target'; message: string }
  /** Another policy of the same kind (`winner`, older) already applies to the same service. */
  | { kind: 'conflicted'; winner: string; service: string };

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
}

/** Which field of ServicePolicy each kind compiles into. */
export const POLICY_FIELD = {
  TrafficSplit: 'split',
  RetryPolicy: 'retry',
  TimeoutPolicy: 'timeout',
  CircuitBreakerPolicy: 'circuitBreaker',
  LoadBalancingPolicy: 'loadBalancing',
  RateLimitPolicy: 'rateLimit',
} as const satisfies Record<PolicyKind, keyof ServicePolicy>;

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

export function compileConfig(
  services: readonly ServiceEndpoints[],
  policies: readonly StoredPolicy[],
): CompiledConfig {
  const programs: PolicyProgram[] = policies.map((p) => ({
    ref: refOf(p.resource),
    source: policyKey(p.resource),
    generation: generationOf(p.resource),
    outcome: { kind: 'compiled' },
  }));

  // Oldest first, so the first policy of a kind to claim a service keeps it.
  const order = policies.map((_, i) => i).sort((a, b) => compareAge(policies[a]!, policies[b]!));
  const byService = new Map<string, ServicePolicy>();
  const winners = new Map<string, string>();
  for (const i of order) {
    const { resource } = policies[i]!;
    const program = programs[i]!;
    if (!isAccepted(policies[i]!)) {
      program.outcome = { kind: 'not-accepted' };
      continue;
    }
    const ref = resource.spec.targetRef;
    if (ref.kind !== 'Service') {
      program.outcome = {
        kind: 'unsupported-target',
        message: `${ref.kind} targets are not compiled into proxy configs yet (routes come later)`,
      };
      continue;
    }
    const namespace = resource.metadata.namespace;
    const service = ref.name;
    const serviceKey = `${namespace}/${service}`;
    const claim = `${resource.kind} ${serviceKey}`;
    const winner = winners.get(claim);
    if (winner !== undefined) {
      program.outcome = { kind: 'conflicted', winner, service: `${service}.${namespace}` };
      continue;
    }
    winners.set(claim, program.source);
    let entry = byService.get(serviceKey);
    if (!entry) {
      entry = { namespace, service };
      byService.set(serviceKey, entry);
    }
    Object.assign(entry, compiledSpec(resource, program.source));
  }

  const compiled = [...byService.values()].sort(
    (a, b) => compareText(a.namespace, b.namespace) || compareText(a.service, b.service),
  );
  const config: ProxyConfig =
    compiled.length > 0
      ? { version: versionOf(services, compiled), services: [...services], policies: compiled }
      : { version: versionOf(services, []), services: [...services] };
  return { config, programs };
}

/** The config version: a hash of the services and, when there are any, the compiled policies. */
export function versionOf(services: readonly ServiceEndpoints[], policies: readonly ServicePolicy[]): string {
  const content =
    policies.length > 0
      ? canonicalJson({ services, policies })
      : // The registry's hash before policies existed: unchanged content keeps its version across an upgrade.
        JSON.stringify(services);
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** One kind's spec as the proxy gets it: without targetRef, with where it came from. */
function compiledSpec(p: PolicyResource, source: string): Partial<ServicePolicy> {
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
