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

  it('refuses names longer than a stored name may be, at the attribute that holds them', () => {
    const long = 'é'.repeat(127); // 254 bytes of UTF-8
    const attributes = point().attributes.map((a) =>
      a.key === 'weft.destination.service' ? kv(a.key, long) : a,
    );
    try {
      parseMetricsRequest(body([point({ attributes })]));
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidInputError).issues).toEqual([
        {
          path: 'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0.attributes.3.value',
          message: '"weft.destination.service" must be at most 253 bytes (UTF-8)',
        },
      ]);
    }
  });

  it('refuses a proxy id longer than registration allows', () => {
    const request = body([point()]);
    request.resourceMetrics[0]!.resource.attributes[1] = kv('service.instance.id', 'p'.repeat(129));
    try {
      parseMetricsRequest(request);
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidInputError).issues).toEqual([
        {
          path: 'resourceMetrics.0.resource.attributes.1.value',
          message: '"service.instance.id" must be at most 128 bytes (UTF-8)',
        },
      ]);
    }
  });

  it('keeps every data point of a batch, including repeats (the database stores each once)', () => {
    const points = Array.from({ length: 1000 }, (_, i) =>
      point({
        startTimeUnixNano: String(1764000000000000000n + BigInt(i) * 5_000_000_000n),
        timeUnixNano: String(1764000005000000000n + BigInt(i) * 5_000_000_000n),
      }),
    );
    expect(parseMetricsRequest(body([...points, points[0]])).rows).toHaveLength(1001);
  });
});
