/**
 * OTLP/HTTP JSON metrics ingest. Weft stores the delta latency histogram its proxies report per edge and
 * status code; other metrics are acknowledged as rejected data points (OTLP partial success).
 */
import {
  Attr,
  LATENCY_BOUNDS_MS,
  REQUEST_DURATION_METRIC,
  UNKNOWN_SERVICE,
  attributeString,
  exportMetricsServiceRequestSchema,
  type ParsedMetricsRequest,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { Prisma, type EdgeRollup } from '../generated/sqlite/client.ts';
import { InvalidInputError, parseOrThrow, type FieldIssue } from './validation.ts';

/** A row as stored: one delta histogram for one edge and status code over one proxy flush window. */
export type EdgeRollupRow = Omit<EdgeRollup, 'id'>;

export interface MetricsParseResult {
  rows: EdgeRollupRow[];
  rejectedDataPoints: number;
  rejectedReason: string | null;
}

const NANOS_PER_MS = 1_000_000n;

function sameBounds(bounds: readonly number[]): boolean {
  return bounds.length === LATENCY_BOUNDS_MS.length && bounds.every((b, i) => b === LATENCY_BOUNDS_MS[i]);
}

export function parseMetricsRequest(body: unknown): MetricsParseResult {
  const request: ParsedMetricsRequest = parseOrThrow(
    exportMetricsServiceRequestSchema,
    body,
    'OTLP ExportMetricsServiceRequest',
  );
  const rows: EdgeRollupRow[] = [];
  const issues: FieldIssue[] = [];
  let rejectedDataPoints = 0;
  const ignoredNames = new Set<string>();

  request.resourceMetrics.forEach((rm, ri) => {
    const proxyId =
      attributeString(rm.resource.attributes, Attr.serviceInstanceId) ??
      attributeString(rm.resource.attributes, Attr.serviceName) ??
      'unknown';
    rm.scopeMetrics.forEach((sm, si) => {
      sm.metrics.forEach((metric, mi) => {
        const base = `resourceMetrics.${ri}.scopeMetrics.${si}.metrics.${mi}`;
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
          const reporter = attr(Attr.reporter);
          if (reporter !== 'inbound' && reporter !== 'outbound') {
            issues.push({
              path: `${at}.attributes`,
              message: `"${Attr.reporter}" must be "inbound" or "outbound"`,
            });
            return;
          }
          const destService = attr(Attr.destinationService);
          if (!destService) {
            issues.push({ path: `${at}.attributes`, message: `"${Attr.destinationService}" is required` });
            return;
          }
          const status = attr(Attr.httpStatus);
          if (status === undefined || !/^\d{1,3}$/.test(status)) {
            issues.push({
              path: `${at}.attributes`,
              message: `"${Attr.httpStatus}" must be an integer status code (0 when no response)`,
            });
            return;
          }
          rows.push({
            windowStartMs: dp.startTimeUnixNano / NANOS_PER_MS,
            windowEndMs: dp.timeUnixNano / NANOS_PER_MS,
            reporter,
            proxyId,
            sourceService: attr(Attr.sourceService) ?? UNKNOWN_SERVICE,
            sourceNamespace: attr(Attr.sourceNamespace) ?? '',
            sourceVersion: attr(Attr.sourceVersion) ?? '',
            destService,
            destNamespace: attr(Attr.destinationNamespace) ?? 'default',
            destVersion: attr(Attr.destinationVersion) ?? '',
            statusCode: Number(status),
            count: dp.count,
            sumMs: dp.sum ?? 0,
            buckets: JSON.stringify(dp.bucketCounts),
          });
        });
      });
    });
  });

  if (issues.length > 0)
    throw new InvalidInputError('invalid OTLP ExportMetricsServiceRequest', issues.slice(0, 20));
  return {
    rows,
    rejectedDataPoints,
    rejectedReason:
      ignoredNames.size > 0
        ? `only ${REQUEST_DURATION_METRIC} histograms are stored; ignored: ${[...ignoredNames].join(', ')}`
        : null,
  };
}

/**
 * Stores rollups in one transaction. A proxy reports each flush window once; a window already stored for
 * that proxy is a retried batch and is skipped, so retries never double-count.
 */
export async function storeRollups(
  db: Db,
  rows: EdgeRollupRow[],
): Promise<{ stored: number; duplicates: number }> {
  if (rows.length === 0) return { stored: 0, duplicates: 0 };
  const windowKey = (w: { proxyId: string; windowStartMs: bigint; windowEndMs: bigint }) =>
    `${w.proxyId}|${w.windowStartMs}|${w.windowEndMs}`;
  const windows = new Map<string, EdgeRollupRow>();
  for (const r of rows) windows.set(windowKey(r), r);
  // Raw SQL: this runs for every proxy flush, and the ORM's per-call query compilation was most of its cost.
  return db.$transaction(async (tx) => {
    const matches = [...windows.values()].map(
      (w) =>
        Prisma.sql`("proxyId" = ${w.proxyId} AND "windowStartMs" = ${w.windowStartMs} AND "windowEndMs" = ${w.windowEndMs})`,
    );
    const stored = await tx.$queryRaw<{ proxyId: string; windowStartMs: bigint; windowEndMs: bigint }[]>(
      Prisma.sql`SELECT DISTINCT "proxyId", "windowStartMs", "windowEndMs" FROM "EdgeRollup" WHERE ${Prisma.join(matches, ' OR ')}`,
    );
    const seen = new Set(
      stored.map((w) =>
        windowKey({ ...w, windowStartMs: BigInt(w.windowStartMs), windowEndMs: BigInt(w.windowEndMs) }),
      ),
    );
    const fresh = rows.filter((r) => !seen.has(windowKey(r)));
    for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
      const values = fresh
        .slice(i, i + INSERT_CHUNK)
        .map(
          (r) =>
            Prisma.sql`(${r.windowStartMs}, ${r.windowEndMs}, ${r.reporter}, ${r.proxyId}, ${r.sourceService}, ${r.sourceNamespace}, ${r.sourceVersion}, ${r.destService}, ${r.destNamespace}, ${r.destVersion}, ${r.statusCode}, ${r.count}, ${r.sumMs}, ${r.buckets})`,
        );
      await tx.$executeRaw(
        Prisma.sql`INSERT INTO "EdgeRollup" ("windowStartMs", "windowEndMs", "reporter", "proxyId", "sourceService", "sourceNamespace", "sourceVersion", "destService", "destNamespace", "destVersion", "statusCode", "count", "sumMs", "buckets") VALUES ${Prisma.join(values)}`,
      );
    }
    return { stored: fresh.length, duplicates: rows.length - fresh.length };
  });
}

/** Rows per INSERT statement (14 parameters each). */
const INSERT_CHUNK = 500;
