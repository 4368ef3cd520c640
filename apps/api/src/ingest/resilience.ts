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
  type NumberDataPoint,
  type ParsedMetricsRequest,
  type ResilienceMetricName,
} from '@weft/schema';
import { Prisma, type ResilienceRollup } from '../generated/sqlite/client.ts';
import { boundedAttribute, type FieldIssue } from './validation.ts';

/** A row as stored: one counter of one destination service (and reason) over one flush window, or a gauge. */
export type ResilienceRollupRow = Omit<ResilienceRollup, 'id'>;

type Metric = ParsedMetricsRequest['resourceMetrics'][number]['scopeMetrics'][number]['metrics'][number];
type Attributes = ParsedMetricsRequest['resourceMetrics'][number]['resource']['attributes'];

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
  resource: Attributes,
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

/**
 * Rows of one resilience metric; what is wrong goes to `issues` with its field path (the whole request is
 * then refused, nothing stored).
 */
export function resilienceRows(
  metric: Metric & { name: ResilienceMetricName },
  reporter: Reporter,
  base: string,
  issues: FieldIssue[],
): ResilienceRollupRow[] {
  const gauge = metric.name === ResilienceMetric.ejectedEndpoints;
  let points: readonly NumberDataPoint[];
  let pointsPath: string;
  if (gauge) {
    if (metric.gauge === undefined) {
      issues.push({ path: `${base}.gauge`, message: `${metric.name} must be a Gauge` });
      return [];
    }
    points = metric.gauge.dataPoints;
    pointsPath = `${base}.gauge.dataPoints`;
  } else {
    const sum = metric.sum;
    if (sum === undefined) {
      issues.push({ path: `${base}.sum`, message: `${metric.name} must be a Sum` });
      return [];
    }
    if (sum.aggregationTemporality !== AggregationTemporality.DELTA || !sum.isMonotonic) {
      issues.push({
        path: `${base}.sum.aggregationTemporality`,
        message: `${metric.name} must be a monotonic Sum with DELTA (1) aggregation temporality`,
      });
      return [];
    }
    points = sum.dataPoints;
    pointsPath = `${base}.sum.dataPoints`;
  }
  const rows: ResilienceRollupRow[] = [];
  points.forEach((dp, di) => {
    const at = `${pointsPath}.${di}`;
    const value = countOf(dp, at, issues);
    if (value === undefined) return;
    if (!gauge && dp.startTimeUnixNano === undefined) {
      issues.push({ path: `${at}.startTimeUnixNano`, message: 'a delta Sum point needs its window start' });
      return;
    }
    const name = (key: string) =>
      boundedAttribute(dp.attributes, key, IngestLimits.maxNameLength, `${at}.attributes`, issues);
    const present = dp.attributes.some((a) => a.key === Attr.destinationService);
    const destService = name(Attr.destinationService);
    if (destService === undefined || destService === '') {
      // Too long: boundedAttribute recorded the issue.
      if (!present || destService === '')
        issues.push({ path: `${at}.attributes`, message: `"${Attr.destinationService}" is required` });
      return;
    }
    const endMs = dp.timeUnixNano / NANOS_PER_MS;
    rows.push({
      windowStartMs: gauge ? endMs : (dp.startTimeUnixNano ?? dp.timeUnixNano) / NANOS_PER_MS,
      windowEndMs: endMs,
      proxyId: reporter.proxyId,
      metric: metric.name,
      sourceService: reporter.service,
      sourceNamespace: reporter.namespace,
      sourceVersion: reporter.version,
      destService,
      destNamespace: name(Attr.destinationNamespace) ?? 'default',
      reason: gauge ? '' : (name(Attr.reason) ?? ''),
      value,
    });
  });
  return rows;
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
