/** Finished spans and delta points → OTLP/HTTP JSON (ExportTraceServiceRequest, ExportMetricsServiceRequest). */
import {
  AggregationTemporality,
  Attr,
  LATENCY_BOUNDS_MS,
  OtlpSpanFlags,
  REQUEST_DURATION_METRIC,
  ResilienceMetric,
  SpanKind,
  StatusCode,
  intAttribute,
  isFailedRequest,
  stringAttribute,
  type ExportMetricsServiceRequest,
  type KeyValue,
  type ResilienceMetricName,
} from '@weft/schema';
import type { WorkloadIdentity } from '../identity.ts';
import type { FinishedSpan } from './finished-span.ts';
import type { DeltaPoint } from './request-metrics.ts';
import type { CounterPoint } from './resilience-counters.ts';

/** What the metrics queue holds: request histogram points and resilience counter/gauge points. */
export type MetricPoint = DeltaPoint | CounterPoint;

function isCounterPoint(p: MetricPoint): p is CounterPoint {
  return 'metric' in p;
}

/** error.type of an exchange whose response started but was cut short. */
export const RESPONSE_ABORTED = 'response-aborted';

export const INSTRUMENTATION_SCOPE = { name: '@weft/proxy', version: '0.1.0' };

export function resourceAttributes(self: WorkloadIdentity, proxyId: string): KeyValue[] {
  return [
    stringAttribute(Attr.serviceName, self.service),
    stringAttribute(Attr.serviceNamespace, self.namespace),
    stringAttribute(Attr.serviceVersion, self.version),
    stringAttribute(Attr.serviceInstanceId, proxyId),
  ];
}

/** Epoch milliseconds (fractional) → decimal string of epoch nanoseconds, as OTLP JSON encodes uint64. */
export function unixNano(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  let nanos = Math.round((epochMs - wholeMs) * 1e6);
  let ms = wholeMs;
  if (nanos >= 1e6) {
    ms += 1;
    nanos -= 1e6;
  }
  return (BigInt(ms) * 1_000_000n + BigInt(nanos)).toString();
}

/**
 * One span as OTLP/JSON text. Spans are encoded when they finish and queued as strings: a flat string
 * is far cheaper for the garbage collector to keep for a few seconds than an object graph, and the
 * batch is then a join (the shape is checked against the shared zod schema in the tests).
 */
export function spanJson(span: FinishedSpan): string {
  const kind = span.reporter === 'inbound' ? SpanKind.SERVER : SpanKind.CLIENT;
  const failed = isFailedRequest(span.status, span.grpcStatus) || span.errorType === RESPONSE_ABORTED;
  const status = failed
    ? `{"code":${StatusCode.ERROR},"message":${JSON.stringify(span.errorType ?? failureMessage(span))}}`
    : `{"code":${StatusCode.UNSET}}`;
  let attributes =
    stringAttr(Attr.reporter, span.reporter) +
    ',' +
    stringAttr(Attr.httpMethod, span.method) +
    ',' +
    stringAttr(Attr.urlPath, span.path) +
    `,{"key":"${Attr.httpStatus}","value":{"intValue":"${span.status}"}},` +
    stringAttr(Attr.peerService, span.peer.service) +
    ',' +
    stringAttr(Attr.peerNamespace, span.peer.namespace) +
    ',' +
    stringAttr(Attr.peerVersion, span.peer.version);
  if (span.serverAddress !== undefined)
    attributes += ',' + stringAttr(Attr.serverAddress, span.serverAddress);
  if (span.errorType !== undefined) attributes += ',' + stringAttr(Attr.errorType, span.errorType);
  if (span.route !== undefined) attributes += ',' + stringAttr(Attr.route, span.route);
  if (span.grpcStatus !== undefined)
    attributes += `,{"key":"${Attr.grpcStatus}","value":{"intValue":"${span.grpcStatus}"}}`;
  if (span.retryAttempt !== undefined)
    attributes += `,{"key":"${Attr.retryAttempt}","value":{"intValue":"${span.retryAttempt}"}}`;
  const name = JSON.stringify(`${span.method} ${span.path}`.slice(0, 512));
  // Every parent of a proxy span is the caller's, in another process.
  const flags =
    (span.traceFlags & 0xff) |
    OtlpSpanFlags.contextHasIsRemote |
    (span.parentSpanId === undefined ? 0 : OtlpSpanFlags.contextIsRemote);
  const traceState = span.traceState === undefined ? '' : `"traceState":${JSON.stringify(span.traceState)},`;
  return (
    `{"traceId":"${span.traceId}","spanId":"${span.spanId}",${traceState}"parentSpanId":"${span.parentSpanId ?? ''}","flags":${flags},` +
    `"name":${name},"kind":${kind},"startTimeUnixNano":"${unixNano(span.startMs)}",` +
    `"endTimeUnixNano":"${unixNano(Math.max(span.endMs, span.startMs))}","attributes":[${attributes}],"status":${status}}`
  );
}

