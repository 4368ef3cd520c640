import { describe, expect, it } from 'vitest';
import { IngestLimits } from './limits.ts';
import { LATENCY_BOUNDS_MS, LATENCY_BUCKET_COUNT } from './histogram.ts';
import { exportMetricsServiceRequestSchema, exportTraceServiceRequestSchema } from './otlp.ts';

const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });

const span = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  name: 'GET /items',
  kind: 2,
  startTimeUnixNano: '1764000000000000000',
  endTimeUnixNano: '1764000000012345000',
  attributes: [kv('http.route', '/items')],
  status: { code: 0 },
};

function traceIssues(overrides: Record<string, unknown>) {
  const body = {
    resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{ ...span, ...overrides }] }] }],
  };
  const parsed = exportTraceServiceRequestSchema.safeParse(body);
  expect(parsed.success).toBe(false);
  return parsed.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

const at = 'resourceSpans.0.scopeSpans.0.spans.0';

describe('OTLP span limits', () => {
  it('accepts the largest int64 timestamp and refuses one above it', () => {
    const max = String(IngestLimits.maxUnixNano);
    const ok = exportTraceServiceRequestSchema.parse({
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [{ spans: [{ ...span, startTimeUnixNano: max, endTimeUnixNano: max }] }],
        },
      ],
    });
    expect(ok.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.endTimeUnixNano).toBe(IngestLimits.maxUnixNano);
    expect(traceIssues({ endTimeUnixNano: '9223372036854775808' })).toEqual([
      {
        path: `${at}.endTimeUnixNano`,
        message: 'a timestamp in unix nanoseconds must be at most 9223372036854775807',
      },
    ]);
    expect(traceIssues({ endTimeUnixNano: '9'.repeat(5000) })[0]?.path).toBe(`${at}.endTimeUnixNano`);
  });

  it('says how to send timestamps that JSON numbers cannot hold exactly', () => {
    expect(traceIssues({ startTimeUnixNano: 1764000000000000000 })).toEqual([
      {
        path: `${at}.startTimeUnixNano`,
        message:
          'a timestamp in unix nanoseconds above 2^53 must be sent as a decimal string (JSON numbers are not exact there)',
      },
    ]);
    expect(traceIssues({ startTimeUnixNano: -5 })[0]).toEqual({
      path: `${at}.startTimeUnixNano`,
      message: 'a timestamp in unix nanoseconds must be a non-negative integer',
    });
  });

  it('bounds names, messages, attribute keys and values, and the number of attributes', () => {
    expect(traceIssues({ name: 'n'.repeat(IngestLimits.maxSpanNameLength + 1) })).toEqual([
      { path: `${at}.name`, message: 'a span name must be at most 512 characters' },
    ]);
    expect(traceIssues({ status: { code: 2, message: 'm'.repeat(1025) } })).toEqual([
      { path: `${at}.status.message`, message: 'a status message must be at most 1024 characters' },
    ]);
    expect(traceIssues({ attributes: [kv('k'.repeat(257), 'v')] })).toEqual([
      { path: `${at}.attributes.0.key`, message: 'an attribute key must be at most 256 characters' },
    ]);
    expect(traceIssues({ attributes: [kv('k', 'v'.repeat(4097))] })).toEqual([
      {
        path: `${at}.attributes.0.value.stringValue`,
        message: 'an attribute value must be at most 4096 characters',
      },
    ]);
    const many = Array.from({ length: IngestLimits.maxAttributesPerItem + 1 }, (_, i) => kv(`k${i}`, 'v'));
    expect(traceIssues({ attributes: many })).toEqual([
      {
        path: `${at}.attributes`,
        message: 'at most 128 attributes are accepted per resource, span or data point',
      },
    ]);
  });

  it('refuses NUL characters, which PostgreSQL text cannot hold', () => {
    expect(traceIssues({ name: 'GET \u0000' })).toEqual([
      { path: `${at}.name`, message: 'a span name must not contain NUL (\\u0000) characters' },
    ]);
  });

  it('refuses integer attributes outside int64', () => {
    expect(traceIssues({ attributes: [{ key: 'n', value: { intValue: '9223372036854775808' } }] })).toEqual([
      { path: `${at}.attributes.0.value.intValue`, message: 'intValue must be within the int64 range' },
    ]);
  });
});

function point(overrides: Record<string, unknown>) {
  const bucketCounts = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  bucketCounts[0] = 3;
  return {
    attributes: [],
    startTimeUnixNano: '1764000000000000000',
    timeUnixNano: '1764000005000000000',
    count: 3,
    sum: 1.5,
    bucketCounts,
    explicitBounds: [...LATENCY_BOUNDS_MS],
    ...overrides,
  };
}

function metricIssues(overrides: Record<string, unknown>) {
  const parsed = exportMetricsServiceRequestSchema.safeParse({
    resourceMetrics: [
      {
        resource: { attributes: [] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'weft.request.duration',
                unit: 'ms',
                histogram: { aggregationTemporality: 1, dataPoints: [point(overrides)] },
              },
            ],
          },
        ],
      },
    ],
  });
  expect(parsed.success).toBe(false);
  return parsed.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

const dp = 'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0';

describe('OTLP histogram limits', () => {
  it('refuses counts above the 32-bit column they are stored in', () => {
    const over = String(IngestLimits.maxCount + 1);
    expect(metricIssues({ count: over })).toEqual([
      { path: `${dp}.count`, message: 'a histogram count must be at most 2147483647' },
    ]);
    const buckets = new Array<string>(LATENCY_BUCKET_COUNT).fill('0');
    buckets[1] = over;
    expect(metricIssues({ count: over, bucketCounts: buckets })).toEqual([
      { path: `${dp}.count`, message: 'a histogram count must be at most 2147483647' },
      { path: `${dp}.bucketCounts.1`, message: 'a histogram count must be at most 2147483647' },
    ]);
  });

  it('refuses non-finite and negative sums', () => {
    expect(metricIssues({ sum: JSON.parse('1e999') as number })).toEqual([
      { path: `${dp}.sum`, message: 'sum must be a finite number' },
    ]);
    expect(metricIssues({ sum: -1 })).toEqual([{ path: `${dp}.sum`, message: 'sum must not be negative' }]);
  });

  it('refuses a window that ends before it starts', () => {
    expect(metricIssues({ timeUnixNano: '1763999999000000000' })).toEqual([
      { path: `${dp}.timeUnixNano`, message: 'timeUnixNano must not be before startTimeUnixNano' },
    ]);
  });
});
