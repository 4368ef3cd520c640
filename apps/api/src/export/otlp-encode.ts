/**
 * Stored spans and EdgePoints → OTLP/HTTP JSON requests (opentelemetry-proto 1.x JSON encoding), as the
 * exporter sends them to an external receiver. Spans are grouped by resource and instrumentation scope as their
 * senders grouped them; EdgePoints become delta explicit-bucket histograms of REQUEST_DURATION_METRIC with the
 * attribute names Weft proxies use, grouped by the workload that reported them.
 *
 * The output types are the standard OTLP shapes (a superset of what @weft/schema's ingest subset names: events,
 * links, array and kvlist values), so they are declared here for the one place that emits them.
 */
import {
  AggregationTemporality,
  Attr,
  LATENCY_BOUNDS_MS,
  NO_GRPC_STATUS,
  REQUEST_DURATION_METRIC,
} from '@weft/schema';
import type { EdgePoint } from '../ingest/edge-point.ts';
import type { SpanRow } from '../ingest/traces.ts';

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } }
  | { kvlistValue: { values: OtlpKeyValue[] } };
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
interface OtlpScope {
  name: string;
  version?: string;
  attributes?: OtlpKeyValue[];
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  events: { timeUnixNano: string; name: string; attributes: OtlpKeyValue[] }[];
  links: { traceId: string; spanId: string; traceState: string; attributes: OtlpKeyValue[] }[];
  status: { code: number; message?: string };
}
export interface OtlpTraceRequest {
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: { scope: OtlpScope; spans: OtlpSpan[] }[];
  }[];
}
export interface OtlpHistogramPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  count: string;
  sum: number;
  max?: number;
  bucketCounts: string[];
  explicitBounds: number[];
}
export interface OtlpMetricsRequest {
  resourceMetrics: {
    resource: { attributes: OtlpKeyValue[] };
    scopeMetrics: {
      scope: OtlpScope;
      metrics: {
        name: string;
        unit: string;
        description: string;
        histogram: { aggregationTemporality: number; dataPoints: OtlpHistogramPoint[] };
      }[];
    }[];
  }[];
}

/** The scope of the metrics the API re-exports (spans keep the scope their sender gave). */
export const EXPORT_SCOPE: OtlpScope = { name: '@weft/api', version: '0.1.0' };

/**
 * Attributes the ingest keeps as text but whose semantic convention is an integer: exported as intValue again,
 * so that a receiver (Jaeger, Tempo) can filter `http.response.status_code >= 500`.
 */
const INTEGER_ATTRIBUTES = new Set<string>([Attr.httpStatus, Attr.grpcStatus, Attr.retryAttempt]);

function anyValue(key: string, value: unknown): OtlpAnyValue | undefined {
  if (typeof value === 'string') {
    if (INTEGER_ATTRIBUTES.has(key) && /^-?\d{1,18}$/.test(value)) return { intValue: value };
    return { stringValue: value };
  }
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  }
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (Array.isArray(value)) {
    const values: OtlpAnyValue[] = [];
    for (const v of value) {
      const encoded = anyValue('', v);
      if (encoded) values.push(encoded);
    }
    return { arrayValue: { values } };
  }
  if (value !== null && typeof value === 'object') {
    return { kvlistValue: { values: keyValues(value as Record<string, unknown>) } };
  }
  return undefined; // null: OTLP has no null value, the attribute is left out
}

function keyValues(object: Record<string, unknown>): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (const [key, raw] of Object.entries(object)) {
    const value = anyValue(key, raw);
    if (value) out.push({ key, value });
  }
  return out;
}

