import { describe, expect, it } from 'vitest';
import { BucketMap } from './bucket-map.ts';
import { TokenBucket } from './token-bucket.ts';

const takeAll = (bucket: TokenBucket, now: number): number => {
  let n = 0;
  while (bucket.tryTake(now)) n++;
  return n;
};

describe('TokenBucket', () => {
  it('lets exactly requests + burst through a burst, never one more', () => {
    const bucket = new TokenBucket({ requests: 10, intervalMs: 1000, burst: 5 }, 0);
    expect(takeAll(bucket, 0)).toBe(15);
    expect(bucket.tryTake(0)).toBe(false);
  });

  it('refills continuously at requests per interval, one token at a time', () => {
    const bucket = new TokenBucket({ requests: 100, intervalMs: 1000, burst: 0 }, 0);
    expect(takeAll(bucket, 0)).toBe(100);
    expect(bucket.tryTake(9)).toBe(false); // one token takes 10 ms
    expect(bucket.tryTake(10)).toBe(true);
    expect(bucket.tryTake(10)).toBe(false);
    expect(takeAll(bucket, 510)).toBe(50); // half an interval: half the requests
  });

  it('never holds more than requests + burst, however long it was idle', () => {
    const bucket = new TokenBucket({ requests: 3, intervalMs: 1000, burst: 2 }, 0);
    expect(takeAll(bucket, 0)).toBe(5);
    expect(takeAll(bucket, 3_600_000)).toBe(5);
  });

  it('over a long run passes rate × time + burst, exactly', () => {
    const bucket = new TokenBucket({ requests: 7, intervalMs: 1000, burst: 3 }, 0);
    let passed = 0;
    for (let t = 0; t <= 10_000; t += 1) if (bucket.tryTake(t)) passed++;
    expect(passed).toBe(7 * 10 + 7 + 3);
  });

  it('says how long until the next token (what Retry-After rounds up)', () => {
    const bucket = new TokenBucket({ requests: 1, intervalMs: 60_000, burst: 0 }, 0);
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.available(15_000)).toBe(0);
    expect(bucket.msUntilToken()).toBe(45_000);
    expect(bucket.available(60_000)).toBe(1);
    expect(bucket.msUntilToken()).toBe(0);
  });

  it('ignores a clock that steps back', () => {
    const bucket = new TokenBucket({ requests: 2, intervalMs: 1000, burst: 0 }, 1000);
    expect(takeAll(bucket, 1000)).toBe(2);
    expect(bucket.tryTake(500)).toBe(false);
    expect(bucket.tryTake(1499)).toBe(false);
    expect(bucket.tryTake(1500)).toBe(true);
  });
});

describe('BucketMap', () => {
  const limit = { requests: 2, intervalMs: 1000, burst: 0 };

  it('keeps one bucket per key', () => {
    const map = new BucketMap(10);
    const a = map.get('a', limit, 0);
    expect(takeAll(a, 0)).toBe(2);
    expect(map.get('a', limit, 0)).toBe(a);
    expect(takeAll(map.get('b', limit, 0), 0)).toBe(2);
    expect(map.size).toBe(2);
  });

  it('never holds more than its bound, whatever the number of keys', () => {
    const map = new BucketMap(100);
    for (let i = 0; i < 10_000; i++) map.get(`caller-${i}`, limit, 0).tryTake(0);
    expect(map.size).toBeLessThanOrEqual(100);
  });

  it('evicts the least recently used bucket first', () => {
    const map = new BucketMap(3);
    const a = map.get('a', limit, 0);
    a.tryTake(0);
    a.tryTake(0);
    map.get('b', limit, 0).tryTake(0);
    map.get('c', limit, 0).tryTake(0);
    map.get('a', limit, 0); // a is now the most recent
    map.get('d', limit, 0); // b goes
    expect(map.get('a', limit, 0)).toBe(a);
    expect(a.available(0)).toBe(0);
    expect(map.size).toBe(3);
  });
});
