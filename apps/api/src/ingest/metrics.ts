/**
 * OTLP/HTTP JSON metrics ingest. Weft stores the delta latency histogram its proxies report per edge, status
 * code and gRPC status, and their resilience counters (resilience.ts); other metrics are acknowledged as
 * rejected data points (OTLP partial success).
 */
import {
  Attr,
  IngestLimits,
  LATENCY_BOUNDS_MS,
  NO_GRPC_STATUS,
  REQUEST_DURATION_METRIC,
  ResilienceMetric,
  UNKNOWN_SERVICE,
  attributeString,
  exportMetricsServiceRequestSchema,
  type ParsedMetricsRequest,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { Prisma, type EdgeRollup } from '../generated/sqlite/client.ts';
import {
  RESILIENCE_COLUMNS,
  insertResilienceRollups,
  isResilienceMetric,
  reporterOf,
  resilienceRows,
  type ResilienceRollupRow,
} from './resilience.ts';
import { chunked, insertInOneTransaction, rowsPerStatement } from './store.ts';
import { InvalidInputError, boundedAttribute, parseOrThrow, type FieldIssue } from './validation.ts';

/** A row as stored: one delta histogram for one edge and status code over one proxy flush window. */
export type EdgeRollupRow = Omit<EdgeRollup, 'id'>;

export interface MetricsParseResult {
  rows: EdgeRollupRow[];
  /** Retries, outlier ejections and ejected endpoints the outbound proxies counted. */
  resilience: ResilienceRollupRow[];
  rejectedDataPoints: number;
  rejectedReason: string | null;
}

const NANOS_PER_MS = 1_000_000n;
const MAX_ISSUES = 20;

function sameBounds(bounds: readonly number[]): boolean {
  return bounds.length === LATENCY_BOUNDS_MS.length && bounds.every((b, i) => b === LATENCY_BOUNDS_MS[i]);
}

type Resource = ParsedMetricsRequest['resourceMetrics'][number]['resource'];

/** The reporting proxy: service.instance.id, else service.name. */
function proxyIdOf(resource: Resource, at: string, issues: FieldIssue[]): string {
  const key = attributeString(resource.attributes, Attr.serviceInstanceId)
    ? Attr.serviceInstanceId
    : Attr.serviceName;
  const proxyId = boundedAttribute(
    resource.attributes,
    key,
    IngestLimits.maxProxyIdLength,
    `${at}.resource.attributes`,
    issues,
  );
  return proxyId ?? 'unknown';
}

/** The names of ignored metrics for the partial-success message; the first few only. */
function describeIgnored(names: string[]): string {
  const shown = names.slice(0, 10).join(', ');
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : shown;
}

export function parseMetricsRequest(body: unknown): MetricsParseResult {
  const request: ParsedMetricsRequest = parseOrThrow(
    exportMetricsServiceRequestSchema,
    body,
    'OTLP ExportMetricsServiceRequest',
  );
  const rows: EdgeRollupRow[] = [];
  const resilience: ResilienceRollupRow[] = [];
  const issues: FieldIssue[] = [];
  let rejectedDataPoints = 0;
  const ignoredNames = new Set<string>();

  request.resourceMetrics.forEach((rm, ri) => {
    const proxyId = proxyIdOf(rm.resource, `resourceMetrics.${ri}`, issues);
    let reporter: ReturnType<typeof reporterOf> | undefined;
    rm.scopeMetrics.forEach((sm, si) => {
      sm.metrics.forEach((metric, mi) => {
        const base = `resourceMetrics.${ri}.scopeMetrics.${si}.metrics.${mi}`;
        const { name } = metric;
        if (isResilienceMetric(name)) {
          reporter ??= reporterOf(proxyId, rm.resource.attributes, `resourceMetrics.${ri}`, issues);
          resilience.push(...resilienceRows({ ...metric, name }, reporter, base, issues));
          return;
        }
        if (metric.name !== REQUEST_DURATION_METRIC || !metric.histogram) {
          ignoredNames.add(metric.name);
          rejectedDataPoints += metric.histogram?.dataPoints.length ?? 1;
          return;
        }
        if (metric.unit !== 'ms') {
          issues.push({ path: `${base}.unit`, message: `${REQUEST_DURATION_METRIC} must be in "ms"` });
          return;
        }
        metric.histogram.dataPoints.forEach((dp, di) => {
          const at = `${base}.histogram.dataPoints.${di}`;
          if (!sameBounds(dp.explicitBounds)) {
            issues.push({
              path: `${at}.explicitBounds`,
              message: `must be Weft's latency bounds [${LATENCY_BOUNDS_MS.join(', ')}]`,
            });
            return;
          }
          const attr = (key: string) => attributeString(dp.attributes, key);
          const name = (key: string) =>
            boundedAttribute(dp.attributes, key, IngestLimits.maxNameLength, `${at}.attributes`, issues);
          const reporter = attr(Attr.reporter);
          if (reporter !== 'inbound' && reporter !== 'outbound') {
            issues.push({
              path: `${at}.attributes`,
              message: `"${Attr.reporter}" must be "inbound" or "outbound"`,
            });
            return;
          }
          if (!attr(Attr.destinationService)) {
            issues.push({ path: `${at}.attributes`, message: `"${Attr.destinationService}" is required` });
            return;
          }
          const destService = name(Attr.destinationService);
          if (destService === undefined) return; // too long: the issue is recorded
          const status = attr(Attr.httpStatus);
          if (status === undefined || !/^\d{1,3}$/.test(status)) {
            issues.push({
              path: `${at}.attributes`,
              message: `"${Attr.httpStatus}" must be an integer status code (0 when no response)`,
            });
            return;
          }
          const grpcStatus = attr(Attr.grpcStatus);
          if (grpcStatus !== undefined && !/^\d{1,2}$/.test(grpcStatus)) {
            issues.push({
              path: `${at}.attributes`,
              message: `"${Attr.grpcStatus}" must be a gRPC status code (0 to 99) when present`,
            });
            return;
          }
          rows.push({
            windowStartMs: dp.startTimeUnixNano / NANOS_PER_MS,
            windowEndMs: dp.timeUnixNano / NANOS_PER_MS,
            reporter,
            proxyId,
            sourceService: name(Attr.sourceService) ?? UNKNOWN_SERVICE,
            sourceNamespace: name(Attr.sourceNamespace) ?? '',
            sourceVersion: name(Attr.sourceVersion) ?? '',
            destService,
            destNamespace: name(Attr.destinationNamespace) ?? 'default',
            destVersion: name(Attr.destinationVersion) ?? '',
            statusCode: Number(status),
            grpcStatus: grpcStatus === undefined ? NO_GRPC_STATUS : Number(grpcStatus),
            count: dp.count,
            sumMs: dp.sum ?? 0,
            buckets: JSON.stringify(dp.bucketCounts),
          });
        });
      });
    });
  });

  if (issues.length > 0)
    throw new InvalidInputError('invalid OTLP ExportMetricsServiceRequest', issues.slice(0, MAX_ISSUES));
  return {
    rows,
    resilience,
    rejectedDataPoints,
    rejectedReason:
      ignoredNames.size > 0
        ? `only ${REQUEST_DURATION_METRIC} histograms and ${Object.values(ResilienceMetric).join(', ')} are stored; ignored: ${describeIgnored([...ignoredNames])}`
        : null,
  };
}

const ROLLUP_COLUMNS = 15;

function insertRollups(rows: readonly EdgeRollupRow[]): Prisma.Sql {
  const values = rows.map(
    (r) =>
      Prisma.sql`(${r.windowStartMs}, ${r.windowEndMs}, ${r.reporter}, ${r.proxyId}, ${r.sourceService}, ${r.sourceNamespace}, ${r.sourceVersion}, ${r.destService}, ${r.destNamespace}, ${r.destVersion}, ${r.statusCode}, ${r.grpcStatus}, ${r.count}, ${r.sumMs}, ${r.buckets})`,
  );
  // The unique key EdgeRollup_dataPoint_key names one data point (proxy, window, edge, status codes): one already
  // stored, by a retried batch or earlier in this one, is skipped. Same syntax in SQLite and PostgreSQL.
  return Prisma.sql`INSERT INTO "EdgeRollup" ("windowStartMs", "windowEndMs", "reporter", "proxyId", "sourceService", "sourceNamespace", "sourceVersion", "destService", "destNamespace", "destVersion", "statusCode", "grpcStatus", "count", "sumMs", "buckets") VALUES ${Prisma.join(values)} ON CONFLICT DO NOTHING`;
}

/**
 * Stores rollups and resilience counters in one transaction, idempotently per data point: a retried batch is
 * stored once, a window split over several export requests is stored whole, and a data point repeated within
 * a batch counts once. Raw SQL: this runs for every proxy flush, and the ORM's per-call query compilation was
 * most of its cost.
 */
export async function storeRollups(
  db: Db,
  rows: EdgeRollupRow[],
  resilience: ResilienceRollupRow[] = [],
): Promise<{ stored: number; duplicates: number }> {
  const [rollups = 0, counters = 0] = await insertInOneTransaction(
    db,
    [
      chunked(rows, rowsPerStatement(ROLLUP_COLUMNS), insertRollups),
      chunked(resilience, rowsPerStatement(RESILIENCE_COLUMNS), insertResilienceRollups),
    ],
    'metrics batch',
  );
  const stored = rollups + counters;
  return { stored, duplicates: rows.length + resilience.length - stored };
}
