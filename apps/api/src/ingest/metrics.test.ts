import { LATENCY_BOUNDS_MS, LATENCY_BUCKET_COUNT } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { CumulativeToDelta } from './cumulative-to-delta.ts';
import { metricsRejectionMessage, parseMetricsBatch, parseMetricsRequest } from './metrics.ts';
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
    const { points, refused, ignored } = parseMetricsRequest(body([point()]));
    expect(refused.count + ignored.count).toBe(0);
    expect(points).toEqual([
      expect.objectContaining({
        reporter: 'outbound',
        proxyId: 'frontend-1',
        sourceService: 'frontend',
        destService: 'catalog',
        destNamespace: 'shop',
        statusCode: 503,
        count: 4,
        sumMs: 10.5,
        windowStartMs: 1764000000000,
        windowEndMs: 1764000005000,
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
    expect(result.points).toHaveLength(0);
    expect(result.ignored.count).toBe(1);
    expect(metricsRejectionMessage(result)).toContain('http.server.duration');
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
    expect(parseMetricsRequest(body([...points, points[0]])).points).toHaveLength(1001);
  });
});

describe('parseMetricsRequest: gRPC status and resilience counters', () => {
  function counters(metrics: unknown[]) {
    return {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              kv('service.name', 'frontend'),
              kv('service.namespace', 'storefront'),
              kv('service.version', 'v1'),
              kv('service.instance.id', 'frontend-1'),
            ],
          },
          scopeMetrics: [{ scope: { name: 'weft' }, metrics }],
        },
      ],
    };
  }
  const destination = [kv('weft.destination.service', 'catalog'), kv('weft.destination.namespace', 'shop')];
  const retries = (dataPoints: unknown[], temporality = 1) => ({
    name: 'weft.proxy.retries',
    sum: { aggregationTemporality: temporality, isMonotonic: true, dataPoints },
  });
  const sumPoint = (overrides: Record<string, unknown> = {}) => ({
    attributes: [...destination, kv('weft.reason', '503')],
    startTimeUnixNano: '1764000000000000000',
    timeUnixNano: '1764000005000000000',
    asInt: '3',
    ...overrides,
  });

  function issuesOf(request: unknown) {
    try {
      parseMetricsRequest(request);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      return (err as InvalidInputError).issues;
    }
    return expect.unreachable('the request was accepted');
  }

  it('keeps the gRPC status of a histogram point, and -1 for other exchanges', () => {
    const grpc = point();
    grpc.attributes.push({ key: 'rpc.grpc.status_code', value: { intValue: 14 } });
    const { points } = parseMetricsRequest(body([grpc, point()]));
    expect(points.map((r) => r.grpcStatus)).toEqual([14, -1]);
  });

  it('turns retries, ejections and the ejected-endpoint gauge into rows of the calling proxy', () => {
    const { resilience, refused } = parseMetricsRequest(
      counters([
        retries([sumPoint()]),
        {
          name: 'weft.proxy.outlier_ejections',
          sum: {
            aggregationTemporality: 1,
            isMonotonic: true,
            dataPoints: [
              sumPoint({ attributes: [...destination, kv('weft.reason', 'consecutive-5xx')], asInt: 1 }),
            ],
          },
        },
        {
          name: 'weft.proxy.ejected_endpoints',
          gauge: {
            dataPoints: [{ attributes: destination, timeUnixNano: '1764000005000000000', asInt: '1' }],
          },
        },
      ]),
    );
    expect(refused.count).toBe(0);
    const caller = {
      proxyId: 'frontend-1',
      sourceService: 'frontend',
      sourceNamespace: 'storefront',
      sourceVersion: 'v1',
    };
    expect(resilience).toEqual([
      {
        ...caller,
        metric: 'weft.proxy.retries',
        destService: 'catalog',
        destNamespace: 'shop',
        reason: '503',
        value: 3,
        windowStartMs: 1764000000000n,
        windowEndMs: 1764000005000n,
      },
      {
        ...caller,
        metric: 'weft.proxy.outlier_ejections',
        destService: 'catalog',
        destNamespace: 'shop',
        reason: 'consecutive-5xx',
        value: 1,
        windowStartMs: 1764000000000n,
        windowEndMs: 1764000005000n,
      },
      {
        ...caller,
        metric: 'weft.proxy.ejected_endpoints',
        destService: 'catalog',
        destNamespace: 'shop',
        reason: '',
        value: 1,
        windowStartMs: 1764000005000n,
        windowEndMs: 1764000005000n,
      },
    ]);
  });

  it('names the field of a counter it cannot store', () => {
    const at = 'resourceMetrics.0.scopeMetrics.0.metrics.0';
    expect(issuesOf(counters([retries([sumPoint()], 0)]))).toEqual([
      {
        path: `${at}.sum.aggregationTemporality`,
        message:
          'weft.proxy.retries must be a monotonic Sum with DELTA (1) or CUMULATIVE (2) aggregation temporality',
      },
    ]);
    expect(issuesOf(counters([retries([sumPoint({ asInt: '-1' })])]))).toEqual([
      {
        path: `${at}.sum.dataPoints.0.asInt`,
        message: 'must be an integer count from 0 to 2147483647 (asInt)',
      },
    ]);
    expect(issuesOf(counters([retries([sumPoint({ asInt: undefined, asDouble: 1.5 })])]))[0]?.path).toBe(
      `${at}.sum.dataPoints.0.asInt`,
    );
    expect(issuesOf(counters([retries([sumPoint({ attributes: [kv('weft.reason', '503')] })])]))).toEqual([
      { path: `${at}.sum.dataPoints.0.attributes`, message: '"weft.destination.service" is required' },
    ]);
    expect(
      issuesOf(counters([{ name: 'weft.proxy.ejected_endpoints', sum: retries([sumPoint()]).sum }])),
    ).toEqual([{ path: `${at}.gauge`, message: 'weft.proxy.ejected_endpoints must be a Gauge' }]);
  });

  it('refuses a histogram point whose gRPC status is not a status code', () => {
    const bad = point();
    bad.attributes.push(kv('rpc.grpc.status_code', 'UNAVAILABLE'));
    expect(issuesOf(body([bad]))).toEqual([
      {
        path: 'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0.attributes',
        message: '"rpc.grpc.status_code" must be a gRPC status code (0 to 99) when present',
      },
    ]);
  });
});

