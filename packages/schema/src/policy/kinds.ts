/**
 * The policy kinds, each a `spec` schema. Specs use no unions (a `type` enum with optional sibling blocks, as
 * Gateway API does), so each maps to a structural openAPIV3Schema for its CRD.
 */
import { z } from 'zod';
import { dnsLabelSchema } from '../net.ts';
import {
  clientRefSchema,
  durationSchema,
  PolicyLimits,
  routeMatchSchema,
  targetRefSchema,
  versionRefSchema,
} from './meta.ts';

const weight = z.number().int().min(0).max(PolicyLimits.maxWeight);
const count = (max: number) => z.number().int().min(1).max(max);

/** A canary split between a service's versions, with header/cookie pins to one version. */
export const trafficSplitSpecSchema = z.object({
  targetRef: targetRefSchema,
  backends: z
    .array(z.object({ version: versionRefSchema, weight }))
    .min(1)
    .max(PolicyLimits.maxVersionsPerSplit),
  pins: z
    .array(
      z.object({
        version: versionRefSchema,
        header: z
          .object({
            name: z.string().min(1).max(PolicyLimits.maxHeaderNameLength),
            value: z.string().max(PolicyLimits.maxHeaderValueLength),
          })
          .optional(),
        cookie: z
          .object({
            name: z.string().min(1).max(PolicyLimits.maxHeaderNameLength),
            value: z.string().max(PolicyLimits.maxHeaderValueLength),
          })
          .optional(),
      }),
    )
    .max(PolicyLimits.maxPins)
    .optional(),
});

const limitSchema = z.object({
  requests: count(PolicyLimits.maxRequestsPerInterval),
  interval: durationSchema,
  burst: z.number().int().min(0).max(PolicyLimits.maxRequestsPerInterval).default(0),
});

/** Token-bucket limits per route and optionally per calling workload, with overrides; a concurrency limit. */
export const rateLimitPolicySpecSchema = z.object({
  targetRef: targetRefSchema,
  rules: z
    .array(
      z.object({
        name: dnsLabelSchema.optional(),
        matches: z.array(routeMatchSchema).max(PolicyLimits.maxMatches).optional(),
        limit: limitSchema,
        /** One bucket per calling workload instead of one shared bucket. */
        perClient: z.boolean().default(false),
        overrides: z
          .array(z.object({ client: clientRefSchema, limit: limitSchema }))
          .max(PolicyLimits.maxOverrides)
          .optional(),
      }),
    )
    .max(PolicyLimits.maxRules)
    .optional(),
  concurrency: z.object({ maxInFlight: count(1_000_000) }).optional(),
});

export const RETRY_ON = ['connect-failure', 'reset', 'gateway-error', '5xx', '502', '503', '504'] as const;

export const retryPolicySpecSchema = z.object({
  targetRef: targetRefSchema,
  attempts: count(PolicyLimits.maxRetryAttempts),
  perTryTimeout: durationSchema.optional(),
  backoff: z
    .object({
      base: durationSchema.default('25ms'),
      max: durationSchema.default('250ms'),
      /** Fraction of each delay that is randomised (0..1). */
      jitter: z.number().min(0).max(1).default(0.5),
    })
    .default({ base: '25ms', max: '250ms', jitter: 0.5 }),
  retryOn: z
    .array(z.enum(RETRY_ON))
    .min(1)
    .max(RETRY_ON.length)
    .default(['connect-failure', 'reset', 'gateway-error']),
  /** Retry non-idempotent requests (POST, PATCH) too. */
  nonIdempotent: z.boolean().default(false),
  /** Retries may add at most this ratio of the original requests, plus minPerSecond (Linkerd's budget). */
  budget: z
    .object({
      ratio: z.number().min(0).max(1).default(0.2),
      minPerSecond: z.number().int().min(0).max(1000).default(10),
    })
    .default({ ratio: 0.2, minPerSecond: 10 }),
});

export const timeoutPolicyBody = z.object({
  request: durationSchema.optional(),
  perTry: durationSchema.optional(),
  idle: durationSchema.optional(),
});
export function timeoutIsSet(s: z.infer<typeof timeoutPolicyBody>): boolean {
  return s.request !== undefined || s.perTry !== undefined || s.idle !== undefined;
}
export const timeoutIsSetIssue = { message: 'set at least one of request, perTry, idle', path: ['request'] };
export const timeoutPolicySpecSchema = z
  .object({ targetRef: targetRefSchema, ...timeoutPolicyBody.shape })
  .refine(timeoutIsSet, timeoutIsSetIssue);

