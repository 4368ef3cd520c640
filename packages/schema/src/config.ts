/**
 * The configuration the control plane sends each proxy. Versioned: a proxy reports the version it runs
 * (ACK) or refuses it with reasons (NACK). Endpoints per service, and the policies in force per service,
 * compiled from the policy resources (packages/schema/src/policy) — the proxy never sees a resource it would
 * have to resolve against the cluster itself.
 */
import { z } from 'zod';
import {
  cachePolicySpecSchema,
  circuitBreakerPolicySpecSchema,
  faultInjectionPolicyBody,
  faultIsSet,
  faultIsSetIssue,
  mirrorPolicySpecSchema,
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
import { HttpRouteLimits } from './policy/httproute.ts';
import { durationSchema, routeMatchSchema } from './policy/meta.ts';

export const endpointSchema = z.object({
  proxyId: z.string(),
  /** The destination's inbound proxy listener (host:port; the proxy checks it with a precise message). */
  address: z.string(),
  version: z.string(),
  /** Topology of the endpoint (registration flags, or Kubernetes topology labels), for locality routing. */
  zone: z.string().optional(),
  region: z.string().optional(),
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
 * Per-route policy: a policy whose targetRef is an HTTPRoute (every rule of it) or one rule of it
 * (`sectionName`). Only kinds that make sense per request are per route; circuit breaking and load
 * balancing belong to the backend Service (WEFT1005).
 */
const faultBody = faultInjectionPolicyBody.extend({ source }).refine(faultIsSet, faultIsSetIssue);
/** A mirror as the proxy gets it: the backend resolved to a service and namespace (version optional). */
const mirrorBody = mirrorPolicySpecSchema.omit({ targetRef: true, backend: true }).extend({
  source,
  backend: z.object({ service: z.string(), namespace: z.string(), version: z.string().optional() }),
});
const cacheBody = cachePolicySpecSchema.omit({ targetRef: true }).extend({ source });

export const routePoliciesSchema = z.object({
  faultInjection: faultBody.optional(),
  mirror: mirrorBody.optional(),
  cache: cacheBody.optional(),
  split: trafficSplitSpecSchema.omit({ targetRef: true }).extend({ source }).optional(),
  retry: retryPolicySpecSchema.omit({ targetRef: true }).extend({ source }).optional(),
  timeout: timeoutPolicyBody.extend({ source }).refine(timeoutIsSet, timeoutIsSetIssue).optional(),
  rateLimit: rateLimitPolicySpecSchema.omit({ targetRef: true }).extend({ source }).optional(),
});
export type RoutePolicies = z.infer<typeof routePoliciesSchema>;

/** One backend of a route rule: a Service (Gateway API backendRef) and its weight. */
export const routeBackendSchema = z.object({
  service: z.string(),
  namespace: z.string(),
  weight: z.number().int().min(0).max(HttpRouteLimits.maxWeight),
});
export type RouteBackend = z.infer<typeof routeBackendSchema>;

/**
 * One rule of an HTTPRoute attached to a destination Service (GAMMA), as the outbound proxy matches it.
 * The proxy picks the rule whose match is most specific (Gateway API precedence: exact path, longest path
 * prefix, method, most header matches, most query-param matches); ties go to the earlier rule in the list,
 * which the API orders oldest route first, then namespace/name, then rule order.
 */
export const routeRuleSchema = z.object({
  /** "HTTPRoute shop/reviews" */
  route: source,
  /** The rule's name (a policy's sectionName), when it has one. */
  name: z.string().optional(),
  /** Index of the rule in its HTTPRoute. */
  index: z.number().int().nonnegative(),
  /** Any one matches; empty means every request (Gateway API's default match: PathPrefix /). */
  matches: z.array(routeMatchSchema).max(HttpRouteLimits.maxMatches),
  /**
   * Where matching requests go, drawn by weight. Absent: to the parent Service itself. A backend the config
   * lists no endpoints for answers 500 for its share, as Gateway API says for an invalid backendRef.
   */
  backends: z.array(routeBackendSchema).max(HttpRouteLimits.maxBackendRefs).optional(),
  /** HTTPRoute rule timeouts (GEP-1742). */
  timeouts: z
    .object({ request: durationSchema.optional(), backendRequest: durationSchema.optional() })
    .optional(),
  policies: routePoliciesSchema.optional(),
});
export type RouteRule = z.infer<typeof routeRuleSchema>;

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
  faultInjection: faultBody.optional(),
  mirror: mirrorBody.optional(),
  cache: cacheBody.optional(),
  /**
   * The rules of every HTTPRoute whose parent is this service, in tie-break order. When present, a request
   * that matches none of them is answered 404, as Gateway API says.
   */
  routes: z
    .array(routeRuleSchema)
    .max(HttpRouteLimits.maxRules * 64)
    .optional(),
});
export type ServicePolicy = z.infer<typeof servicePolicySchema>;

/**
 * What an outbound proxy does with a request for a host outside the mesh (Istio's
 * `meshConfig.outboundTrafficPolicy.mode`): `ALLOW_ANY` forwards it to the host itself (HTTP, and HTTPS
 * through CONNECT); `REGISTRY_ONLY` answers 502 `egress-blocked`, as Istio's BlackHoleCluster does.
 */
export const OUTBOUND_TRAFFIC_POLICY_MODES = ['ALLOW_ANY', 'REGISTRY_ONLY'] as const;
export type OutboundTrafficPolicyMode = (typeof OUTBOUND_TRAFFIC_POLICY_MODES)[number];
export const DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE: OutboundTrafficPolicyMode = 'ALLOW_ANY';
export const outboundTrafficPolicySchema = z.object({
  mode: z.enum(OUTBOUND_TRAFFIC_POLICY_MODES, {
    message: `must be one of ${OUTBOUND_TRAFFIC_POLICY_MODES.join(', ')}`,
  }),
});
export type OutboundTrafficPolicy = z.infer<typeof outboundTrafficPolicySchema>;

export const proxyConfigSchema = z.object({
  /** Opaque version string; changes whenever the content changes. */
  version: z.string().min(1),
  services: z.array(serviceEndpointsSchema),
  /** Absent when no policy applies. */
  policies: z.array(servicePolicySchema).optional(),
  /** Mesh-wide egress switch; absent: `ALLOW_ANY` (proxies and APIs older than the field). */
  outboundTrafficPolicy: outboundTrafficPolicySchema.optional(),
});
export type ProxyConfig = z.infer<typeof proxyConfigSchema>;