describe('parseMetricsBatch: standard http.server.request.duration and cumulative temporality', () => {
  const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
  const S = 1_000_000_000n;
  const t0 = 1764000000n;

  function sdkRequest(points: unknown[], temporality: number, unit = 's') {
    return {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              kv('service.name', 'billing'),
              kv('service.namespace', 'shop'),
              kv('service.version', '2.0.0'),
            ],
          },
          scopeMetrics: [
            {
              scope: { name: '@opentelemetry/instrumentation-http', version: '0.1.0' },
              metrics: [
                {
                  name: 'http.server.request.duration',
                  unit,
                  histogram: { aggregationTemporality: temporality, dataPoints: points },
                },
              ],
            },
          ],
        },
      ],
    };
  }

  function sdkPoint(endS: bigint, counts: number[], sum: number, status = 200, bounds = HTTP_SECONDS) {
    const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
    counts.forEach((n, i) => (bucketCounts[i] = n));
    return {
      attributes: [
        kv('http.request.method', 'GET'),
        kv('http.route', '/pay'),
        { key: 'http.response.status_code', value: { intValue: String(status) } },
      ],
      startTimeUnixNano: String(t0 * S),
      timeUnixNano: String(endS * S),
      count: String(bucketCounts.reduce((a, b) => a + b, 0)),
      sum,
      bucketCounts: bucketCounts.map(String),
      explicitBounds: bounds,
      max: 0.02,
    };
  }

  it('turns a delta point into an inbound EdgePoint of the resource service, in ms over our buckets', () => {
    const { points } = parseMetricsBatch(
      sdkRequest([sdkPoint(t0 + 10n, [1, 2], 0.03)], 1),
      new CumulativeToDelta(0n),
    );
    expect(points).toEqual([
      expect.objectContaining({
        reporter: 'inbound',
        sourceService: 'unknown',
        destService: 'billing',
        destNamespace: 'shop',
        destVersion: '2.0.0',
        statusCode: 200,
        grpcStatus: -1,
        count: 3,
        sumMs: 30,
        maxMs: 20,
        windowStartMs: Number(t0) * 1000,
        windowEndMs: Number(t0 + 10n) * 1000,
      }),
    ]);
    const buckets = points[0]!.buckets;
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(5)]).toBe(1);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(10)]).toBe(2);
  });

  it('counts the growth of a cumulative series between two exports', () => {
    // The series started after this converter (the API) did: its first point counts whole.
    const converter = new CumulativeToDelta((t0 - 1n) * S);
    const first = parseMetricsBatch(sdkRequest([sdkPoint(t0 + 10n, [1, 2], 0.03)], 2), converter);
    first.commit();
    expect(first.points[0]?.count).toBe(3);
    const second = parseMetricsBatch(sdkRequest([sdkPoint(t0 + 20n, [1, 7], 0.08)], 2), converter);
    second.commit();
    expect(second.points).toEqual([
      expect.objectContaining({
        count: 5,
        sumMs: 50,
        maxMs: null,
        windowStartMs: Number(t0 + 10n) * 1000,
        windowEndMs: Number(t0 + 20n) * 1000,
      }),
    ]);
    expect(second.points[0]!.buckets[LATENCY_BOUNDS_MS.indexOf(10)]).toBe(5);
  });

  it('refuses only the point whose bounds are not ours, and the unit it cannot read', () => {
    const batch = parseMetricsBatch(
      sdkRequest([sdkPoint(t0 + 10n, [1], 0.001), sdkPoint(t0 + 10n, [1], 0.001, 500, [0.0033])], 1),
      new CumulativeToDelta(0n),
    );
    expect(batch.points).toHaveLength(1);
    expect(batch.refused.count).toBe(1);
    expect(batch.refused.reasons[0]?.path).toBe(
      'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.1.explicitBounds',
    );
    expect(() =>
      parseMetricsBatch(sdkRequest([sdkPoint(t0 + 10n, [1], 0.001)], 1, 'min'), new CumulativeToDelta(0n)),
    ).toThrow(InvalidInputError);
  });

  it('refuses one bad proxy point and keeps the rest', () => {
    const batch = parseMetricsRequest(body([point(), point({ count: '5' })]));
    expect(batch.points).toHaveLength(1);
    expect(batch.refused.count).toBe(1);
    expect(metricsRejectionMessage(batch)).toBe(
      '1 data point refused: resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.1.count: count must equal the sum of bucketCounts',
    );
  });

  it('accepts empty requests', () => {
    for (const empty of [{}, { resourceMetrics: [] }, body([])]) {
      const batch = parseMetricsRequest(empty);
      expect(batch.points).toHaveLength(0);
      expect(batch.refused.count + batch.ignored.count).toBe(0);
    }
  });
});

describe('parseMetricsBatch: the token scope covers every valid point', () => {
  it('names the workload of a cumulative point that only sets a baseline', () => {
    const request = body([point()]);
    request.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.histogram.aggregationTemporality = 2;
    // The converter started after the point's series: the point is a baseline, nothing to store.
    const batch = parseMetricsBatch(request, new CumulativeToDelta(1764000000000000001n));
    expect(batch.points).toEqual([]);
    expect(batch.workloads).toEqual([
      { namespace: 'storefront', service: 'frontend', version: '', path: 'data point 0' },
    ]);
  });
});
