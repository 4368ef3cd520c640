/** Finished spans and delta points → OTLP/HTTP JSON (ExportTraceServiceRequest, ExportMetricsServiceRequest). */
import {
  AggregationTemporality,
  Attr,
  LATENCY_BOUNDS_MS,
  REQUEST_DURATION_METRIC,
  SpanKind,
  StatusCode,
  intAttribute,
  isErrorStatus,
  stringAttribute,
  type ExportMetricsServiceRequest,
  type KeyValue,
} from '@weft/schema';
import type { WorkloadIdentity } from '../identity.ts';
import type { FinishedSpan } from './finished-span.ts';
import type { DeltaPoint } from './request-metrics.ts';

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
  const failed = isErrorStatus(span.status) || span.errorType === RESPONSE_ABORTED;
  const status = failed
    ? `{"code":${StatusCode.ERROR},"message":${JSON.stringify(span.errorType ?? (span.status === 0 ? 'no response' : `HTTP ${span.status}`))}}`
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
  if (span.retryAttempt !== undefined)
    attributes += `,{"key":"${Attr.retryAttempt}","value":{"intValue":"${span.retryAttempt}"}}`;
  const name = JSON.stringify(`${span.method} ${span.path}`.slice(0, 512));
  return (
    `{"traceId":"${span.traceId}","spanId":"${span.spanId}","parentSpanId":"${span.parentSpanId ?? ''}",` +
    `"name":${name},"kind":${kind},"startTimeUnixNano":"${unixNano(span.startMs)}",` +
    `"endTimeUnixNano":"${unixNano(Math.max(span.endMs, span.startMs))}","attributes":[${attributes}],"status":${status}}`
  );
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

export function encodeMetrics(
  resource: KeyValue[],
  points: readonly DeltaPoint[],
): ExportMetricsServiceRequest {
  const explicitBounds = [...LATENCY_BOUNDS_MS];
  return {
    resourceMetrics: [
      {
        resource: { attributes: resource },
        scopeMetrics: [
          {
            scope: INSTRUMENTATION_SCOPE,
            metrics: [
              {
                name: REQUEST_DURATION_METRIC,
                unit: 'ms',
                description: 'Time from request received to response end, per edge and status code.',
                histogram: {
                  aggregationTemporality: AggregationTemporality.DELTA,
                  dataPoints: points.map((p) => ({
                    attributes: [
                      stringAttribute(Attr.reporter, p.labels.reporter),
                      stringAttribute(Attr.sourceService, p.labels.source.service),
                      stringAttribute(Attr.sourceNamespace, p.labels.source.namespace),
                      stringAttribute(Attr.sourceVersion, p.labels.source.version),
                      stringAttribute(Attr.destinationService, p.labels.destination.service),
                      stringAttribute(Attr.destinationNamespace, p.labels.destination.namespace),
                      stringAttribute(Attr.destinationVersion, p.labels.destination.version),
                      intAttribute(Attr.httpStatus, p.labels.status),
                    ],
                    startTimeUnixNano: unixNano(p.startMs),
                    timeUnixNano: unixNano(p.endMs),
                    count: String(p.count),
                    sum: p.sum,
                    bucketCounts: p.counts.map(String),
                    explicitBounds,
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}
