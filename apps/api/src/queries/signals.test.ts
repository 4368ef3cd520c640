import { bucketIndex, emptyBuckets, QueryLimits } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { chooseStep } from './signals.ts';
import { TrafficAccumulator, type RollupRow } from './traffic.ts';

const DAY = 24 * 3600 * 1000;

describe('chooseStep', () => {
  it('aims at about 120 points on a step the rollup resolutions divide, never finer than 10 s', () => {
    expect(chooseStep({ fromMs: 0, toMs: 5 * 60_000 })).toBe(10_000);
    expect(chooseStep({ fromMs: 0, toMs: 3600_000 })).toBe(30_000);
    expect(chooseStep({ fromMs: 0, toMs: 90 * DAY })).toBe(18 * 3600_000);
  });

  it('uses a requested step unless it would give more points than a series may hold', () => {
    expect(chooseStep({ fromMs: 0, toMs: 7 * DAY }, 3600_000)).toBe(3600_000);
    expect(chooseStep({ fromMs: 0, toMs: 7 * DAY }, 1000)).toBe(840_000);
    expect(chooseStep({ fromMs: 0, toMs: 6 * 3600_000 })).toBe(180_000);
    for (const span of [1, 60_000, DAY, 7 * DAY + 1, 90 * DAY]) {
      for (const requested of [undefined, 1000, 10_000, 60_000]) {
        const step = chooseStep({ fromMs: 1_764_000_000_123, toMs: 1_764_000_000_123 + span }, requested);
        expect(Math.ceil(span / step)).toBeLessThanOrEqual(QueryLimits.maxPointsPerSeries);
      }
    }
  });
});

describe('TrafficAccumulator', () => {
  const row = (count: number, latencyMs: number, maxMs: number): RollupRow => {
    const buckets = emptyBuckets();
    buckets[bucketIndex(latencyMs)] = count;
    return {
      reporter: 'inbound',
      sourceService: 'catalog',
      sourceNamespace: 'shop',
      sourceVersion: 'v1',
      destService: 'pricing',
      destNamespace: 'shop',
      destVersion: 'v1',
      count,
      failed: 0,
      rateLimited: 0,
      unavailable: 0,
      sumMs: count * latencyMs,
      maxMs,
      firstMs: 0,
      lastMs: 5000,
      buckets,
    };
  };

  it('never reports a percentile above the largest latency observed', () => {
    // Every request took 600-650 ms: the (500, 750] bucket would interpolate p99 to ~747 ms.
    const acc = new TrafficAccumulator();
    acc.add(row(100, 620, 650));
    const stats = acc.stats(10);
    expect(stats.p99).toBeLessThanOrEqual(650);
    expect(stats.p50).toBeGreaterThan(500);
  });

  it('keeps the largest max when merging', () => {
    const a = new TrafficAccumulator();
    a.add(row(10, 40, 45));
    const b = new TrafficAccumulator();
    b.add(row(1, 2600, 2710));
    a.merge(b);
    expect(a.maxMs).toBe(2710);
    expect(a.quantile(0.999)).toBeLessThanOrEqual(2710);
  });
});
