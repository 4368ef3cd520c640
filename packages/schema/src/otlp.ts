/**
 * The subset of OTLP/HTTP JSON (opentelemetry-proto 1.x, JSON encoding) that Weft accepts and emits:
 * ExportTraceServiceRequest and ExportMetricsServiceRequest with explicit-bucket histograms.
 * In the JSON encoding trace and span ids are lower-case hex, and 64-bit integers may be strings.
 *
 * Every number and string that is stored is bounded here (IngestLimits), so a request the database could not
 * hold is refused with the field's path instead of failing in storage.
 */
import { z } from 'zod';
import { anyValueSchema } from './otlp-any-value.ts';
import { IngestLimits } from './limits.ts';

export * from './otlp-any-value.ts';

/** Bounds of OTLP ingest beyond IngestLimits; each is named in the refusal that enforces it. */
export const OtlpLimits = {
  /** Span events kept per span. */
  maxEventsPerSpan: 128,
  /** Span links kept per span. */
  maxLinksPerSpan: 128,
  /** Refusal reasons (field path and limit) quoted in partial_success.error_message and a 400's details. */
  maxReasonsQuoted: 5,
  /** Retry-After (seconds) of a 503 when the database cannot be written. */
  unavailableRetryAfterSeconds: 5,
  /** Cumulative series whose last point the API remembers to compute deltas (least recently seen forgotten). */
  maxCumulativeSeries: 100_000,
} as const;

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

export const keyValueSchema = z.object({
  key: boundedText('an attribute key', IngestLimits.maxAttributeKeyLength).min(
    1,
    'an attribute key must not be empty',
  ),
  // An absent value is an empty AnyValue.
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

/** A resource; absent means no attributes. */
export const resourceSchema = z.object({ attributes: attributesSchema }).default({ attributes: [] });

/** The instrumentation scope; absent means an unnamed one. */
export const scopeSchema = z
  .object({
    name: boundedText('a scope name', IngestLimits.maxSpanNameLength).default(''),
    version: boundedText('a scope version', IngestLimits.maxNameLength).optional(),
    attributes: attributesSchema,
  })
  .optional();

export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/**
 * A trace or span id: hex in the JSON encoding (either case; stored lower-case), raw bytes from protobuf.
 * `optional`: empty means "none" (parentSpanId).
 */
function hexId(what: string, bytes: number, optional = false) {
  const pattern = optional
    ? new RegExp(`^([0-9a-f]{${bytes * 2}})?$`)
    : new RegExp(`^[0-9a-f]{${bytes * 2}}$`);
  return z
    .preprocess(
      (v) => (v instanceof Uint8Array ? bytesToHex(v) : typeof v === 'string' ? v.toLowerCase() : v),
      z
        .string(`${what} must be ${bytes * 2} hex characters`)
        .regex(pattern, `${what} must be ${bytes * 2} hex characters${optional ? ' or empty' : ''}`),
    )
    .refine((v) => v === '' || !/^0+$/.test(v), `${what} must not be all zeros`);
}

function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** OTLP `Span.flags` / `Link.flags` (fixed32): W3C trace flags in bits 0-7 and the is-remote bits. */
const spanFlags = z
  .number()
  .int()
  .min(0)
  .max(0xffffffff, 'flags must be a 32-bit unsigned integer')
  .default(0);

const traceStateText = z.string().max(65536, 'traceState must be at most 65536 characters').default('');

export const spanEventSchema = z.object({
  timeUnixNano: unixNano,
  name: boundedText('an event name', IngestLimits.maxSpanNameLength).default(''),
  attributes: attributesSchema,
});

export const spanLinkSchema = z.object({
  traceId: hexId('a link traceId', 16),
  spanId: hexId('a link spanId', 8),
  traceState: traceStateText,
  attributes: attributesSchema,
  flags: spanFlags,
});

export const spanSchema = z
  .object({
    traceId: hexId('traceId', 16),
    spanId: hexId('spanId', 8),
    parentSpanId: hexId('parentSpanId', 8, true).optional(),
    traceState: traceStateText,
    flags: spanFlags,
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
    events: z
      .array(spanEventSchema)
      .max(OtlpLimits.maxEventsPerSpan, `at most ${OtlpLimits.maxEventsPerSpan} events are accepted per span`)
      .default([]),
    links: z
      .array(spanLinkSchema)
      .max(OtlpLimits.maxLinksPerSpan, `at most ${OtlpLimits.maxLinksPerSpan} links are accepted per span`)
      .default([]),
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
    // NaN and ±Infinity are refused like for sum.
    min: z.number('min must be a finite number').optional(),
    max: z.number('max must be a finite number').optional(),
    /** DataPointFlags: bit 0 = no recorded value (the point is a gap marker and carries no data). */
    flags: z.number().int().min(0).default(0),
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
      aggregationTemporality: z.union(
        [z.literal(AggregationTemporality.DELTA), z.literal(AggregationTemporality.CUMULATIVE)],
        { message: 'aggregationTemporality must be DELTA (1) or CUMULATIVE (2)' },
      ),
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

/**
 * Reads an attribute as its stored text (otlp-any-value.ts: numbers and booleans stringified, arrays and
 * kvlists as JSON); undefined when absent or empty. The last of repeated keys wins, as in attributesRecord.
 */
export function attributeString(
  attributes: readonly { key: string; value: z.output<typeof anyValueSchema> }[],
  key: string,
): string | undefined {
  let found: z.output<typeof anyValueSchema> | undefined;
  for (const a of attributes) if (a.key === key) found = a.value;
  if (!found || found.kind === 'empty') return undefined;
  return found.text;
}

/** Attributes as stored: key → rendered text, in the order sent (a repeated key keeps its last value). */
export function attributesRecord(
  attributes: readonly { key: string; value: z.output<typeof anyValueSchema> }[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of attributes) {
    if (a.key in out) delete out[a.key];
    out[a.key] = a.value.text;
  }
  return out;
}

/**
 * The envelopes of export requests as the API reads them: only the nesting is checked here, so that each
 * resource, scope, span, metric and data point can then be parsed on its own and one bad item refuses only
 * itself. Absent arrays are empty (an empty request is valid OTLP and stores nothing).
 */
export const traceRequestEnvelopeSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.unknown().optional(),
        scopeSpans: z
          .array(z.object({ scope: z.unknown().optional(), spans: z.array(z.unknown()).nullish() }))
          .nullish(),
      }),
    )
    .nullish(),
});

