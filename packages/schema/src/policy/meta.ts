/**
 * What every Weft policy resource shares: the API group and version, Kubernetes-style metadata, a Gateway API
 * style target reference (GEP-713), durations in the Gateway API format (GEP-2257), route matches and status
 * conditions. The CRD manifests in charts/weft/crds/ are generated from these schemas.
 */
import { z } from 'zod';
import { dnsLabelSchema, versionNameSchema } from '../net.ts';

export const POLICY_GROUP = 'policy.weft.dev';
export const POLICY_VERSION = 'v1alpha1';
export const POLICY_API_VERSION = `${POLICY_GROUP}/${POLICY_VERSION}`;
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export const PolicyLimits = {
  maxNameLength: 253,
  maxLabels: 64,
  maxLabelValueLength: 63,
  maxAnnotationValueLength: 4096,
  maxVersionsPerSplit: 16,
  maxPins: 16,
  maxRules: 32,
  maxMatches: 16,
  maxHeaderMatches: 16,
  maxOverrides: 64,
  maxHeaderNameLength: 256,
  maxHeaderValueLength: 4096,
  maxPathLength: 1024,
  /** Weights as Gateway API backendRefs have them. */
  maxWeight: 1_000_000,
  maxRetryAttempts: 10,
  maxRequestsPerInterval: 1_000_000_000,
} as const;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const objectNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(PolicyLimits.maxNameLength, `must be at most ${PolicyLimits.maxNameLength} characters`)
  .regex(DNS_SUBDOMAIN, 'must be a DNS subdomain: lower-case letters, digits, "-" and "."');

export const policyMetadataSchema = z.object({
  name: objectNameSchema,
  namespace: dnsLabelSchema,
  labels: z
    .record(z.string().max(PolicyLimits.maxNameLength), z.string().max(PolicyLimits.maxLabelValueLength))
    .optional(),
  annotations: z
    .record(z.string().max(PolicyLimits.maxNameLength), z.string().max(PolicyLimits.maxAnnotationValueLength))
    .optional(),
  /** Set by the server; sent back on update for optimistic concurrency. */
  resourceVersion: z.string().max(64).optional(),
  generation: z.number().int().nonnegative().optional(),
  uid: z.string().max(64).optional(),
  creationTimestamp: z.string().max(64).optional(),
});
export type PolicyMetadata = z.infer<typeof policyMetadataSchema>;

/**
 * GEP-713 LocalPolicyTargetReferenceWithSectionName: a Service in the policy's namespace, or one named rule
 * (sectionName) of an HTTPRoute that has the Service as its parent (GAMMA).
 */
export const targetRefSchema = z.object({
  group: z.enum(['', GATEWAY_GROUP]).default(''),
  kind: z.enum(['Service', 'HTTPRoute']).default('Service'),
  name: dnsLabelSchema,
  sectionName: dnsLabelSchema.optional(),
});
export type TargetRef = z.infer<typeof targetRefSchema>;

/** GEP-2257 duration: 1h, 30s, 1m30s, 500ms. */
export const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
export const durationSchema = z
  .string()
  .max(24)
  .regex(DURATION_PATTERN, 'must be a duration like 500ms, 2s, 1m30s or 1h (GEP-2257)');

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

export function durationMs(value: string): number {
  let total = 0;
  for (const m of value.matchAll(/([0-9]{1,5})(ms|h|m|s)/g))
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}

export const headerMatchSchema = z.object({
  type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
  name: z.string().min(1).max(PolicyLimits.maxHeaderNameLength),
  value: z.string().max(PolicyLimits.maxHeaderValueLength),
});

/** Gateway API HTTPQueryParamMatch: names are case-sensitive, the first value of a repeated name counts. */
export const queryParamMatchSchema = z.object({
  type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
  name: z.string().min(1).max(PolicyLimits.maxHeaderNameLength),
  value: z.string().max(PolicyLimits.maxHeaderValueLength),
});

/** Gateway API HTTPRouteMatch, the parts the proxy matches on. */
export const routeMatchSchema = z.object({
  path: z
    .object({
      type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'),
      value: z.string().min(1).max(PolicyLimits.maxPathLength).default('/'),
    })
    .optional(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']).optional(),
  headers: z.array(headerMatchSchema).max(PolicyLimits.maxHeaderMatches).optional(),
  queryParams: z.array(queryParamMatchSchema).max(PolicyLimits.maxHeaderMatches).optional(),
});
export type RouteMatch = z.infer<typeof routeMatchSchema>;

/** A calling workload, for per-client limits and overrides. */
export const clientRefSchema = z.object({
  namespace: dnsLabelSchema,
  service: dnsLabelSchema,
});

export const versionRefSchema = versionNameSchema;

/** Kubernetes metav1.Condition. */
export const conditionSchema = z.object({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().min(1).max(1024),
  message: z.string().max(32_768),
  lastTransitionTime: z.string().max(64),
  observedGeneration: z.number().int().nonnegative().optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

export const policyStatusSchema = z.object({
  conditions: z.array(conditionSchema).max(8).optional(),
});
export type PolicyStatus = z.infer<typeof policyStatusSchema>;