function failureMessage(span: FinishedSpan): string {
  if (span.status === 0) return 'no response';
  if (span.status < 500 && span.grpcStatus !== undefined) return `gRPC status ${span.grpcStatus}`;
  return `HTTP ${span.status}`;
}

function stringAttr(key: string, value: string): string {
  return `{"key":"${key}","value":{"stringValue":${JSON.stringify(value)}}}`;
}

/** An ExportTraceServiceRequest around spans already encoded by `spanJson`. */
export function traceRequestJson(resource: KeyValue[], spans: readonly string[]): string {
  return (
    `{"resourceSpans":[{"resource":${JSON.stringify({ attributes: resource })},` +
    `"scopeSpans":[{"scope":${JSON.stringify(INSTRUMENTATION_SCOPE)},"spans":[${spans.join(',')}]}]}]}`
  );
}

const COUNTER_DESCRIPTIONS: Record<ResilienceMetricName, string> = {
  [ResilienceMetric.retries]:
    'Tries beyond the first, per destination service and the failure that caused them.',
  [ResilienceMetric.outlierEjections]:
    'Endpoints ejected by outlier detection, per destination service and reason.',
  [ResilienceMetric.ejectedEndpoints]: 'Endpoints of the destination service ejected at flush time.',
};

export function encodeMetrics(
  resource: KeyValue[],
  points: readonly MetricPoint[],
): ExportMetricsServiceRequest {
  const explicitBounds = [...LATENCY_BOUNDS_MS];
  const histogramPoints: DeltaPoint[] = [];
  const counters = new Map<ResilienceMetricName, CounterPoint[]>();
  for (const p of points) {
    if (!isCounterPoint(p)) histogramPoints.push(p);
    else {
      const list = counters.get(p.metric);
      if (list === undefined) counters.set(p.metric, [p]);
      else list.push(p);
    }
  }
  const metrics: NonNullable<
    ExportMetricsServiceRequest['resourceMetrics'][number]['scopeMetrics'][number]['metrics']
  > = [];
  if (histogramPoints.length > 0 || counters.size === 0)
    metrics.push({
      name: REQUEST_DURATION_METRIC,
      unit: 'ms',
      description: 'Time from request received to response end, per edge, status code and gRPC status.',
      histogram: {
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPoints: histogramPoints.map((p) => ({
          attributes: edgeAttributes(p),
          startTimeUnixNano: unixNano(p.startMs),
          timeUnixNano: unixNano(p.endMs),
          count: String(p.count),
          sum: p.sum,
          min: p.min,
          max: p.max,
          bucketCounts: p.counts.map(String),
          explicitBounds,
        })),
      },
    });
  for (const [name, list] of counters) {
    const dataPoints = list.map((p) => ({
      attributes: [
        stringAttribute(Attr.destinationService, p.service),
        stringAttribute(Attr.destinationNamespace, p.namespace),
        ...(p.reason === '' ? [] : [stringAttribute(Attr.reason, p.reason)]),
      ],
      ...(name === ResilienceMetric.ejectedEndpoints ? {} : { startTimeUnixNano: unixNano(p.startMs) }),
      timeUnixNano: unixNano(p.endMs),
      asInt: String(p.value),
    }));
    metrics.push(
      name === ResilienceMetric.ejectedEndpoints
        ? { name, unit: '{endpoint}', description: COUNTER_DESCRIPTIONS[name], gauge: { dataPoints } }
        : {
            name,
            unit: name === ResilienceMetric.retries ? '{retry}' : '{ejection}',
            description: COUNTER_DESCRIPTIONS[name],
            sum: { aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: true, dataPoints },
          },
    );
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: resource },
        scopeMetrics: [{ scope: INSTRUMENTATION_SCOPE, metrics }],
      },
    ],
  };
}

function edgeAttributes(p: DeltaPoint): KeyValue[] {
  const attributes = [
    stringAttribute(Attr.reporter, p.labels.reporter),
    stringAttribute(Attr.sourceService, p.labels.source.service),
    stringAttribute(Attr.sourceNamespace, p.labels.source.namespace),
    stringAttribute(Attr.sourceVersion, p.labels.source.version),
    stringAttribute(Attr.destinationService, p.labels.destination.service),
    stringAttribute(Attr.destinationNamespace, p.labels.destination.namespace),
    stringAttribute(Attr.destinationVersion, p.labels.destination.version),
    intAttribute(Attr.httpStatus, p.labels.status),
  ];
  if (p.labels.grpcStatus !== undefined) attributes.push(intAttribute(Attr.grpcStatus, p.labels.grpcStatus));
  return attributes;
}