export const circuitBreakerPolicySpecSchema = z.object({
  targetRef: targetRefSchema,
  outlierDetection: z
    .object({
      consecutive5xx: count(1000).optional(),
      consecutiveGatewayErrors: count(1000).optional(),
      failurePercentage: z
        .object({
          threshold: z.number().int().min(1).max(100),
          minimumRequests: count(100_000).default(20),
          interval: durationSchema.default('10s'),
        })
        .optional(),
      baseEjectionTime: durationSchema.default('30s'),
      maxEjectionPercent: z.number().int().min(0).max(100).default(50),
    })
    .optional(),
  limits: z
    .object({
      maxConnections: count(1_000_000).optional(),
      maxPendingRequests: count(1_000_000).optional(),
      maxRequests: count(1_000_000).optional(),
    })
    .optional(),
});

export const LB_ALGORITHMS = ['RoundRobin', 'LeastRequest', 'EWMA', 'RingHash'] as const;

/** A share of requests, in percent; fractions allowed (0.5 = one request in 200). */
const percentage = z.number().min(0).max(100);

/** Active HTTP health checks of every endpoint, feeding the balancer (Envoy's health checker). */
export const healthCheckSchema = z.object({
  /** Requested with GET on the endpoint's inbound listener. */
  path: z
    .string()
    .min(1)
    .max(PolicyLimits.maxPathLength)
    .regex(/^\/[^\s]*$/, 'must be an absolute path without spaces'),
  interval: durationSchema.default('5s'),
  timeout: durationSchema.default('1s'),
  /** Consecutive failures before an endpoint counts as unhealthy. */
  unhealthyThreshold: count(100).default(3),
  /** Consecutive successes before an unhealthy endpoint counts as healthy again. */
  healthyThreshold: count(100).default(2),
});

/**
 * Locality-aware routing with failover (Envoy's zone-aware routing and priority levels): prefer endpoints
 * in the caller's zone while enough of them are healthy, then the caller's region, then every zone, and
 * when the service has no healthy endpoint at all, a failover service (another cluster or region).
 */
export const localitySchema = z.object({
  /** Keep traffic in the caller's zone (then region) while at least this share of it is healthy. */
  minHealthyPercent: z.number().int().min(1).max(100).default(70),
  failover: z
    .array(z.object({ service: dnsLabelSchema, namespace: dnsLabelSchema.optional() }))
    .max(4)
    .optional(),
});

export const loadBalancingPolicyBody = z.object({
  type: z.enum(LB_ALGORITHMS),
  leastRequest: z.object({ choices: z.number().int().min(2).max(8).default(2) }).optional(),
  ewma: z.object({ decay: durationSchema.default('10s') }).optional(),
  ringHash: z
    .object({
      header: z.string().min(1).max(PolicyLimits.maxHeaderNameLength).optional(),
      cookie: z.string().min(1).max(PolicyLimits.maxHeaderNameLength).optional(),
      minRingSize: z
        .number()
        .int()
        .min(64)
        .max(1 << 20)
        .default(1024),
    })
    .optional(),
  healthCheck: healthCheckSchema.optional(),
  locality: localitySchema.optional(),
});

/** Refinements shared by a kind's resource spec and its compiled form in the proxy config. */
export function ringHashHasKey(s: z.infer<typeof loadBalancingPolicyBody>): boolean {
  return s.type !== 'RingHash' || s.ringHash?.header !== undefined || s.ringHash?.cookie !== undefined;
}
export const ringHashHasKeyIssue = {
  message: 'RingHash needs ringHash.header or ringHash.cookie to hash on',
  path: ['ringHash'],
};

export const loadBalancingPolicySpecSchema = z
  .object({ targetRef: targetRefSchema, ...loadBalancingPolicyBody.shape })
  .refine(ringHashHasKey, ringHashHasKeyIssue);

/** Faults injected into a share of requests, before they leave the caller's proxy (Envoy's fault filter). */
export const faultInjectionPolicyBody = z.object({
  /** Only requests that match one of these (any request when absent). */
  matches: z.array(routeMatchSchema).max(PolicyLimits.maxMatches).optional(),
  delay: z.object({ percentage, duration: durationSchema }).optional(),
  abort: z.object({ percentage, status: z.number().int().min(200).max(599) }).optional(),
});
export function faultIsSet(s: z.infer<typeof faultInjectionPolicyBody>): boolean {
  return s.delay !== undefined || s.abort !== undefined;
}
export const faultIsSetIssue = { message: 'set delay, abort or both', path: ['delay'] };
export const faultInjectionPolicySpecSchema = z
  .object({ targetRef: targetRefSchema, ...faultInjectionPolicyBody.shape })
  .refine(faultIsSet, faultIsSetIssue);

