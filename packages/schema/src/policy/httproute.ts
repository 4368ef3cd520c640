/**
 * The part of a Gateway API `HTTPRoute` (gateway.networking.k8s.io/v1) that Weft reads as a mesh route
 * (GAMMA: a parentRef of kind Service). Parsed with this schema when it comes from the API server, so a route
 * we cannot use is reported and skipped instead of half-compiled. Limits are the Gateway API CRD's own.
 *
 * What is used: parentRefs to Services in the route's namespace, rule names, matches (path, method, headers,
 * query params), backendRefs to Services (weights) and rule timeouts (`request`, `backendRequest`). Filters
 * are not applied yet: a rule with filters is compiled without them and the route's status says so.
 * docs/routing.md says how a route becomes part of the proxy config.
 */
import { z } from 'zod';
import { dnsLabelSchema } from '../net.ts';
import { durationSchema, GATEWAY_GROUP, objectNameSchema, routeMatchSchema } from './meta.ts';

export const HTTPROUTE_KIND = 'HTTPRoute';
export const HTTPROUTE_API_VERSION = `${GATEWAY_GROUP}/v1`;

/** The `controllerName` of the `status.parents` entries Weft writes on an HTTPRoute (GAMMA). */
export const MESH_CONTROLLER_NAME = 'policy.weft.dev/mesh';

/**
 * The `service` a backendRef compiles to when it is not a Service (another kind or group): no Service can
 * have this name (it is not a DNS label), so the proxy finds no endpoints for it and answers 500 for that
 * backend's share of requests, as Gateway API asks for an invalid backendRef. The weight is kept.
 */
export const INVALID_BACKEND_SERVICE = '(invalid backendRef)';

export const HttpRouteLimits = {
  maxParentRefs: 32,
  maxRules: 16,
  maxMatches: 64,
  maxBackendRefs: 16,
  maxFilters: 16,
  /** Gateway API backendRef weights. */
  maxWeight: 1_000_000,
} as const;

export const httpRouteParentRefSchema = z.object({
  group: z.string().max(253).optional(),
  kind: z.string().max(63).optional(),
  name: objectNameSchema,
  namespace: dnsLabelSchema.optional(),
  sectionName: z.string().max(253).optional(),
  port: z.number().int().min(1).max(65535).optional(),
});

export const httpRouteBackendRefSchema = z.object({
  group: z.string().max(253).optional(),
  kind: z.string().max(63).optional(),
  name: objectNameSchema,
  namespace: dnsLabelSchema.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** Gateway API default: 1. */
  weight: z.number().int().min(0).max(HttpRouteLimits.maxWeight).optional(),
  /** Read only to report that they are not applied. */
  filters: z
    .array(z.object({ type: z.string().max(64) }).loose())
    .max(HttpRouteLimits.maxFilters)
    .optional(),
});

export const httpRouteRuleSchema = z.object({
  name: dnsLabelSchema.optional(),
  matches: z.array(routeMatchSchema).max(HttpRouteLimits.maxMatches).optional(),
  backendRefs: z.array(httpRouteBackendRefSchema).max(HttpRouteLimits.maxBackendRefs).optional(),
  timeouts: z
    .object({ request: durationSchema.optional(), backendRequest: durationSchema.optional() })
    .optional(),
  /** Read only to report that they are not applied. */
  filters: z
    .array(z.object({ type: z.string().max(64) }).loose())
    .max(HttpRouteLimits.maxFilters)
    .optional(),
});

export const httpRouteSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal(HTTPROUTE_KIND).optional(),
  metadata: z.object({
    name: objectNameSchema,
    namespace: dnsLabelSchema,
    creationTimestamp: z.union([z.string(), z.date()]).optional(),
    generation: z.number().int().nonnegative().optional(),
    resourceVersion: z.string().max(64).optional(),
  }),
  spec: z.object({
    parentRefs: z.array(httpRouteParentRefSchema).max(HttpRouteLimits.maxParentRefs).optional(),
    rules: z.array(httpRouteRuleSchema).max(HttpRouteLimits.maxRules).optional(),
  }),
});
export type HttpRoute = z.infer<typeof httpRouteSchema>;
export type HttpRouteRule = z.infer<typeof httpRouteRuleSchema>;
export type HttpRouteParentRef = z.infer<typeof httpRouteParentRefSchema>;
export type HttpRouteBackendRef = z.infer<typeof httpRouteBackendRefSchema>;

/** "HTTPRoute shop/reviews" */
export function httpRouteKey(r: { metadata: { namespace: string; name: string } }): string {
  return `${HTTPROUTE_KIND} ${r.metadata.namespace}/${r.metadata.name}`;
}
