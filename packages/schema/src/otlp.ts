/**
 * The subset of OTLP/HTTP JSON (opentelemetry-proto 1.x, JSON encoding) that Weft accepts and emits:
 * ExportTraceServiceRequest and ExportMetricsServiceRequest with explicit-bucket histograms.
 * In the JSON encoding trace and span ids are lower-case hex, and 64-bit integers may be strings.
 *
 * Every number and string that is stored is bounded here (IngestLimits), so a request the database could not
 * hold is refused with the field's path instead of failing in storage.
 */
import { z } from 'zod';
import { IngestLimits } from './limits.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A string of at most `max` characters without NUL (PostgreSQL text cannot hold one). */
export function boundedText(what: string, max: number) {
  return z
    .string()
    .max(max, `${what} must be at most ${max} characters`)
    .refine((v) => !v.includes('\u0000'), `${what} must not contain NUL (\\u0000) characters`);
}

/**
 * An unsigned integer in the JSON encoding: a decimal string (any uint64) or a JSON number (exact only up to
 * 2^53), at most `max`.
 */
function unsignedInteger(what: string, max: bigint) {
  return z.union([z.string(), z.number()]).transform((v, ctx): bigint => {
    let value: bigint | undefined;
    if (typeof v === 'string') {
      // More digits than any uint64 has cannot be in range; do not hand megabytes of digits to BigInt.
      if (/^\d{1,20}$/.test(v)) value = BigInt(v);
      else if (/^\d+$/.test(v)) value = max + 1n;
    } else if (Number.isSafeInteger(v) && v >= 0) {
      value = BigInt(v);
    } else if (Number.isInteger(v) && v > 0) {
      ctx.issues.push({
        code: 'custom',
        input: v,
        message: `${what} above 2^53 must be sent as a decimal string (JSON numbers are not exact there)`,
      });
      return 0n;
    }
    if (value === undefined) {
      ctx.issues.push({ code: 'custom', input: v, message: `${what} must be a non-negative integer` });
      return 0n;
    }
    if (value > max) {
      ctx.issues.push({ code: 'custom', input: v, message: `${what} must be at most ${max}` });
      return 0n;
    }
    return value;
  });
}

/** A timestamp in nanoseconds since the epoch, within the int64 range that OTLP and the database share. */
const unixNano = unsignedInteger('a timestamp in unix nanoseconds', IngestLimits.maxUnixNano);

/** A histogram count, within the 32-bit column it is stored in. */
const histogramCount = unsignedInteger('a histogram count', BigInt(IngestLimits.maxCount)).transform(Number);

const int64Value = z
  .union([z.string().regex(/^-?\d{1,20}$/, 'intValue must be a decimal integer'), z.number().int()])
  .refine((v) => {
    const n = BigInt(v);
    return n >= INT64_MIN && n <= INT64_MAX;
  }, 'intValue must be within the int64 range');

export const anyValueSchema = z
  .object({
    stringValue: boundedText('an attribute value', IngestLimits.maxAttributeValueLength).optional(),
    boolValue: z.boolean().optional(),
    intValue: int64Value.optional(),
    doubleValue: z.number().optional(),
  })
  .refine((v) => Object.values(v).filter((x) => x !== undefined).length === 1, {
    message: 'an attribute value must have exactly one of stringValue, boolValue, intValue, doubleValue',
  });

export const keyValueSchema = z.object({
  key: boundedText('an attribute key', IngestLimits.maxAttributeKeyLength).min(
    1,
    'an attribute key must not be empty',
  ),
  value: anyValueSchema,
});
export type KeyValue = z.input<typeof keyValueSchema>;

/** The attributes of one resource, span or data point: at most IngestLimits.maxAttributesPerItem. */
export const attributesSchema = z
  .array(keyValueSchema)
  .max(
    IngestLimits.maxAttributesPerItem,
    `at most ${IngestLimits.maxAttributesPerItem} attributes are accepted per resource, span or data point`,
  )
  .default([]);

const resourceSchema = z.object({ attributes: attributesSchema });
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
    name: boundedText('a span name', IngestLimits.maxSpanNameLength).min(1, 'name must not be empty'),
    kind: z.number().int().min(0).max(5).default(0),
    startTimeUnixNano: unixNano,
    endTimeUnixNano: unixNano,
    attributes: attributesSchema,
    status: z
      .object({
        code: z.number().int().min(0).max(2).default(0),
        message: boundedText('a status message', IngestLimits.maxStatusMessageLength).optional(),
      })
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
    attributes: attributesSchema,
    startTimeUnixNano: unixNano,
    timeUnixNano: unixNano,
    count: histogramCount,
    // z.number() refuses NaN and ±Infinity (JSON.parse turns 1e999 into Infinity).
    sum: z.number('sum must be a finite number').nonnegative('sum must not be negative').optional(),
    bucketCounts: z.array(histogramCount).max(1024, 'bucketCounts must hold at most 1024 entries'),
    explicitBounds: z
      .array(z.number('explicitBounds must be finite numbers'))
      .max(1023, 'explicitBounds must hold at most 1023 entries'),
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

/**
 * A point of a Sum or Gauge. Weft's own counters send `asInt`; the ingest checks the range it stores
 * (IngestLimits.maxCount) for the metrics it keeps.
 */
export const numberDataPointSchema = z
  .object({
    attributes: attributesSchema,
    startTimeUnixNano: unixNano.optional(),
    timeUnixNano: unixNano,
    asInt: int64Value.optional(),
    // z.number() refuses NaN and ±Infinity.
    asDouble: z.number('asDouble must be a finite number').optional(),
  })
  .refine((p) => (p.asInt === undefined) !== (p.asDouble === undefined), {
    message: 'a number data point must have exactly one of asInt, asDouble',
    path: ['asInt'],
  })
  .refine((p) => p.startTimeUnixNano === undefined || p.timeUnixNano >= p.startTimeUnixNano, {
    message: 'timeUnixNano must not be before startTimeUnixNano',
    path: ['timeUnixNano'],
  });
export type NumberDataPoint = z.output<typeof numberDataPointSchema>;

const MAX_NUMBER_POINTS = 10_000;
const numberDataPoints = z
  .array(numberDataPointSchema)
  .max(MAX_NUMBER_POINTS, `dataPoints must hold at most ${MAX_NUMBER_POINTS} entries`);

export const metricSchema = z.object({
  name: boundedText('a metric name', 255).min(1, 'a metric name must not be empty'),
  unit: z.string().max(63, 'unit must be at most 63 characters').default(''),
  description: z.string().optional(),
  histogram: z
    .object({
      aggregationTemporality: z.literal(AggregationTemporality.DELTA, {
        message: 'only DELTA (1) aggregation temporality is accepted',
      }),
      dataPoints: z.array(histogramDataPointSchema),
    })
    .optional(),
  // Any temporality is well-formed OTLP; the ingest says which it stores (DELTA, for Weft's counters).
  sum: z
    .object({
      aggregationTemporality: z.number().int().min(0).max(2).default(0),
      isMonotonic: z.boolean().default(false),
      dataPoints: numberDataPoints,
    })
    .optional(),
  gauge: z.object({ dataPoints: numberDataPoints }).optional(),
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
