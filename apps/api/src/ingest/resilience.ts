/**
 * The outbound proxies' resilience counters (ResilienceMetric: retries and outlier ejections as delta Sums,
 * endpoints ejected now as a Gauge), per destination service, validated and stored beside the request
 * rollups: in the same request, the same transaction, deduplicated per data point the same way.
 */
import {
  Attr,
  AggregationTemporality,
  IngestLimits,
  ResilienceMetric,
  numberDataPointSchema,
  type MetricEnvelope,
  type NumberDataPoint,
  type ParsedAttributes,
  type ResilienceMetricName,
} from '@weft/schema';
import { Prisma, type ResilienceRollup } from '../generated/sqlite/client.ts';
import type { ConversionSession } from './cumulative-to-delta.ts';
import { boundedAttribute, issuesFromZod, type FieldIssue, type Refusals } from './validation.ts';

/** A row as stored: one counter of one destination service (and reason) over one flush window, or a gauge. */
export type ResilienceRollupRow = Omit<ResilienceRollup, 'id'>;

const NAMES = new Set<string>(Object.values(ResilienceMetric));
const NANOS_PER_MS = 1_000_000n;

export function isResilienceMetric(name: string): name is ResilienceMetricName {
  return NAMES.has(name);
}

/** The reporting workload, from the resource (the proxy's own service.name/namespace/version). */
export interface Reporter {
  proxyId: string;
  service: string;
  namespace: string;
  version: string;
}

export function reporterOf(
  proxyId: string,
  resource: ParsedAttributes,
  at: string,
  issues: FieldIssue[],
): Reporter {
  const name = (key: string) =>
    boundedAttribute(resource, key, IngestLimits.maxNameLength, `${at}.resource.attributes`, issues);
  return {
    proxyId,
    service: name(Attr.serviceName) ?? '',
    namespace: name(Attr.serviceNamespace) ?? '',
    version: name(Attr.serviceVersion) ?? '',
  };
}

/** Where cumulative Sums are turned into deltas: the request's session and the series key before the point's. */
export interface CumulativeContext {
  session: ConversionSession;
  seriesPrefix: string;
}

/** The key of a point's attributes within its metric: sorted, so that the order they were sent in does not matter. */
export function attributesKey(attributes: ParsedAttributes): string {
  return JSON.stringify(attributes.map((a) => [a.key, a.value.text]).sort());
}

/**
 * Rows of one resilience metric. A point that is wrong refuses itself (counted in `refused` with its field
 * path); a metric of the wrong kind refuses all its points. Cumulative monotonic Sums are turned into deltas.
 */
export function resilienceRows(
  metric: MetricEnvelope & { name: ResilienceMetricName },
  reporter: Reporter,
  base: string,
  refused: Refusals,
  cumulative: CumulativeContext,
  /** Called for every valid point, before temporality (a baseline is reported too). */
  accepted: (row: ResilienceRollupRow) => void = () => undefined,
): ResilienceRollupRow[] {
  const gauge = metric.name === ResilienceMetric.ejectedEndpoints;
  const points = (gauge ? metric.gauge?.dataPoints : metric.sum?.dataPoints) ?? [];
  // Every point the metric holds, whatever its kind: all are refused when the kind is wrong.
  const all =
    (metric.gauge?.dataPoints?.length ?? 0) +
    (metric.sum?.dataPoints?.length ?? 0) +
    (metric.histogram?.dataPoints?.length ?? 0);
  if (gauge && metric.gauge === undefined) {
    refused.add(all, [{ path: `${base}.gauge`, message: `${metric.name} must be a Gauge` }]);
    return [];
  }
  const sum = metric.sum;
  if (!gauge && sum === undefined) {
    refused.add(all, [{ path: `${base}.sum`, message: `${metric.name} must be a Sum` }]);
    return [];
  }
  const temporality = sum?.aggregationTemporality;
  if (
    sum !== undefined &&
    (!sum.isMonotonic ||
      (temporality !== AggregationTemporality.DELTA && temporality !== AggregationTemporality.CUMULATIVE))
  ) {
    refused.add(all, [
      {
        path: `${base}.sum.aggregationTemporality`,
        message: `${metric.name} must be a monotonic Sum with DELTA (1) or CUMULATIVE (2) aggregation temporality`,
      },
    ]);
    return [];
  }
  const pointsPath = gauge ? `${base}.gauge.dataPoints` : `${base}.sum.dataPoints`;
  const rows: ResilienceRollupRow[] = [];
  points.forEach((raw, di) => {
    const at = `${pointsPath}.${di}`;
    const parsed = numberDataPointSchema.safeParse(raw);
    if (!parsed.success) {
      refused.add(1, issuesFromZod(parsed.error, 20, at));
      return;
    }
    const dp = parsed.data;
    const issues: FieldIssue[] = [];
    const row = resilienceRow(metric.name, gauge, dp, reporter, at, issues);
    if (row === undefined || issues.length > 0) {
      refused.add(1, issues);
      return;
    }
    accepted(row);
    if (temporality === AggregationTemporality.CUMULATIVE) {
      const converted = cumulative.session.convert(
        `${cumulative.seriesPrefix}\u0000${metric.name}\u0000${attributesKey(dp.attributes)}`,
        {
          startNs: dp.startTimeUnixNano ?? 0n,
          timeNs: dp.timeUnixNano,
          values: [row.value],
          sum: 0,
        },
      );
      if (converted.kind !== 'delta') return;
      row.value = converted.values[0] as number;
      row.windowStartMs = converted.startNs / NANOS_PER_MS;
      if (row.value === 0) return;
    }
    rows.push(row);
  });
  return rows;
}

