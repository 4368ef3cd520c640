import { LATENCY_BOUNDS_MS, LATENCY_BUCKET_COUNT } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { parseMetricsRequest } from './metrics.ts';
import { InvalidInputError } from './validation.ts';

function kv(key: string, value: string) {
  return { key, value: { stringValue: value } };
}

function point(overrides: Record<string, unknown> = {}) {
  const bucketCounts = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  bucketCounts[3] = 4;
  return {
    attributes: [
      kv('weft.reporter', 'outbound'),
      kv('weft.source.service', 'frontend'),
      kv('weft.source.namespace', 'storefront'),
      kv('weft.destination.service', 'catalog'),
      kv('weft.destination.namespace', 'shop'),
      { key: 'http.response.status_code', value: { intValue: 503 } },
    ],
    startTimeUnixNano: '1764000000000000000',
    timeUnixNano: '1764000005000000000',
    count: '4',
    sum: 10.5,
    bucketCounts: bucketCounts.map(String),
    explicitBounds: [...LATENCY_BOUNDS_MS],
    ...overrides,
  };
}

function body(points: unknown[], name = 'weft.request.duration') {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', 'frontend'), kv('service.instance.id', 'frontend-1')] },
        scopeMetrics: [
          {
            scope: { name: 'weft' },
            metrics: [{ name, unit: 'ms', histogram: { aggregationTemporality: 1, dataPoints: points } }],
          },
        ],
      },
    ],
  };
}

describe('parseMetricsRequest', () => {
  it('turns a delta histogram point into an edge rollup', () => {
    const { rows, rejectedDataPoints } = parseMetricsRequest(body([point()]));
    expect(rejectedDataPoints).toBe(0);
    expect(rows).toEqual([
      expect.objectContaining({
        reporter: 'outbound',
        proxyId: 'frontend-1',
        sourceService: 'frontend',
        destService: 'catalog',
        destNamespace: 'shop',
        statusCode: 503,
        count: 4,
        sumMs: 10.5,
        windowStartMs: 1764000000000n,
        windowEndMs: 1764000005000n,
      }),
    ]);
  });

  it('refuses bucket counts that do not add up to count', () => {
    try {
      parseMetricsRequest(body([point({ count: '5' })]));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).issues[0]).toEqual({
        path: 'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0.count',
        message: 'count must equal the sum of bucketCounts',
      });
    }
  });

  it('refuses foreign bucket bounds with the bounds it expects', () => {
    const bucketCounts = ['4', '0'];
    expect(() => parseMetricsRequest(body([point({ explicitBounds: [1], bucketCounts })]))).toThrow(
      InvalidInputError,
    );
  });

  it('acknowledges other metrics as rejected data points instead of failing', () => {
    const result = parseMetricsRequest(body([point()], 'http.server.duration'));
    expect(result.rows).toHaveLength(0);
    expect(result.rejectedDataPoints).toBe(1);
    expect(result.rejectedReason).toContain('http.server.duration');
  });
});