/** A stored JSON column; a value that is not what it should be exports as empty rather than failing a batch. */
function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(asObject) : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Microseconds (bigint or a number / decimal string from JSON) → decimal string of nanoseconds. */
function microsToNanos(us: unknown): string {
  if (typeof us === 'bigint') return (us * 1000n).toString();
  if (typeof us === 'number' && Number.isFinite(us)) return (BigInt(Math.trunc(us)) * 1000n).toString();
  if (typeof us === 'string' && /^\d{1,19}$/.test(us)) return (BigInt(us) * 1000n).toString();
  return '0';
}

function millisToNanos(ms: number): string {
  const whole = Math.floor(ms);
  return (BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6))).toString();
}

function resourceOf(row: SpanRow): OtlpKeyValue[] {
  // The stored resource is the sender's; the identity columns are what Weft resolved it to, so they win.
  const attributes = asObject(parseJson(row.resource));
  attributes[Attr.serviceName] = row.service;
  attributes[Attr.serviceNamespace] = row.namespace;
  attributes[Attr.serviceVersion] = row.version;
  return keyValues(attributes);
}

function scopeOf(row: SpanRow): OtlpScope {
  const stored = asObject(parseJson(row.scope));
  const scope: OtlpScope = { name: text(stored.name) };
  if (typeof stored.version === 'string' && stored.version !== '') scope.version = stored.version;
  const attributes = keyValues(asObject(stored.attributes));
  if (attributes.length > 0) scope.attributes = attributes;
  return scope;
}

export function spanToOtlp(row: SpanRow): OtlpSpan {
  return {
    traceId: row.traceId,
    spanId: row.spanId,
    parentSpanId: row.parentSpanId ?? '',
    traceState: row.traceState,
    flags: row.flags,
    name: row.name,
    kind: row.kind,
    startTimeUnixNano: microsToNanos(row.startUs),
    endTimeUnixNano: microsToNanos(row.startUs + row.durationUs),
    attributes: keyValues(asObject(parseJson(row.attributes))),
    events: asArray(parseJson(row.events)).map((e) => ({
      timeUnixNano: microsToNanos(e.timeUs),
      name: text(e.name),
      attributes: keyValues(asObject(e.attributes)),
    })),
    links: asArray(parseJson(row.links)).map((l) => ({
      traceId: text(l.traceId),
      spanId: text(l.spanId),
      traceState: text(l.traceState),
      attributes: keyValues(asObject(l.attributes)),
    })),
    status: row.statusMessage
      ? { code: row.statusCode, message: row.statusMessage }
      : { code: row.statusCode },
  };
}

/** One ExportTraceServiceRequest: a ResourceSpans per distinct resource, a ScopeSpans per scope within it. */
export function encodeSpans(rows: readonly SpanRow[]): OtlpTraceRequest {
  const resources = new Map<
    string,
    { row: SpanRow; scopes: Map<string, { row: SpanRow; spans: OtlpSpan[] }> }
  >();
  for (const row of rows) {
    const resourceKey = `${row.namespace}\u0000${row.service}\u0000${row.version}\u0000${row.resource}`;
    let resource = resources.get(resourceKey);
    if (!resource) {
      resource = { row, scopes: new Map() };
      resources.set(resourceKey, resource);
    }
    let scope = resource.scopes.get(row.scope);
    if (!scope) {
      scope = { row, spans: [] };
      resource.scopes.set(row.scope, scope);
    }
    scope.spans.push(spanToOtlp(row));
  }
  return {
    resourceSpans: [...resources.values()].map((r) => ({
      resource: { attributes: resourceOf(r.row) },
      scopeSpans: [...r.scopes.values()].map((s) => ({ scope: scopeOf(s.row), spans: s.spans })),
    })),
  };
}

function stringKv(key: string, value: string): OtlpKeyValue {
  return { key, value: { stringValue: value } };
}

function intKv(key: string, value: number): OtlpKeyValue {
  return { key, value: { intValue: String(Math.trunc(value)) } };
}

