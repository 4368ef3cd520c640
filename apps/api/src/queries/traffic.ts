/**
 * Aggregation of stored edge rollups into golden signals. Histograms from any proxies and windows merge by
 * adding bucket counts, so percentiles stay correct across instances.
 */
import {
  addBuckets,
  emptyBuckets,
  isFailedRequest,
  quantileFromBuckets,
  type TimeWindow,
  type TrafficStats,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { EdgeRollup } from '../generated/sqlite/client.ts';

export type RollupRow = Omit<EdgeRollup, 'id' | 'proxyId'>;

export class TrafficAccumulator {
  requests = 0;
  errors = 0;
  /** Answered 429 / 503: what rate limits and load shedding refused. */
  rateLimited = 0;
  unavailable = 0;
  sumMs = 0;
  readonly buckets = emptyBuckets();
  firstMs = Number.POSITIVE_INFINITY;
  lastMs = Number.NEGATIVE_INFINITY;

  add(row: RollupRow): void {
    this.requests += row.count;
    // The one failure rule: no response, 5xx, or a gRPC status other than OK.
    if (isFailedRequest(row.statusCode, row.grpcStatus)) this.errors += row.count;
    if (row.statusCode === 429) this.rateLimited += row.count;
    else if (row.statusCode === 503) this.unavailable += row.count;
    this.sumMs += row.sumMs;
    addBuckets(this.buckets, JSON.parse(row.buckets) as number[]);
    this.firstMs = Math.min(this.firstMs, Number(row.windowStartMs));
    this.lastMs = Math.max(this.lastMs, Number(row.windowEndMs));
  }

  merge(other: TrafficAccumulator): void {
    this.requests += other.requests;
    this.errors += other.errors;
    this.rateLimited += other.rateLimited;
    this.unavailable += other.unavailable;
    this.sumMs += other.sumMs;
    addBuckets(this.buckets, other.buckets);
    this.firstMs = Math.min(this.firstMs, other.firstMs);
    this.lastMs = Math.max(this.lastMs, other.lastMs);
  }

  /** `seconds` is the span the rate is computed over. */
  stats(seconds: number): TrafficStats {
    const idle = this.requests === 0;
    const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
    return {
      requests: this.requests,
      errors: this.errors,
      rps: seconds > 0 ? Math.round((this.requests / seconds) * 1000) / 1000 : 0,
      successRate: idle ? null : (this.requests - this.errors) / this.requests,
      p50: round(quantileFromBuckets(this.buckets, 0.5)),
      p95: round(quantileFromBuckets(this.buckets, 0.95)),
      p99: round(quantileFromBuckets(this.buckets, 0.99)),
    };
  }
}

/**
 * Seconds that rates are averaged over: the window, shortened to the span actually covered by data when
 * telemetry started (or stopped) inside it, so a mesh that started a minute ago does not show a fifth of
 * its rate in a 5-minute window.
 */
export function rateSeconds(
  window: TimeWindow,
  observed: { firstMs: number; lastMs: number },
  nowMs: number,
): number {
  const end = Math.min(window.toMs, nowMs);
  if (!Number.isFinite(observed.firstMs)) return Math.max(0, (end - window.fromMs) / 1000);
  const start = Math.max(window.fromMs, observed.firstMs);
  const stop = Math.min(end, Math.max(observed.lastMs, start + 1000));
  return Math.max(1, (stop - start) / 1000);
}

const rollupSelect = {
  windowStartMs: true,
  windowEndMs: true,
  reporter: true,
  sourceService: true,
  sourceNamespace: true,
  sourceVersion: true,
  destService: true,
  destNamespace: true,
  destVersion: true,
  statusCode: true,
  grpcStatus: true,
  count: true,
  sumMs: true,
  buckets: true,
} as const;

export interface RollupFilter {
  reporter?: string;
  destNamespace?: string;
  destService?: string;
  sourceNamespace?: string;
  sourceService?: string;
  destVersion?: string;
  sourceVersion?: string;
}

/** Rows read per query: memory stays bounded however many rollups a window holds. */
export const ROLLUP_PAGE_ROWS = 5000;

/**
 * Hands the rollups that start inside `window` to `onPage`, a page at a time (keyset pagination on
 * windowStartMs, id), so that aggregating a long window never holds all of its rows at once.
 */
export async function forEachRollupPage(
  db: Db,
  window: TimeWindow,
  filter: RollupFilter,
  onPage: (rows: RollupRow[]) => void,
): Promise<void> {
  let after: { windowStartMs: bigint; id: number } | undefined;
  for (;;) {
    const page = await db.edgeRollup.findMany({
      where: {
        windowStartMs: { gte: BigInt(window.fromMs), lt: BigInt(window.toMs) },
        ...filter,
        ...(after
          ? {
              OR: [
                { windowStartMs: { gt: after.windowStartMs } },
                { windowStartMs: after.windowStartMs, id: { gt: after.id } },
              ],
            }
          : {}),
      },
      select: { ...rollupSelect, id: true },
      orderBy: [{ windowStartMs: 'asc' }, { id: 'asc' }],
      take: ROLLUP_PAGE_ROWS,
    });
    onPage(page);
    const last = page.at(-1);
    if (!last || page.length < ROLLUP_PAGE_ROWS) return;
    after = { windowStartMs: last.windowStartMs, id: last.id };
  }
}

export function serviceId(namespace: string, service: string): string {
  return namespace ? `${namespace}/${service}` : service;
}
