/**
 * OTLP metrics ingest (JSON and protobuf, decoded to the same object shape first). What is stored:
 * - Weft proxies' `weft.request.duration` histograms (their bounds are LATENCY_BOUNDS_MS) → EdgePoints;
 * - standard `http.server.request.duration` histograms of any OpenTelemetry SDK → EdgePoints of the resource's
 *   service, as the destination's inbound side (http-duration.ts);
 * - the proxies' resilience counters (resilience.ts).
 * Delta and cumulative temporality are accepted; cumulative points become deltas (cumulative-to-delta.ts).
 * Every data point is parsed on its own: a bad one refuses only itself (OTLP partial success); the request is
 * refused (400) only when every point was refused for being invalid. Other metrics are acknowledged as rejected
 * data points in partial_success, never as a 400.
 */
import {
  AggregationTemporality,
  Attr,
  HTTP_SERVER_DURATION_METRIC,
  IngestLimits,
  LATENCY_BOUNDS_MS,
  NO_GRPC_STATUS,
  OTLP_DEFAULT_NAMESPACE,
  OTLP_UNKNOWN_VERSION,
  REQUEST_DURATION_METRIC,
  ResilienceMetric,
  UNKNOWN_SERVICE,
  attributeString,
  attributesRecord,
  histogramDataPointSchema,
  metricEnvelopeSchema,
  metricsRequestEnvelopeSchema,
  resourceSchema,
  scopeSchema,
  type HistogramDataPoint,
  type MetricEnvelope,
  type ParsedAttributes,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { CumulativeToDelta, type ConversionSession } from './cumulative-to-delta.ts';
import type { EdgePoint } from './edge-point.ts';
import {
  DURATION_UNITS,
  STANDARD_HISTOGRAM_IDENTITY,
  mapBounds,
  remapCounts,
  toMs,
} from './http-duration.ts';
import {
  RESILIENCE_COLUMNS,
  attributesKey,
  insertResilienceRollups,
  isResilienceMetric,
  reporterOf,
  resilienceRows,
  type Reporter,
  type ResilienceRollupRow,
} from './resilience.ts';
import { storeEdgePoints } from './rollup-store.ts';
import { chunked, insertInOneTransaction, rowsPerStatement } from './store.ts';
import {
  InvalidInputError,
  Refusals,
  boundedAttribute,
  issuesFromZod,
  parseOrThrow,
  type FieldIssue,
} from './validation.ts';

/** A proxy's histogram point as an EdgePoint, with the reporting proxy. */
export type EdgeRollupRow = EdgePoint & { proxyId: string };

/** A workload a data point reports about, for the token's scope check. */
export interface ReportedWorkload {
  namespace: string;
  service: string;
  version: string;
  path: string;
}

export interface MetricsBatch {
  points: EdgePoint[];
  /** Retries, outlier ejections and ejected endpoints the outbound proxies counted. */
  resilience: ResilienceRollupRow[];
  /** Whom each stored item is about (checked against the token's scope before anything is stored). */
  workloads: ReportedWorkload[];
  /** Data points in the request, whatever became of them. */
  received: number;
  /** Points refused because they are invalid (field path and limit). */
  refused: Refusals;
  /** Points of metrics Weft does not store, and their names. */
  ignored: { count: number; names: Set<string> };
  /** Makes this request's cumulative points the baseline of the next ones: call once its data is stored. */
  commit(): void;
}

const NANOS_PER_MS = 1_000_000n;
const NO_RECORDED_VALUE = 1;

function sameBounds(bounds: readonly number[]): boolean {
  return bounds.length === LATENCY_BOUNDS_MS.length && bounds.every((b, i) => b === LATENCY_BOUNDS_MS[i]);
}

/** Data points of a metric as sent (for counting what a refused metric or resource held). */
function pointCount(metric: unknown): number {
  if (typeof metric !== 'object' || metric === null) return 1;
  let n = 0;
  for (const kind of ['histogram', 'sum', 'gauge', 'exponentialHistogram', 'summary']) {
    const points = (metric as Record<string, { dataPoints?: unknown } | undefined>)[kind]?.dataPoints;
    if (Array.isArray(points)) n += points.length;
  }
  return n;
}

function pointsOfScope(metrics: readonly unknown[] | null | undefined): number {
  let n = 0;
  for (const metric of metrics ?? []) n += pointCount(metric);
  return n;
}

function describeIgnored(names: Set<string>): string {
  const list = [...names];
  const shown = list.slice(0, 10).join(', ');
  return list.length > 10 ? `${shown} and ${list.length - 10} more` : shown;
}

/** Partial-success message for points not stored: the invalid ones (first reasons) and the ignored metrics. */
export function metricsRejectionMessage(batch: MetricsBatch): string {
  const parts: string[] = [];
  if (batch.refused.count > 0) parts.push(batch.refused.message('data point'));
  if (batch.ignored.count > 0) {
    parts.push(
      `${batch.ignored.count} data points of metrics Weft does not store (only ${REQUEST_DURATION_METRIC} and ${HTTP_SERVER_DURATION_METRIC} histograms and ${Object.values(ResilienceMetric).join(', ')}): ${describeIgnored(batch.ignored.names)}`,
    );
  }
  return parts.join('; ');
}

interface ResourceContext {
  attributes: ParsedAttributes;
  /** resource + scope, the start of every series key. */
  seriesPrefix: string;
  path: string;
}

interface PointContext {
  metric: MetricEnvelope;
  base: string;
  session: ConversionSession;
  resource: ResourceContext;
  /**
   * Records whom a valid point is about, before temporality: a cumulative point that only sets a baseline must be
   * within the token's scope too, or a token could skew another workload's deltas.
   */
  report: Reporting;
}

type Reporting = (w: Omit<ReportedWorkload, 'path'>, kind: 'data point' | 'counter data point') => void;

/** A histogram point after temporality: a delta over [startNs, timeNs]. */
interface DeltaHistogram {
  startNs: bigint;
  timeNs: bigint;
  count: number;
  sum: number;
  bucketCounts: number[];
  /** Only known for delta points (a cumulative max is over the series' whole life). */
  max: number | undefined;
}

/** The point as a delta; undefined when there is nothing to count (a baseline, a stale point or no value). */
function asDelta(ctx: PointContext, dp: HistogramDataPoint, temporality: number): DeltaHistogram | undefined {
  if ((dp.flags & NO_RECORDED_VALUE) !== 0) return undefined;
  if (temporality === AggregationTemporality.DELTA) {
    return {
      startNs: dp.startTimeUnixNano,
      timeNs: dp.timeUnixNano,
      count: dp.count,
      sum: dp.sum ?? 0,
      bucketCounts: dp.bucketCounts,
      max: dp.max,
    };
  }
  const key = `${ctx.resource.seriesPrefix}\u0000${ctx.metric.name}\u0000${dp.explicitBounds.join(',')}\u0000${attributesKey(dp.attributes)}`;
  const converted = ctx.session.convert(key, {
    startNs: dp.startTimeUnixNano,
    timeNs: dp.timeUnixNano,
    values: [dp.count, ...dp.bucketCounts],
    sum: dp.sum ?? 0,
  });
  if (converted.kind !== 'delta') return undefined;
  const [count = 0, ...bucketCounts] = converted.values;
  if (count === 0) return undefined;
  return {
    startNs: converted.startNs,
    timeNs: converted.timeNs,
    count,
    sum: converted.sum,
    bucketCounts,
    max: undefined,
  };
}

function histogramPoints(
  ctx: PointContext,
  refused: Refusals,
  each: (dp: HistogramDataPoint, at: string) => void,
): void {
  const { metric, base } = ctx;
  const points = metric.histogram?.dataPoints ?? [];
  const temporality = metric.histogram?.aggregationTemporality;
  if (temporality !== AggregationTemporality.DELTA && temporality !== AggregationTemporality.CUMULATIVE) {
    refused.add(points.length, [
      {
        path: `${base}.histogram.aggregationTemporality`,
        message: 'aggregationTemporality must be DELTA (1) or CUMULATIVE (2)',
      },
    ]);
    return;
  }
  points.forEach((raw, di) => {
    const at = `${base}.histogram.dataPoints.${di}`;
    const parsed = histogramDataPointSchema.safeParse(raw);
    if (!parsed.success) {
      refused.add(1, issuesFromZod(parsed.error, 20, at));
      return;
    }
    each(parsed.data, at);
  });
}

/** A Weft proxy's `weft.request.duration` point; undefined (with issues) when refused. */
function proxyPoint(
  dp: HistogramDataPoint,
  at: string,
  proxyId: string,
  issues: FieldIssue[],
):
  | Omit<EdgeRollupRow, 'identity' | 'windowStartMs' | 'windowEndMs' | 'count' | 'sumMs' | 'buckets'>
  | undefined {
  if (!sameBounds(dp.explicitBounds)) {
    issues.push({
      path: `${at}.explicitBounds`,
      message: `must be Weft's latency bounds [${LATENCY_BOUNDS_MS.join(', ')}]`,
    });
    return undefined;
  }
  const attr = (key: string) => attributeString(dp.attributes, key);
  const name = (key: string) =>
    boundedAttribute(dp.attributes, key, IngestLimits.maxNameLength, `${at}.attributes`, issues);
  const reporter = attr(Attr.reporter);
  if (reporter !== 'inbound' && reporter !== 'outbound') {
    issues.push({ path: `${at}.attributes`, message: `"${Attr.reporter}" must be "inbound" or "outbound"` });
    return undefined;
  }
  if (!attr(Attr.destinationService)) {
    issues.push({ path: `${at}.attributes`, message: `"${Attr.destinationService}" is required` });
    return undefined;
  }
  const destService = name(Attr.destinationService);
  const status = attr(Attr.httpStatus);
  if (status === undefined || !/^\d{1,3}$/.test(status)) {
    issues.push({
      path: `${at}.attributes`,
      message: `"${Attr.httpStatus}" must be an integer status code (0 when no response)`,
    });
    return undefined;
  }
  const grpcStatus = attr(Attr.grpcStatus);
  if (grpcStatus !== undefined && !/^\d{1,2}$/.test(grpcStatus)) {
    issues.push({
      path: `${at}.attributes`,
      message: `"${Attr.grpcStatus}" must be a gRPC status code (0 to 99) when present`,
    });
    return undefined;
  }
  const point = {
    proxyId,
    reporter,
    sourceService: name(Attr.sourceService) ?? UNKNOWN_SERVICE,
    sourceNamespace: name(Attr.sourceNamespace) ?? '',
    sourceVersion: name(Attr.sourceVersion) ?? '',
    destService: destService ?? '',
    destNamespace: name(Attr.destinationNamespace) ?? 'default',
    destVersion: name(Attr.destinationVersion) ?? '',
    statusCode: Number(status),
    grpcStatus: grpcStatus === undefined ? NO_GRPC_STATUS : Number(grpcStatus),
    maxMs: null,
  } as const;
  // Too long a name: boundedAttribute recorded the issue.
  return issues.length > 0 ? undefined : point;
}

/** Parses an ExportMetricsServiceRequest point by point. Throws (400) for a broken envelope or all refused. */
export function parseMetricsBatch(body: unknown, converter: CumulativeToDelta): MetricsBatch {
  const envelope = parseOrThrow(metricsRequestEnvelopeSchema, body, 'OTLP ExportMetricsServiceRequest');
  const session = converter.session();
  const batch: MetricsBatch = {
    points: [],
    resilience: [],
    workloads: [],
    received: 0,
    refused: new Refusals(),
    ignored: { count: 0, names: new Set() },
    commit: () => session.commit(),
  };
  const { refused } = batch;
  const seen = { 'data point': 0, 'counter data point': 0 };
  const report: Reporting = (w, kind) => batch.workloads.push({ ...w, path: `${kind} ${seen[kind]++}` });

  (envelope.resourceMetrics ?? []).forEach((rm, ri) => {
    const rBase = `resourceMetrics.${ri}`;
    const inResource = (rm.scopeMetrics ?? []).reduce((n, sm) => n + pointsOfScope(sm.metrics), 0);
    batch.received += inResource;
    const resource = resourceSchema.safeParse(rm.resource ?? undefined);
    if (!resource.success) {
      refused.add(inResource, issuesFromZod(resource.error, 20, `${rBase}.resource`));
      return;
    }
    const attributes = resource.data.attributes;
    const resourceIssues: FieldIssue[] = [];
    // The reporting proxy: service.instance.id, else service.name.
    const proxyKey = attributeString(attributes, Attr.serviceInstanceId)
      ? Attr.serviceInstanceId
      : Attr.serviceName;
    const at = `${rBase}.resource.attributes`;
    const proxyId =
      boundedAttribute(attributes, proxyKey, IngestLimits.maxProxyIdLength, at, resourceIssues) ?? 'unknown';
    let reporter: Reporter | undefined;
    if (resourceIssues.length > 0) {
      refused.add(inResource, resourceIssues);
      return;
    }
    const resourceKey = JSON.stringify(attributesRecord(attributes));

    (rm.scopeMetrics ?? []).forEach((sm, si) => {
      const sBase = `${rBase}.scopeMetrics.${si}`;
      const scope = scopeSchema.safeParse(sm.scope ?? undefined);
      if (!scope.success) {
        refused.add(pointsOfScope(sm.metrics), issuesFromZod(scope.error, 20, `${sBase}.scope`));
        return;
      }
      const resourceCtx: ResourceContext = {
        attributes,
        seriesPrefix: `${resourceKey}\u0000${scope.data?.name ?? ''}@${scope.data?.version ?? ''}`,
        path: rBase,
      };
      (sm.metrics ?? []).forEach((rawMetric, mi) => {
        const base = `${sBase}.metrics.${mi}`;
        const parsedMetric = metricEnvelopeSchema.safeParse(rawMetric);
        if (!parsedMetric.success) {
          refused.add(pointCount(rawMetric), issuesFromZod(parsedMetric.error, 20, base));
          return;
        }
        const metric = parsedMetric.data;
        const ctx: PointContext = { metric, base, session, resource: resourceCtx, report };
        const { name } = metric;
        if (isResilienceMetric(name)) {
          const issues: FieldIssue[] = [];
          reporter ??= reporterOf(proxyId, attributes, rBase, issues);
          if (issues.length > 0) {
            refused.add(pointCount(rawMetric), issues);
            reporter = undefined;
            return;
          }
          const rows = resilienceRows(
            { ...metric, name },
            reporter,
            base,
            refused,
            { session, seriesPrefix: resourceCtx.seriesPrefix },
            // Resilience counters are the reporting (calling) proxy's own.
            (r) =>
              report(
                { namespace: r.sourceNamespace, service: r.sourceService, version: r.sourceVersion },
                'counter data point',
              ),
          );
          batch.resilience.push(...rows);
          return;
        }
        if (name === REQUEST_DURATION_METRIC && metric.histogram) {
          if (metric.unit !== 'ms') {
            refused.add(pointCount(rawMetric), [
              { path: `${base}.unit`, message: `${REQUEST_DURATION_METRIC} must be in "ms"` },
            ]);
            return;
          }
          histogramPoints(ctx, refused, (dp, pointAt) => {
            const issues: FieldIssue[] = [];
            const point = proxyPoint(dp, pointAt, proxyId, issues);
            if (!point) {
              refused.add(1, issues);
              return;
            }
            // A proxy reports each edge from its own side: as the destination inbound, as the source outbound.
            report(
              point.reporter === 'inbound'
                ? { namespace: point.destNamespace, service: point.destService, version: point.destVersion }
                : {
                    namespace: point.sourceNamespace,
                    service: point.sourceService,
                    version: point.sourceVersion,
                  },
              'data point',
            );
            const delta = asDelta(ctx, dp, metric.histogram?.aggregationTemporality ?? 0);
            if (!delta) return;
            const windowStartMs = Number(delta.startNs / NANOS_PER_MS);
            const windowEndMs = Number(delta.timeNs / NANOS_PER_MS);
            batch.points.push({
              ...point,
              maxMs: delta.max ?? null,
              windowStartMs,
              windowEndMs,
              count: delta.count,
              sumMs: delta.sum,
              buckets: delta.bucketCounts,
              // One data point: the proxy's flush window of one edge and status.
              identity: [
                proxyId,
                windowStartMs,
                windowEndMs,
                point.reporter,
                point.sourceNamespace,
                point.sourceService,
                point.sourceVersion,
                point.destNamespace,
                point.destService,
                point.destVersion,
                point.statusCode,
                point.grpcStatus,
              ].join('\u0000'),
            });
          });
          return;
        }
        if (name === HTTP_SERVER_DURATION_METRIC && metric.histogram) {
          httpDurationPoints(ctx, batch, rBase);
          return;
        }
        batch.ignored.count += pointCount(rawMetric);
        batch.ignored.names.add(name);
      });
    });
  });

  // Every point refused as invalid (points of metrics Weft does not store are not a reason for a 400).
  if (batch.received > 0 && batch.refused.count >= batch.received) {
    throw new InvalidInputError(
      `every data point of this OTLP ExportMetricsServiceRequest was refused (${batch.refused.count} invalid)`,
      batch.refused.reasons,
    );
  }
  return batch;
}

/** Standard `http.server.request.duration` points → inbound EdgePoints of the resource's service. */
function httpDurationPoints(ctx: PointContext, batch: MetricsBatch, rBase: string): void {
  const { metric, base, resource } = ctx;
  const factor = DURATION_UNITS[metric.unit];
  if (factor === undefined) {
    batch.refused.add(metric.histogram?.dataPoints?.length ?? 0, [
      {
        path: `${base}.unit`,
        message: `${HTTP_SERVER_DURATION_METRIC} must be in "s" or "ms" (got "${metric.unit}")`,
      },
    ]);
    return;
  }
  const issues: FieldIssue[] = [];
  const at = `${rBase}.resource.attributes`;
  const name = (key: string) =>
    boundedAttribute(resource.attributes, key, IngestLimits.maxNameLength, at, issues);
  const service = name(Attr.serviceName);
  const namespace = name(Attr.serviceNamespace) ?? OTLP_DEFAULT_NAMESPACE;
  const version = name(Attr.serviceVersion) ?? OTLP_UNKNOWN_VERSION;
  if (!service) issues.push({ path: at, message: `resource attribute "${Attr.serviceName}" is required` });
  if (issues.length > 0 || !service) {
    batch.refused.add(metric.histogram?.dataPoints?.length ?? 0, issues);
    return;
  }
  histogramPoints(ctx, batch.refused, (dp, pointAt) => {
    const mapping = mapBounds(dp.explicitBounds, factor);
    if (!mapping.ok) {
      batch.refused.add(1, [{ path: `${pointAt}.explicitBounds`, message: mapping.problem }]);
      return;
    }
    const status = attributeString(dp.attributes, Attr.httpStatus);
    const grpc = attributeString(dp.attributes, Attr.grpcStatus);
    if (
      (status !== undefined && !/^\d{1,3}$/.test(status)) ||
      (grpc !== undefined && !/^\d{1,2}$/.test(grpc))
    ) {
      batch.refused.add(1, [
        {
          path: `${pointAt}.attributes`,
          message: `"${Attr.httpStatus}" must be an HTTP status code and "${Attr.grpcStatus}" a gRPC status code`,
        },
      ]);
      return;
    }
    ctx.report({ namespace, service, version }, 'data point');
    const delta = asDelta(ctx, dp, metric.histogram?.aggregationTemporality ?? 0);
    if (!delta) return;
    const windowStartMs = Number(delta.startNs / NANOS_PER_MS);
    const windowEndMs = Number(delta.timeNs / NANOS_PER_MS);
    batch.points.push({
      identity: `${STANDARD_HISTOGRAM_IDENTITY}${resource.seriesPrefix}\u0000${metric.name}\u0000${attributesKey(dp.attributes)}\u0000${delta.startNs}\u0000${delta.timeNs}`,
      windowStartMs,
      windowEndMs,
      reporter: 'inbound',
      sourceNamespace: '',
      sourceService: UNKNOWN_SERVICE,
      sourceVersion: '',
      destNamespace: namespace,
      destService: service,
      destVersion: version,
      // No status: the request got no response (semantic conventions leave it out then).
      statusCode: status === undefined ? 0 : Number(status),
      grpcStatus: grpc === undefined ? NO_GRPC_STATUS : Number(grpc),
      count: delta.count,
      sumMs: toMs(delta.sum, factor),
      maxMs: delta.max === undefined ? null : toMs(delta.max, factor),
      buckets: remapCounts(delta.bucketCounts, mapping.indexes),
    });
  });
}

/**
 * Stores a batch's EdgePoints (counted once each, by identity) and resilience counters (deduplicated per data
 * point by their unique key).
 */
export async function storeMetrics(
  db: Db,
  points: readonly EdgePoint[],
  resilience: readonly ResilienceRollupRow[] = [],
): Promise<{ stored: number; duplicates: number }> {
  const { stored: rollups } = await storeEdgePoints(db, points);
  const [counters = 0] = await insertInOneTransaction(
    db,
    [chunked(resilience, rowsPerStatement(RESILIENCE_COLUMNS), insertResilienceRollups)],
    'metrics batch',
  );
  const stored = rollups + counters;
  return { stored, duplicates: points.length + resilience.length - stored };
}

/** The same, under the name the storage tests use. */
export const storeRollups = storeMetrics;

/** Parses a request with a converter of its own (tests and tools: cumulative points are then all first points). */
export function parseMetricsRequest(body: unknown): MetricsBatch {
  return parseMetricsBatch(body, new CumulativeToDelta(0n));
}
