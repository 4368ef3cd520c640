/**
 * The configuration the control plane sends each proxy. Versioned: a proxy reports the version it runs
 * (ACK) or refuses it with reasons (NACK). Endpoints per service, and the policies in force per service,
 * compiled from the policy resources (packages/schema/src/policy) — the proxy never sees a resource it would
 * have to resolve against the cluster itself.
 */
import { z } from 'zod';
import {
  circuitBreakerPolicySpecSchema,
  loadBalancingPolicyBody,
  ringHashHasKey,
  ringHashHasKeyIssue,
  rateLimitPolicySpecSchema,
  retryPolicySpecSchema,
  timeoutIsSet,
  timeoutIsSetIssue,
  timeoutPolicyBody,
  trafficSplitSpecSchema,
} from './policy/kinds.ts';

export const endpointSchema = z.object({
  proxyId: z.string(),
  /** The destination's inbound proxy listener (host:port; the proxy checks it with a precise message). */
  address: z.string(),
  version: z.string(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

export const serviceEndpointsSchema = z.object({
  name: z.string(),
  namespace: z.string(),
  endpoints: z.array(endpointSchema),
});
export type ServiceEndpoints = z.infer<typeof serviceEndpointsSchema>;

/** Where a compiled policy came from ("TrafficSplit shop/reviews-canary"), for logs, NACKs and the console. */
const source = z.string().max(600);

/**
 * The policies in force for one destination service, as the outbound (split, retry, timeout, breaker,
 * balancing) and inbound (rate limit) proxies apply them. Each is the resource's spec without its targetRef.
 */
export const servicePolicySchema = z.object({
  namespace: z.string(),
  service: z.string(),
  split: trafficSplitSpecSchema.omit({ targetRef: true }).extend({ source }).optional(),
  retry: retryPolicySpecSchema.omit({ targetRef: true }).extend({ source }).optional(),
  timeout: timeoutPolicyBody.extend({ source }).refine(timeoutIsSet, timeoutIsSetIssue).optional(),
  circuitBreaker: circuitBreakerPolicySpecSchema.omit({ targetRef: true }).extend({ source }).optional(),
  loadBalancing: loadBalancingPolicyBody
    .extend({ source })
    .refine(ringHashHasKey, ringHashHasKeyIssue)
    .optional(),
  rateLimit: rateLimitPolicySpecSchema.omit({ targetRef: true }).extend({ source }).optional(),
});
export type ServicePolicy = z.infer<typeof servicePolicySchema>;

export const proxyConfigSchema = z.object({
  /** Opaque version string; changes whenever the content changes. */
  version: z.string().min(1),
  services: z.array(serviceEndpointsSchema),
  /** Absent when no policy applies. */
  policies: z.array(servicePolicySchema).optional(),
});
export type ProxyConfig = z.infer<typeof proxyConfigSchema>;
