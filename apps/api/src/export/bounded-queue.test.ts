import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.ts';

const one = () => 1;

describe('BoundedQueue', () => {
  it('keeps items in order and refuses what exceeds the item bound', () => {
    const q = new BoundedQueue<number>(3, 1_000);
    expect(q.offer([1, 2], one)).toBe(2);
    expect(q.offer([3, 4, 5], one)).toBe(1);
    expect(q.length).toBe(3);
    expect(q.take(2)).toEqual([1, 2]);
    expect(q.offer([6], one)).toBe(1);
    expect(q.take(10)).toEqual([3, 6]);
    expect(q.length).toBe(0);
  });

  it('refuses what exceeds the byte bound and frees the bytes of taken items', () => {
    const q = new BoundedQueue<string>(100, 10);
    expect(q.offer(['aaaa', 'bbbb', 'cccc'], (s) => s.length)).toBe(2);
    expect(q.bytes).toBe(8);
    expect(q.take(1)).toEqual(['aaaa']);
    expect(q.bytes).toBe(4);
    expect(q.offer(['dddddd', 'e'], (s) => s.length)).toBe(1);
    expect(q.bytes).toBe(10);
  });

  it('counts items held outside the queue (a batch being sent) against the bounds', () => {
    const q = new BoundedQueue<number>(5, 100);
    expect(q.offer([1, 2, 3], one, { items: 3, bytes: 3 })).toBe(2);
    expect(q.offer([4], one, { items: 0, bytes: 99 })).toBe(0);
  });

  it('stays bounded over many offers and takes, and clear() says how many it held', () => {
    const q = new BoundedQueue<number>(50, 1_000_000);
    let accepted = 0;
    let taken = 0;
    for (let round = 0; round < 1_000; round++) {
      accepted += q.offer(
        Array.from({ length: 30 }, (_, i) => round * 30 + i),
        one,
      );
      expect(q.length).toBeLessThanOrEqual(50);
      taken += q.take(20).length;
    }
    expect(q.clear()).toBe(accepted - taken);
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });
});