/** The workload whose proxy (or SDK) reported the point: the caller for outbound, the callee for inbound. */
function reporterOf(p: EdgePoint): { namespace: string; service: string; version: string } {
  return p.reporter === 'outbound'
    ? { namespace: p.sourceNamespace, service: p.sourceService, version: p.sourceVersion }
    : { namespace: p.destNamespace, service: p.destService, version: p.destVersion };
}

/** Data point attributes exactly as the proxies send them (apps/proxy/src/telemetry/otlp-encode.ts). */
function edgeAttributes(p: EdgePoint): OtlpKeyValue[] {
  const attributes = [
    stringKv(Attr.reporter, p.reporter),
    stringKv(Attr.sourceService, p.sourceService),
    stringKv(Attr.sourceNamespace, p.sourceNamespace),
    stringKv(Attr.sourceVersion, p.sourceVersion),
    stringKv(Attr.destinationService, p.destService),
    stringKv(Attr.destinationNamespace, p.destNamespace),
    stringKv(Attr.destinationVersion, p.destVersion),
    intKv(Attr.httpStatus, p.statusCode),
  ];
  if (p.grpcStatus !== NO_GRPC_STATUS && p.grpcStatus >= 0)
    attributes.push(intKv(Attr.grpcStatus, p.grpcStatus));
  return attributes;
}

export function pointToOtlp(p: EdgePoint): OtlpHistogramPoint {
  const point: OtlpHistogramPoint = {
    attributes: edgeAttributes(p),
    startTimeUnixNano: millisToNanos(p.windowStartMs),
    timeUnixNano: millisToNanos(p.windowEndMs),
    count: String(p.count),
    sum: p.sumMs,
    bucketCounts: p.buckets.map(String),
    explicitBounds: [...LATENCY_BOUNDS_MS],
  };
  if (p.maxMs !== null) point.max = p.maxMs;
  return point;
}

/** One ExportMetricsServiceRequest: a ResourceMetrics per reporting workload, one delta histogram each. */
export function encodeEdgePoints(points: readonly EdgePoint[]): OtlpMetricsRequest {
  const byReporter = new Map<
    string,
    { identity: ReturnType<typeof reporterOf>; points: OtlpHistogramPoint[] }
  >();
  for (const p of points) {
    const identity = reporterOf(p);
    const key = `${identity.namespace}\u0000${identity.service}\u0000${identity.version}`;
    let group = byReporter.get(key);
    if (!group) {
      group = { identity, points: [] };
      byReporter.set(key, group);
    }
    group.points.push(pointToOtlp(p));
  }
  return {
    resourceMetrics: [...byReporter.values()].map((g) => ({
      resource: {
        attributes: [
          stringKv(Attr.serviceName, g.identity.service),
          stringKv(Attr.serviceNamespace, g.identity.namespace),
          stringKv(Attr.serviceVersion, g.identity.version),
        ],
      },
      scopeMetrics: [
        {
          scope: EXPORT_SCOPE,
          metrics: [
            {
              name: REQUEST_DURATION_METRIC,
              unit: 'ms',
              description:
                'Time from request received to response end, per edge, status code and gRPC status.',
              histogram: { aggregationTemporality: AggregationTemporality.DELTA, dataPoints: g.points },
            },
          ],
        },
      ],
    })),
  };
}

/**
 * Rough size of an item's OTLP JSON, for the queue's byte bound: computed from string lengths without encoding
 * (encoding on the ingest path would cost the ingest what the exporter must not).
 */
export function estimateSpanBytes(row: SpanRow): number {
  return (
    400 +
    row.name.length +
    row.attributes.length * 2 +
    row.events.length * 2 +
    row.links.length * 2 +
    row.traceState.length +
    (row.statusMessage?.length ?? 0)
  );
}

export function estimatePointBytes(p: EdgePoint): number {
  return (
    900 +
    p.sourceNamespace.length +
    p.sourceService.length +
    p.sourceVersion.length +
    p.destNamespace.length +
    p.destService.length +
    p.destVersion.length
  );
}
