import { describe, expect, it } from 'vitest';
import {
  LATENCY_BOUNDS_MS,
  addBuckets,
  bucketIndex,
  emptyBuckets,
  quantileFromBuckets,
} from './histogram.ts';

describe('latency histogram', () => {
  it('puts a latency in the first bucket whose bound it does not exceed', () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(0.5)).toBe(0);
    expect(bucketIndex(0.51)).toBe(1);
    expect(bucketIndex(10)).toBe(LATENCY_BOUNDS_MS.indexOf(10));
    expect(bucketIndex(1e9)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it('interpolates quantiles inside the bucket holding the rank', () => {
    const counts = emptyBuckets();
    counts[bucketIndex(4)] = 100; // (3, 5]
    expect(quantileFromBuckets(counts, 0.5)).toBeCloseTo(4);
    expect(quantileFromBuckets(counts, 0.99)).toBeCloseTo(4.98);
    expect(quantileFromBuckets(emptyBuckets(), 0.5)).toBeNull();
  });

  it('merges histograms by adding counts', () => {
    const a = emptyBuckets();
    const b = emptyBuckets();
    a[0] = 1;
    b[0] = 2;
    b[5] = 3;
    expect(addBuckets(a, b).slice(0, 6)).toEqual([3, 0, 0, 0, 0, 3]);
    expect(() => addBuckets(a, [1])).toThrow(/differ in length/);
  });
});