function resilienceRow(
  metric: ResilienceMetricName,
  gauge: boolean,
  dp: NumberDataPoint,
  reporter: Reporter,
  at: string,
  issues: FieldIssue[],
): ResilienceRollupRow | undefined {
  const value = countOf(dp, at, issues);
  if (value === undefined) return undefined;
  if (!gauge && dp.startTimeUnixNano === undefined) {
    issues.push({ path: `${at}.startTimeUnixNano`, message: 'a Sum point needs its start time' });
    return undefined;
  }
  const name = (key: string) =>
    boundedAttribute(dp.attributes, key, IngestLimits.maxNameLength, `${at}.attributes`, issues);
  const present = dp.attributes.some((a) => a.key === Attr.destinationService);
  const destService = name(Attr.destinationService);
  if (destService === undefined || destService === '') {
    // Too long: boundedAttribute recorded the issue.
    if (!present || destService === '')
      issues.push({ path: `${at}.attributes`, message: `"${Attr.destinationService}" is required` });
    return undefined;
  }
  const endMs = dp.timeUnixNano / NANOS_PER_MS;
  return {
    windowStartMs: gauge ? endMs : (dp.startTimeUnixNano ?? dp.timeUnixNano) / NANOS_PER_MS,
    windowEndMs: endMs,
    proxyId: reporter.proxyId,
    metric,
    sourceService: reporter.service,
    sourceNamespace: reporter.namespace,
    sourceVersion: reporter.version,
    destService,
    destNamespace: name(Attr.destinationNamespace) ?? 'default',
    reason: gauge ? '' : (name(Attr.reason) ?? ''),
    value,
  };
}

/** A count as stored: a whole number in 0..IngestLimits.maxCount sent as asInt. */
function countOf(dp: NumberDataPoint, at: string, issues: FieldIssue[]): number | undefined {
  const raw = dp.asInt;
  const value = raw === undefined ? undefined : Number(raw);
  if (value === undefined || !Number.isSafeInteger(value) || value < 0 || value > IngestLimits.maxCount) {
    issues.push({
      path: `${at}.asInt`,
      message: `must be an integer count from 0 to ${IngestLimits.maxCount} (asInt)`,
    });
    return undefined;
  }
  return value;
}

export const RESILIENCE_COLUMNS = 11;

export function insertResilienceRollups(rows: readonly ResilienceRollupRow[]): Prisma.Sql {
  const values = rows.map(
    (r) =>
      Prisma.sql`(${r.windowStartMs}, ${r.windowEndMs}, ${r.proxyId}, ${r.metric}, ${r.sourceService}, ${r.sourceNamespace}, ${r.sourceVersion}, ${r.destService}, ${r.destNamespace}, ${r.reason}, ${r.value})`,
  );
  // ResilienceRollup_dataPoint_key names one data point: one already stored (a retried batch) is skipped.
  return Prisma.sql`INSERT INTO "ResilienceRollup" ("windowStartMs", "windowEndMs", "proxyId", "metric", "sourceService", "sourceNamespace", "sourceVersion", "destService", "destNamespace", "reason", "value") VALUES ${Prisma.join(values)} ON CONFLICT DO NOTHING`;
}
