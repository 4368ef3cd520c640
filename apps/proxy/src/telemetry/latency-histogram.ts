/**
 * Bucket counts over the mesh-wide LATENCY_BOUNDS_MS, plus sum, count, min and max (milliseconds): the API caps
 * percentiles at the max, so a bucket's upper bound is never reported as a latency nobody saw.
 */
import { LATENCY_BOUNDS_MS, bucketIndex, emptyBuckets } from '@weft/schema';

export class LatencyHistogram {
  readonly counts: number[] = emptyBuckets();
  sum = 0;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  observe(latencyMs: number): void {
    this.observeAt(bucketIndex(latencyMs, LATENCY_BOUNDS_MS), latencyMs);
  }

  /** For callers that feed several histograms with one lookup. */
  observeAt(index: number, latencyMs: number): void {
    this.counts[index] = (this.counts[index] as number) + 1;
    this.sum += latencyMs;
    this.count++;
    if (latencyMs < this.min) this.min = latencyMs;
    if (latencyMs > this.max) this.max = latencyMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }
}
