/**
 * OTLP/HTTP JSON payloads as a proxy or an OpenTelemetry SDK sends them, for the integration tests:
 * an ExportMetricsServiceRequest of weft.request.duration histogram data points and an
 * ExportTraceServiceRequest of spans. Times are whole milliseconds, sent as unix nanoseconds.
 */
import {
  AggregationTemporality,
  Attr,
  LATENCY_BOUNDS_MS,
  LATENCY_BUCKET_COUNT,
  REQUEST_DURATION_METRIC,
  SpanKind,
  StatusCode,
  WEFT_PROXY_SCOPE_NAME,
  type ExportMetricsServiceRequest,
  type ExportTraceServiceRequest,
  type KeyValue,
  type Reporter,
  type histogramDataPointSchema,
  type spanSchema,
} from '@weft/schema';
import type { z } from 'zod';

export type HistogramDataPoint = z.input<typeof histogramDataPointSchema>;
export type Span = z.input<typeof spanSchema>;

const SCOPE = { name: 'weft' };

/** A string attribute. */
export function kv(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

/** Milliseconds since the epoch as an OTLP timestamp (decimal unix nanoseconds). */
export function unixNano(ms: number): string {
  return String(BigInt(ms) * 1_000_000n);
}

export interface Workload {
  service: string;
  namespace: string;
  version?: string;
}

/** One delta histogram data point of weft.request.duration: the requests of one edge and status code. */
export interface HistogramPointSpec {
  /** Which proxy listener saw the requests; inbound unless said. */
  reporter?: Reporter;
  /** The caller; left out for a caller outside the mesh. */
  source?: Workload;
  destination: Workload;
  status: number;
  count: number;
  /** Left out of the data point when not given. */
  sum?: number;
  /** Requests per bucket index over LATENCY_BOUNDS_MS (others 0); all `count` in bucket 0 unless said. */
  buckets?: Readonly<Record<number, number>>;
  startMs: number;
  endMs: number;
}

function workloadAttributes(prefix: 'source' | 'destination', w: Workload | undefined): KeyValue[] {
  if (!w) return [];
  const attributes = [kv(Attr[`${prefix}Service`], w.service), kv(Attr[`${prefix}Namespace`], w.namespace)];
  if (w.version !== undefined) attributes.push(kv(Attr[`${prefix}Version`], w.version));
  return attributes;
}

/**
 * The attributes are in this order: reporter, source service, namespace (and version), destination service,
 * namespace (and version), status code; tests name refused fields by their index.
 */
function histogramPoint(p: HistogramPointSpec, encoding: 'number' | 'string'): HistogramDataPoint {
  const bucketCounts = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  for (const [index, n] of Object.entries(p.buckets ?? { 0: p.count })) bucketCounts[Number(index)] = n;
  const uint64 = (n: number) => (encoding === 'string' ? String(n) : n);
  return {
    attributes: [
      kv(Attr.reporter, p.reporter ?? 'inbound'),
      ...workloadAttributes('source', p.source),
      ...workloadAttributes('destination', p.destination),
      { key: Attr.httpStatus, value: { intValue: p.status } },
    ],
    startTimeUnixNano: unixNano(p.startMs),
    timeUnixNano: unixNano(p.endMs),
    count: uint64(p.count),
    ...(p.sum === undefined ? {} : { sum: p.sum }),
    bucketCounts: bucketCounts.map(uint64),
    explicitBounds: [...LATENCY_BOUNDS_MS],
  };
}

/** One proxy's (service.name, service.instance.id) weft.request.duration data points in one request. */
export function metricsRequest(r: {
  resource: { service: string; instance: string };
  points: readonly HistogramPointSpec[];
  /**
   * How count and bucketCounts are sent: JSON numbers, or decimal strings as the proto3 JSON encoding
   * writes uint64 (and as the proxy sends them). Numbers unless said.
   */
  encoding?: 'number' | 'string';
}): ExportMetricsServiceRequest {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            kv(Attr.serviceName, r.resource.service),
            kv(Attr.serviceInstanceId, r.resource.instance),
          ],
        },
        scopeMetrics: [
          {
            scope: SCOPE,
            metrics: [
              {
                name: REQUEST_DURATION_METRIC,
                unit: 'ms',
                histogram: {
                  aggregationTemporality: AggregationTemporality.DELTA,
                  dataPoints: r.points.map((p) => histogramPoint(p, r.encoding ?? 'number')),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** A server span named "GET /" unless said, with no attributes and an unset status. */
export function span(s: {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  startMs: number;
  endMs: number;
}): Span {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId === undefined ? {} : { parentSpanId: s.parentSpanId }),
    name: s.name ?? 'GET /',
    kind: SpanKind.SERVER,
    startTimeUnixNano: unixNano(s.startMs),
    endTimeUnixNano: unixNano(s.endMs),
    attributes: [],
    status: { code: StatusCode.UNSET },
  };
}

/**
 * Spans of one service (service.name, service.namespace) in one request, as its Weft proxy reports them (the
 * proxy's instrumentation scope: span-metrics leave them to the proxy's histograms) unless `scope` is given.
 */
export function tracesRequest(r: {
  service: string;
  namespace: string;
  spans: readonly Span[];
  scope?: { name: string };
}): ExportTraceServiceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv(Attr.serviceName, r.service), kv(Attr.serviceNamespace, r.namespace)] },
        scopeSpans: [{ scope: r.scope ?? { name: WEFT_PROXY_SCOPE_NAME }, spans: [...r.spans] }],
      },
    ],
  };
}
