/**
 * The subset of OTLP/HTTP JSON (opentelemetry-proto 1.x, JSON encoding) that Weft accepts and emits:
 * ExportTraceServiceRequest and ExportMetricsServiceRequest with explicit-bucket histograms.
 * In the JSON encoding trace and span ids are lower-case hex, and 64-bit integers may be strings.
 */
import { z } from 'zod';

const uint64 = z
  .union([
    z.string().regex(/^\d+$/, 'must be a non-negative integer (string-encoded uint64)'),
    z.number().int().nonnegative(),
  ])
  .transform((v) => BigInt(v));

const uint64Count = z
  .union([z.string().regex(/^\d+$/, 'must be a non-negative integer'), z.number().int().nonnegative()])
  .transform((v) => Number(v));

export const anyValueSchema = z
  .object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string().regex(/^-?\d+$/), z.number().int()]).optional(),
    doubleValue: z.number().optional(),
  })
  .refine((v) => Object.values(v).filter((x) => x !== undefined).length === 1, {
    message: 'an attribute value must have exactly one of stringValue, boolValue, intValue, doubleValue',
  });

export const keyValueSchema = z.object({ key: z.string().min(1), value: anyValueSchema });
export type KeyValue = z.input<typeof keyValueSchema>;

const resourceSchema = z.object({ attributes: z.array(keyValueSchema).default([]) });
const scopeSchema = z.object({ name: z.string().default(''), version: z.string().optional() }).optional();

export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export const spanSchema = z
  .object({
    traceId: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'traceId must be 32 lower-case hex characters')
      .refine((v) => !/^0+$/.test(v), 'traceId must not be all zeros'),
    spanId: z
      .string()
      .regex(/^[0-9a-f]{16}$/, 'spanId must be 16 lower-case hex characters')
      .refine((v) => !/^0+$/.test(v), 'spanId must not be all zeros'),
    parentSpanId: z
      .string()
      .regex(/^([0-9a-f]{16})?$/, 'parentSpanId must be 16 lower-case hex characters or empty')
      .optional(),
    name: z.string().min(1, 'name must not be empty').max(512),
    kind: z.number().int().min(0).max(5).default(0),
    startTimeUnixNano: uint64,
    endTimeUnixNano: uint64,
    attributes: z.array(keyValueSchema).default([]),
    status: z
      .object({ code: z.number().int().min(0).max(2).default(0), message: z.string().optional() })
      .default({ code: 0 }),
  })
  .refine((s) => s.endTimeUnixNano >= s.startTimeUnixNano, {
    message: 'endTimeUnixNano must not be before startTimeUnixNano',
    path: ['endTimeUnixNano'],
  });

export const exportTraceServiceRequestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: resourceSchema,
        scopeSpans: z.array(z.object({ scope: scopeSchema, spans: z.array(spanSchema) })),
      }),
    )
    .min(1, 'resourceSpans must hold at least one entry'),
});
export type ExportTraceServiceRequest = z.input<typeof exportTraceServiceRequestSchema>;
export type ParsedTraceRequest = z.output<typeof exportTraceServiceRequestSchema>;

export const AggregationTemporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;

export const histogramDataPointSchema = z
  .object({
    attributes: z.array(keyValueSchema).default([]),
    startTimeUnixNano: uint64,
    timeUnixNano: uint64,
    count: uint64Count,
    sum: z.number().nonnegative().optional(),
    bucketCounts: z.array(uint64Count),
    explicitBounds: z.array(z.number()),
  })
  .refine((p) => p.bucketCounts.length === p.explicitBounds.length + 1, {
    message: 'bucketCounts must have exactly one more entry than explicitBounds',
    path: ['bucketCounts'],
  })
  .refine((p) => p.bucketCounts.reduce((a, b) => a + b, 0) === p.count, {
    message: 'count must equal the sum of bucketCounts',
    path: ['count'],
  })
  .refine((p) => p.timeUnixNano >= p.startTimeUnixNano, {
    message: 'timeUnixNano must not be before startTimeUnixNano',
    path: ['timeUnixNano'],
  });

export const metricSchema = z.object({
  name: z.string().min(1),
  unit: z.string().default(''),
  description: z.string().optional(),
  histogram: z
    .object({
      aggregationTemporality: z.literal(AggregationTemporality.DELTA, {
        message: 'only DELTA (1) aggregation temporality is accepted',
      }),
      dataPoints: z.array(histogramDataPointSchema),
    })
    .optional(),
});

export const exportMetricsServiceRequestSchema = z.object({
  resourceMetrics: z
    .array(
      z.object({
        resource: resourceSchema,
        scopeMetrics: z.array(z.object({ scope: scopeSchema, metrics: z.array(metricSchema) })),
      }),
    )
    .min(1, 'resourceMetrics must hold at least one entry'),
});
export type ExportMetricsServiceRequest = z.input<typeof exportMetricsServiceRequestSchema>;
export type ParsedMetricsRequest = z.output<typeof exportMetricsServiceRequestSchema>;

/** Reads an attribute as a string (numbers and booleans are stringified); undefined when absent. */
export function attributeString(
  attributes: readonly { key: string; value: z.output<typeof anyValueSchema> }[],
  key: string,
): string | undefined {
  const found = attributes.find((a) => a.key === key);
  if (!found) return undefined;
  const v = found.value;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.boolValue !== undefined) return String(v.boolValue);
  return undefined;
}

export function stringAttribute(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

export function intAttribute(key: string, value: number): KeyValue {
  return { key, value: { intValue: String(Math.trunc(value)) } };
}