export const metricsRequestEnvelopeSchema = z.object({
  resourceMetrics: z
    .array(
      z.object({
        resource: z.unknown().optional(),
        scopeMetrics: z
          .array(z.object({ scope: z.unknown().optional(), metrics: z.array(z.unknown()).nullish() }))
          .nullish(),
      }),
    )
    .nullish(),
});

/** A metric's name, unit and kind, its data points left for one-by-one parsing. */
export const metricEnvelopeSchema = z.object({
  name: boundedText('a metric name', 255).min(1, 'a metric name must not be empty'),
  unit: z.string().max(63, 'unit must be at most 63 characters').default(''),
  histogram: z
    .object({
      aggregationTemporality: z.number().int().min(0).max(2).default(0),
      dataPoints: z.array(z.unknown()).nullish(),
    })
    .optional(),
  sum: z
    .object({
      aggregationTemporality: z.number().int().min(0).max(2).default(0),
      isMonotonic: z.boolean().default(false),
      dataPoints: z.array(z.unknown()).nullish(),
    })
    .optional(),
  gauge: z.object({ dataPoints: z.array(z.unknown()).nullish() }).optional(),
  exponentialHistogram: z.object({ dataPoints: z.array(z.unknown()).nullish() }).optional(),
  summary: z.object({ dataPoints: z.array(z.unknown()).nullish() }).optional(),
});
export type MetricEnvelope = z.output<typeof metricEnvelopeSchema>;
export type HistogramDataPoint = z.output<typeof histogramDataPointSchema>;
export type ParsedSpan = z.output<typeof spanSchema>;
export type ParsedResource = z.output<typeof resourceSchema>;
export type ParsedScope = z.output<typeof scopeSchema>;
export type ParsedAttributes = z.output<typeof attributesSchema>;

/**
 * The instrumentation scope of the spans and metrics a Weft proxy exports (apps/proxy otlp-encode.ts): spans
 * under it are already counted by the proxy's own histograms, so span-metrics skip them.
 */
export const WEFT_PROXY_SCOPE_NAME = '@weft/proxy';

/** The resource defaults of spans and metrics that do not name them (as traces are stored). */
export const OTLP_DEFAULT_NAMESPACE = 'default';
export const OTLP_UNKNOWN_VERSION = 'unknown';

/** The standard HTTP server duration histogram (OpenTelemetry HTTP semantic conventions), unit "s" or "ms". */
export const HTTP_SERVER_DURATION_METRIC = 'http.server.request.duration';

/** Older HTTP semantic conventions name the response status this way (spans of older instrumentations). */
export const LEGACY_HTTP_STATUS_ATTRIBUTE = 'http.status_code';

export function stringAttribute(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

export function intAttribute(key: string, value: number): KeyValue {
  return { key, value: { intValue: String(Math.trunc(value)) } };
}
