'use client';
/**
 * Which policies are in force on each service of the graph, as short badges on its node. Handed to the
 * nodes through context, not node data, so a policy change re-renders badges without touching the layout.
 */
import type { PolicyKind } from '@weft/schema';
import { createContext, useContext } from 'react';

/** Short names for a node badge, like kubectl's short names but readable. */
export const BADGE: Record<PolicyKind, string> = {
  TrafficSplit: 'split',
  RateLimitPolicy: 'rate limit',
  RetryPolicy: 'retry',
  TimeoutPolicy: 'timeout',
  CircuitBreakerPolicy: 'breaker',
  LoadBalancingPolicy: 'balancing',
  FaultInjectionPolicy: 'fault',
  MirrorPolicy: 'mirror',
  CachePolicy: 'cache',
};

/** "namespace/service" → the kinds of the accepted policies that target that Service, sorted. */
export type PolicyBadges = ReadonlyMap<string, readonly PolicyKind[]>;

export const PolicyBadgesContext = createContext<PolicyBadges>(new Map());

export function usePolicyBadges(nodeId: string): readonly PolicyKind[] {
  return useContext(PolicyBadgesContext).get(nodeId) ?? [];
}

export function badgesFrom(
  policies: readonly {
    resource: {
      kind: PolicyKind;
      metadata: { namespace: string };
      spec: { targetRef: { kind: string; name: string } };
    };
    conditions: readonly { type: string; status: string }[];
  }[],
): PolicyBadges {
  const out = new Map<string, PolicyKind[]>();
  for (const p of policies) {
    const ref = p.resource.spec.targetRef;
    if (ref.kind !== 'Service') continue;
    if (!p.conditions.some((c) => c.type === 'Accepted' && c.status === 'True')) continue;
    const id = `${p.resource.metadata.namespace}/${ref.name}`;
    const kinds = out.get(id) ?? [];
    if (!kinds.includes(p.resource.kind)) kinds.push(p.resource.kind);
    out.set(id, kinds);
  }
  for (const kinds of out.values()) kinds.sort();
  return out;
}