/**
 * A share of requests copied to another service or another version of this one; the copies' responses are
 * discarded and never slow the original (Envoy's request mirror policy, Gateway API's RequestMirror).
 */
export const mirrorPolicySpecSchema = z.object({
  targetRef: targetRefSchema,
  matches: z.array(routeMatchSchema).max(PolicyLimits.maxMatches).optional(),
  /** The service to copy to (default: the target service itself, with `version` set). */
  backend: z.object({
    service: dnsLabelSchema.optional(),
    namespace: dnsLabelSchema.optional(),
    version: versionRefSchema.optional(),
  }),
  percentage: percentage.default(100),
  /** Requests with a larger body are not mirrored (the body is copied while the original streams). */
  maxBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
});

/**
 * A shared HTTP cache (RFC 9111) in the caller's proxy for the target's responses: what the response headers
 * allow is stored and served until stale; these fields bound it and fill in what the headers leave open.
 */
export const cachePolicySpecSchema = z.object({
  targetRef: targetRefSchema,
  matches: z.array(routeMatchSchema).max(PolicyLimits.maxMatches).optional(),
  /** Size of the in-memory store for this service; least recently used entries go first. */
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  /** Larger responses are passed through, not stored. */
  maxEntryBytes: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /**
   * Heuristic freshness for responses without explicit freshness (RFC 9111 4.2.2): this share of the time
   * since Last-Modified, capped by heuristicMax. 0 turns heuristics off.
   */
  heuristicPercent: z.number().int().min(0).max(100).default(10),
  heuristicMax: durationSchema.default('1h'),
  /** Also serve stale responses this long while revalidating / on upstream errors when the response allows. */
  staleWhileRevalidate: durationSchema.optional(),
  staleIfError: durationSchema.optional(),
});

/** Every kind once: its name, plural, short names and spec schema (like Headlamp's resource registry). */
export const POLICY_KINDS = {
  TrafficSplit: { plural: 'trafficsplits', shortNames: ['ts'], spec: trafficSplitSpecSchema },
  RateLimitPolicy: { plural: 'ratelimitpolicies', shortNames: ['rlp'], spec: rateLimitPolicySpecSchema },
  RetryPolicy: { plural: 'retrypolicies', shortNames: ['rtp'], spec: retryPolicySpecSchema },
  TimeoutPolicy: { plural: 'timeoutpolicies', shortNames: ['tmp'], spec: timeoutPolicySpecSchema },
  CircuitBreakerPolicy: {
    plural: 'circuitbreakerpolicies',
    shortNames: ['cbp'],
    spec: circuitBreakerPolicySpecSchema,
  },
  LoadBalancingPolicy: {
    plural: 'loadbalancingpolicies',
    shortNames: ['lbp'],
    spec: loadBalancingPolicySpecSchema,
  },
  FaultInjectionPolicy: {
    plural: 'faultinjectionpolicies',
    shortNames: ['fip'],
    spec: faultInjectionPolicySpecSchema,
  },
  MirrorPolicy: { plural: 'mirrorpolicies', shortNames: ['mp'], spec: mirrorPolicySpecSchema },
  CachePolicy: { plural: 'cachepolicies', shortNames: ['cp'], spec: cachePolicySpecSchema },
} as const;

export type PolicyKind = keyof typeof POLICY_KINDS;
export const POLICY_KIND_NAMES = Object.keys(POLICY_KINDS) as PolicyKind[];
export const policyKindSchema = z.enum(POLICY_KIND_NAMES as [PolicyKind, ...PolicyKind[]]);

export type TrafficSplitSpec = z.infer<typeof trafficSplitSpecSchema>;
export type RateLimitPolicySpec = z.infer<typeof rateLimitPolicySpecSchema>;
export type RetryPolicySpec = z.infer<typeof retryPolicySpecSchema>;
export type TimeoutPolicySpec = z.infer<typeof timeoutPolicySpecSchema>;
export type CircuitBreakerPolicySpec = z.infer<typeof circuitBreakerPolicySpecSchema>;
export type LoadBalancingPolicySpec = z.infer<typeof loadBalancingPolicySpecSchema>;
export type FaultInjectionPolicySpec = z.infer<typeof faultInjectionPolicySpecSchema>;
export type MirrorPolicySpec = z.infer<typeof mirrorPolicySpecSchema>;
export type CachePolicySpec = z.infer<typeof cachePolicySpecSchema>;
