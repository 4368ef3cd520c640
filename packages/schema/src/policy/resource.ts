/** A policy resource as a whole: apiVersion, kind, metadata, spec and status, parsed per kind. */
import { z } from 'zod';
import { POLICY_API_VERSION, policyMetadataSchema, policyStatusSchema } from './meta.ts';
import {
  cachePolicySpecSchema,
  circuitBreakerPolicySpecSchema,
  faultInjectionPolicySpecSchema,
  mirrorPolicySpecSchema,
  loadBalancingPolicySpecSchema,
  rateLimitPolicySpecSchema,
  retryPolicySpecSchema,
  timeoutPolicySpecSchema,
  trafficSplitSpecSchema,
} from './kinds.ts';

function resource<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.object({
    apiVersion: z.literal(POLICY_API_VERSION, { message: `must be "${POLICY_API_VERSION}"` }),
    kind: z.literal(kind),
    metadata: policyMetadataSchema,
    spec,
    status: policyStatusSchema.optional(),
  });
}

export const trafficSplitSchema = resource('TrafficSplit', trafficSplitSpecSchema);
export const rateLimitPolicySchema = resource('RateLimitPolicy', rateLimitPolicySpecSchema);
export const retryPolicySchema = resource('RetryPolicy', retryPolicySpecSchema);
export const timeoutPolicySchema = resource('TimeoutPolicy', timeoutPolicySpecSchema);
export const circuitBreakerPolicySchema = resource('CircuitBreakerPolicy', circuitBreakerPolicySpecSchema);
export const loadBalancingPolicySchema = resource('LoadBalancingPolicy', loadBalancingPolicySpecSchema);

export const faultInjectionPolicySchema = resource('FaultInjectionPolicy', faultInjectionPolicySpecSchema);
export const mirrorPolicySchema = resource('MirrorPolicy', mirrorPolicySpecSchema);
export const cachePolicySchema = resource('CachePolicy', cachePolicySpecSchema);

export const policyResourceSchema = z.discriminatedUnion('kind', [
  trafficSplitSchema,
  rateLimitPolicySchema,
  retryPolicySchema,
  timeoutPolicySchema,
  circuitBreakerPolicySchema,
  loadBalancingPolicySchema,
  faultInjectionPolicySchema,
  mirrorPolicySchema,
  cachePolicySchema,
]);
export type PolicyResource = z.infer<typeof policyResourceSchema>;
export type PolicyResourceInput = z.input<typeof policyResourceSchema>;
export type TrafficSplit = z.infer<typeof trafficSplitSchema>;

/** "TrafficSplit shop/reviews-canary" */
export function policyKey(p: { kind: string; metadata: { namespace: string; name: string } }): string {
  return `${p.kind} ${p.metadata.namespace}/${p.metadata.name}`;
}
