/**
 * Cumulative → delta for monotonic OTLP series (histograms, and the monotonic Sums we store), per series: the key
 * is resource + scope + metric + point attributes. It behaves like the OpenTelemetry Collector's
 * `cumulativetodelta` processor with `initial_value: auto`:
 *
 * - The first point of a series this API process sees is counted whole when the series started after the API
 *   did (its start time is known and not earlier than the API's start: nothing of it can have been counted by
 *   an earlier run); otherwise it is only the baseline the next point is compared with.
 * - Later points count the difference from the previous one, over (previous time, time].
 * - A restart — the start time changed, or the count, sum or a bucket went down, or the bucket layout changed —
 *   starts a new baseline. When the new series started after the previous point was taken (as a restarted SDK's
 *   does), everything in it is new and it is counted whole; otherwise it is only the baseline.
 * - A point not newer than the previous one (a retried or reordered export) counts nothing.
 *
 * State lives in memory, bounded by OtlpLimits.maxCumulativeSeries (the least recently updated series are
 * forgotten; their next point is a first point again). Conversions are staged per request and committed once
 * the request's data is stored, so a request that fails and is retried computes the same deltas again.
 */
import { OtlpLimits } from '@weft/schema';

/** A cumulative point: running totals (e.g. [count, ...bucketCounts], or [value]) and the running sum. */
export interface CumulativePoint {
  startNs: bigint;
  timeNs: bigint;
  values: readonly number[];
  sum: number;
}

export type Conversion =
  | { kind: 'delta'; startNs: bigint; timeNs: bigint; values: number[]; sum: number }
  /** Remembered as the baseline; nothing to count yet. */
  | { kind: 'baseline' }
  /** Not newer than the last point of its series: nothing to count. */
  | { kind: 'stale' };

function wentDown(p: CumulativePoint, prev: CumulativePoint): boolean {
  if (p.sum < prev.sum) return true;
  return p.values.some((v, i) => v < (prev.values[i] as number));
}

function whole(p: CumulativePoint): Conversion {
  return { kind: 'delta', startNs: p.startNs, timeNs: p.timeNs, values: [...p.values], sum: p.sum };
}

/** One request's conversions; `commit` makes them the baseline of later requests. */
export interface ConversionSession {
  convert(seriesKey: string, point: CumulativePoint): Conversion;
  commit(): void;
}

export class CumulativeToDelta {
  private readonly series = new Map<string, CumulativePoint>();

  constructor(
    /** When this API process started (unix ns): the reference for a series' first point. */
    private readonly startedAtNs: bigint,
    private readonly maxSeries: number = OtlpLimits.maxCumulativeSeries,
  ) {}

  get size(): number {
    return this.series.size;
  }

  session(): ConversionSession {
    const staged = new Map<string, CumulativePoint>();
    return {
      convert: (key, point) => {
        const prev = staged.get(key) ?? this.series.get(key);
        const result = this.step(prev, point);
        if (result.kind !== 'stale') staged.set(key, point);
        return result;
      },
      commit: () => {
        for (const [key, point] of staged) this.remember(key, point);
      },
    };
  }

  private step(prev: CumulativePoint | undefined, p: CumulativePoint): Conversion {
    if (prev === undefined) {
      return p.startNs > 0n && p.startNs >= this.startedAtNs ? whole(p) : { kind: 'baseline' };
    }
    if (p.timeNs <= prev.timeNs) return { kind: 'stale' };
    const restarted =
      p.startNs !== prev.startNs || p.values.length !== prev.values.length || wentDown(p, prev);
    if (restarted) {
      return p.startNs > 0n && p.startNs >= prev.timeNs ? whole(p) : { kind: 'baseline' };
    }
    return {
      kind: 'delta',
      startNs: prev.timeNs,
      timeNs: p.timeNs,
      values: p.values.map((v, i) => v - (prev.values[i] as number)),
      sum: p.sum - prev.sum,
    };
  }

  private remember(key: string, point: CumulativePoint): void {
    const current = this.series.get(key);
    // A concurrent request may have committed a newer point of the series meanwhile: keep the newest.
    if (current !== undefined && current.timeNs > point.timeNs) return;
    this.series.delete(key);
    this.series.set(key, point);
    if (this.series.size > this.maxSeries) {
      const oldest = this.series.keys().next().value as string;
      this.series.delete(oldest);
    }
  }
}
