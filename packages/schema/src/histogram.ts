/**
 * Latency histograms with fixed, explicit bucket bounds shared by every proxy and the API, so that
 * histograms from any number of proxies and time windows merge by adding counts (as OTLP explicit-bucket
 * histograms and Prometheus `le` buckets do).
 */

/**
 * Upper bounds (inclusive, milliseconds) of every bucket but the last, which is unbounded (+Inf). Every bound of
 * the OpenTelemetry SDKs' default explicit-bucket histograms (milliseconds, and `http.server.request.duration`'s
 * seconds) is one of these, so a standard histogram maps onto them without splitting a bucket.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 25, 30, 50, 75, 100, 150, 200, 250, 300, 500, 750, 1000, 1500, 2000, 2500,
  3000, 5000, 7500, 10000, 30000,
]);

/** Number of buckets: one per bound plus the +Inf bucket. */
export const LATENCY_BUCKET_COUNT = LATENCY_BOUNDS_MS.length + 1;

export function emptyBuckets(): number[] {
  return new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
}

/** Index of the bucket a latency falls in: the first bound it does not exceed. */
export function bucketIndex(latencyMs: number, bounds: readonly number[] = LATENCY_BOUNDS_MS): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (latencyMs <= (bounds[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Adds `from` into `into` (same bounds); returns `into`. */
export function addBuckets(into: number[], from: readonly number[]): number[] {
  if (into.length !== from.length) {
    throw new Error(`histogram bucket counts differ in length: ${into.length} vs ${from.length}`);
  }
  for (let i = 0; i < from.length; i++) into[i] = (into[i] as number) + (from[i] as number);
  return into;
}

/**
 * Estimates the q-quantile (0 < q < 1) from bucket counts, interpolating linearly inside the bucket that
 * holds the rank, like Prometheus' histogram_quantile. The +Inf bucket reports its lower bound (or the largest
 * value observed). An estimate is never above `maxObserved`: a bucket's upper bound is not a latency anyone saw.
 * Returns null when the histogram is empty.
 */
export function quantileFromBuckets(
  counts: readonly number[],
  q: number,
  bounds: readonly number[] = LATENCY_BOUNDS_MS,
  /** The largest value observed, when known: no estimate is reported above it. */
  maxObserved?: number | null,
): number | null {
  const max = maxObserved ?? null;
  const estimate = interpolatedQuantile(counts, q, bounds, max);
  return estimate === null || max === null ? estimate : Math.min(estimate, max);
}

function interpolatedQuantile(
  counts: readonly number[],
  q: number,
  bounds: readonly number[],
  max: number | null,
): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] as number;
    if (inBucket === 0) continue;
    if (seen + inBucket >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      // The +Inf bucket: between its lower bound and the largest value seen, when that is known.
      if (i >= bounds.length && (max === null || max <= lower)) return lower;
      const upper = i >= bounds.length ? (max as number) : (bounds[i] as number);
      const fraction = (rank - seen) / inBucket;
      return lower + (upper - lower) * fraction;
    }
    seen += inBucket;
  }
  return bounds.length > 0 ? (bounds[bounds.length - 1] as number) : null;
}
