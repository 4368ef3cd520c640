/**
 * Aggregation of rollups into golden signals. Histograms from any proxies and windows merge by adding bucket
 * counts, so percentiles stay correct across instances; the largest latency observed caps every percentile.
 */
import {
  addBuckets,
  emptyBuckets,
  quantileFromBuckets,
  type TimeWindow,
  type TrafficStats,
} from '@weft/schema';

/** One series' requests summed over a time range (rollup-reader.ts), or over one step of a series. */
export interface RollupRow {
  reporter: string;
  sourceNamespace: string;
  sourceService: string;
  sourceVersion: string;
  destNamespace: string;
  destService: string;
  destVersion: string;
  /** Start of the step, when read per step. */
  t?: number;
  count: number;
  /** Failed per isFailedRequest (no response, 5xx, gRPC status other than OK). */
  failed: number;
  rateLimited: number;
  unavailable: number;
  sumMs: number;
  maxMs: number;
  /** The time the data covers: earliest flush-window start, latest flush-window end. */
  firstMs: number;
  lastMs: number;
  buckets: number[];
}

export class TrafficAccumulator {
  requests = 0;
  errors = 0;
  /** Answered 429 / 503: what rate limits and load shedding refused. */
  rateLimited = 0;
  unavailable = 0;
  sumMs = 0;
  maxMs = 0;
  readonly buckets = emptyBuckets();
  firstMs = Number.POSITIVE_INFINITY;
  lastMs = Number.NEGATIVE_INFINITY;

  add(row: RollupRow): void {
    this.requests += row.count;
    this.errors += row.failed;
    this.rateLimited += row.rateLimited;
    this.unavailable += row.unavailable;
    this.sumMs += row.sumMs;
    this.maxMs = Math.max(this.maxMs, row.maxMs);
    addBuckets(this.buckets, row.buckets);
    this.firstMs = Math.min(this.firstMs, row.firstMs);
    this.lastMs = Math.max(this.lastMs, row.lastMs);
  }

  merge(other: TrafficAccumulator): void {
    this.requests += other.requests;
    this.errors += other.errors;
    this.rateLimited += other.rateLimited;
    this.unavailable += other.unavailable;
    this.sumMs += other.sumMs;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
    addBuckets(this.buckets, other.buckets);
    this.firstMs = Math.min(this.firstMs, other.firstMs);
    this.lastMs = Math.max(this.lastMs, other.lastMs);
  }

  /** Never above the largest latency observed: a bucket's upper bound is not a latency anyone saw. */
  quantile(q: number): number | null {
    return quantileFromBuckets(this.buckets, q, undefined, this.requests > 0 ? this.maxMs : null);
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
      p50: round(this.quantile(0.5)),
      p95: round(this.quantile(0.95)),
      p99: round(this.quantile(0.99)),
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

export function serviceId(namespace: string, service: string): string {
  return namespace ? `${namespace}/${service}` : service;
}
