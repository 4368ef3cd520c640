/**
 * The inputs of the console's query procedures (apps/api/src/trpc/queries-router.ts), declared once. Every
 * bound comes from QueryLimits and a refusal says which one was exceeded.
 */
import { z } from 'zod';
import { QueryLimits, stepForWindow } from './limits.ts';
import { describeDuration, windowInputSchema, windowLengthMs } from './window.ts';
import { versionNameSchema } from './net.ts';

const MAX_NAME = QueryLimits.maxNameLength;

/** A namespace or service name used as a filter. */
const nameFilter = (field: string) =>
  z.string().max(MAX_NAME, `${field} must be at most ${MAX_NAME} characters (QueryLimits.maxNameLength)`);

const serviceRef = {
  namespace: nameFilter('namespace').min(1, 'namespace must not be empty'),
  service: nameFilter('service').min(1, 'service must not be empty'),
};

/**
 * `service`: one node per service (the default). `version`: a service seen with more than one version is
 * split into one node per version (`namespace/service@version`), and edges into those versions carry their
 * share of the caller's traffic to the service — what a canary split looks like.
 */
export const GRAPH_GRANULARITIES = ['service', 'version'] as const;
export type GraphGranularity = (typeof GRAPH_GRANULARITIES)[number];

export const topologyGraphInputSchema = z.object({
  window: windowInputSchema,
  granularity: z.enum(GRAPH_GRANULARITIES).default('service'),
  namespaces: z
    .array(nameFilter('a namespace'))
    .max(
      QueryLimits.maxNamespacesFilter,
      `namespaces may list at most ${QueryLimits.maxNamespacesFilter} namespaces (QueryLimits.maxNamespacesFilter)`,
    )
    .optional(),
});

export const servicesListInputSchema = z.object({ window: windowInputSchema });

export const servicesDetailInputSchema = z.object({ ...serviceRef, window: windowInputSchema });

/** Golden signals per service and version (`weft stat`, the canary view). */
export const servicesVersionsInputSchema = z.object({
  window: windowInputSchema,
  namespace: z.string().min(1).max(QueryLimits.maxNameLength).optional(),
});

const MAX_STEP_MS = 24 * 3600 * 1000;

const stepMsSchema = z
  .number()
  .int('stepMs must be a whole number of milliseconds')
  .min(QueryLimits.minStepMs, `stepMs must be at least ${QueryLimits.minStepMs}`)
  .max(MAX_STEP_MS, `stepMs must be at most ${MAX_STEP_MS} (1 day)`);

/**
 * Golden signals of one service. Without stepMs the API picks a step that keeps the series within
 * QueryLimits.maxPointsPerSeries; an explicit stepMs that would exceed it is refused with the smallest step
 * allowed for the window.
 */
export const signalsServiceInputSchema = z
  .object({
    ...serviceRef,
    /** Only what this version of the service received (the canary view's per-version signals). */
    version: versionNameSchema.optional(),
    window: windowInputSchema,
    stepMs: stepMsSchema.optional(),
  })
  .superRefine(checkSeriesPoints);

/** A series' stepMs must not give more than QueryLimits.maxPointsPerSeries points over its window. */
function checkSeriesPoints(
  input: { stepMs?: number | undefined; window: z.output<typeof windowInputSchema> },
  ctx: z.RefinementCtx,
): void {
  if (input.stepMs === undefined) return;
  const length = windowLengthMs(input.window, Date.now());
  if (length > QueryLimits.maxWindowMs) return; // the window itself is refused
  const points = Math.ceil(length / input.stepMs);
  if (points > QueryLimits.maxPointsPerSeries) {
    ctx.addIssue({
      code: 'custom',
      path: ['stepMs'],
      message:
        `stepMs ${input.stepMs} would give ${points} points over a window of ${describeDuration(length)}; ` +
        `a series has at most ${QueryLimits.maxPointsPerSeries} points (QueryLimits.maxPointsPerSeries): ` +
        `use stepMs ${stepForWindow(length)} or more, or leave stepMs out`,
    });
  }
}

/** One end of an edge: a service, or one version of it. */
const edgeEnd = (namespace: z.ZodString) =>
  z.object({
    namespace,
    service: nameFilter('service').min(1, 'service must not be empty'),
    version: versionNameSchema.optional(),
  });

/**
 * Golden signals of one edge of the graph (caller → destination), as the caller's outbound proxies saw
 * them; bounded like signals.service. The source namespace is empty for callers outside the mesh
 * (service "unknown"), whose calls only the destination saw.
 */
export const signalsEdgeInputSchema = z
  .object({
    source: edgeEnd(nameFilter('namespace')),
    destination: edgeEnd(nameFilter('namespace').min(1, 'namespace must not be empty')),
    window: windowInputSchema,
    stepMs: stepMsSchema.optional(),
  })
  .superRefine(checkSeriesPoints);

export const DEFAULT_TRACE_RESULTS = 50;

export const tracesSearchInputSchema = z.object({
  window: windowInputSchema,
  namespace: nameFilter('namespace').optional(),
  service: nameFilter('service').optional(),
  minDurationMs: z.number().nonnegative('minDurationMs must not be negative').optional(),
  errorsOnly: z.boolean().default(false),
  limit: z
    .number()
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(
      QueryLimits.maxTraceResults,
      `limit must be at most ${QueryLimits.maxTraceResults} traces (QueryLimits.maxTraceResults)`,
    )
    .default(DEFAULT_TRACE_RESULTS),
});

export const tracesGetInputSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/, 'traceId must be 32 lower-case hex characters'),
});

export type TopologyGraphInput = z.input<typeof topologyGraphInputSchema>;
export type ServicesListInput = z.input<typeof servicesListInputSchema>;
export type ServicesDetailInput = z.input<typeof servicesDetailInputSchema>;
export type SignalsServiceInput = z.input<typeof signalsServiceInputSchema>;
export type SignalsEdgeInput = z.input<typeof signalsEdgeInputSchema>;
export type TracesSearchInput = z.input<typeof tracesSearchInputSchema>;
export type TracesGetInput = z.input<typeof tracesGetInputSchema>;
