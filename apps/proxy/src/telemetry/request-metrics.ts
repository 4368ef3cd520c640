/**
 * Request count and latency per edge: (reporter, source, destination, status code, gRPC status). Each series keeps a
 * cumulative histogram for Prometheus and a pending one drained as an OTLP DELTA data point per flush.
 */
import { LATENCY_BOUNDS_MS, bucketIndex, type Reporter } from '@weft/schema';
import { formatIdentity, type WorkloadIdentity } from '../identity.ts';
import { LatencyHistogram } from './latency-histogram.ts';

export interface EdgeLabels {
  reporter: Reporter;
  source: WorkloadIdentity;
  destination: WorkloadIdentity;
  /** 0 when no response reached the client. */
  status: number;
  /** The grpc-status of a gRPC exchange; undefined for other exchanges. */
  grpcStatus?: number | undefined;
}

export interface RequestSeries {
  readonly labels: EdgeLabels;
  /** Since the process started. */
  readonly total: LatencyHistogram;
  /** Since the last `takeDelta`. */
  readonly pending: LatencyHistogram;
}

/** One flush window of one series. Times are epoch milliseconds. */
export interface DeltaPoint {
  labels: EdgeLabels;
  startMs: number;
  endMs: number;
  counts: number[];
  sum: number;
  count: number;
  /** Smallest and largest latency in the window (ms). */
  min: number;
  max: number;
}

export class RequestMetrics {
  readonly #series = new Map<string, RequestSeries>();
  #windowStartMs: number;

  constructor(startMs: number) {
    this.#windowStartMs = startMs;
  }

  record(
    reporter: Reporter,
    source: WorkloadIdentity,
    destination: WorkloadIdentity,
    status: number,
    latencyMs: number,
    grpcStatus?: number,
  ): void {
    const key = `${reporter} ${formatIdentity(source)} ${formatIdentity(destination)} ${status} ${grpcStatus ?? ''}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = {
        labels: { reporter, source, destination, status, grpcStatus },
        total: new LatencyHistogram(),
        pending: new LatencyHistogram(),
      };
      this.#series.set(key, series);
    }
    const ms = latencyMs < 0 ? 0 : latencyMs;
    const index = bucketIndex(ms, LATENCY_BOUNDS_MS);
    series.total.observeAt(index, ms);
    series.pending.observeAt(index, ms);
  }

  series(): IterableIterator<RequestSeries> {
    return this.#series.values();
  }

  /** Drains what was recorded since the previous call: one point per series that saw requests. */
  takeDelta(nowMs: number): DeltaPoint[] {
    const startMs = this.#windowStartMs;
    const endMs = Math.max(nowMs, startMs);
    this.#windowStartMs = endMs;
    const points: DeltaPoint[] = [];
    for (const { labels, pending } of this.#series.values()) {
      if (pending.count === 0) continue;
      points.push({
        labels,
        startMs,
        endMs,
        counts: pending.counts.slice(),
        sum: pending.sum,
        count: pending.count,
        min: pending.min,
        max: pending.max,
      });
      pending.reset();
    }
    return points;
  }
}
