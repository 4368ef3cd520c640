import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.ts';

describe('BoundedQueue', () => {
  it('is FIFO and hands out batches', () => {
    const q = new BoundedQueue<number>(10);
    q.pushAll([1, 2, 3, 4, 5]);
    expect(q.take(2)).toEqual([1, 2]);
    expect(q.take(10)).toEqual([3, 4, 5]);
    expect(q.take(10)).toEqual([]);
    expect(q.size).toBe(0);
  });

  it('drops the oldest beyond capacity and counts them', () => {
    const q = new BoundedQueue<number>(3);
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(q.dropped).toBe(2);
    expect(q.take(10)).toEqual([3, 4, 5]);
  });

  it('puts a failed batch back in front, in order', () => {
    const q = new BoundedQueue<number>(10);
    q.pushAll([1, 2, 3]);
    const batch = q.take(2);
    q.push(4);
    q.putBack(batch);
    expect(q.take(10)).toEqual([1, 2, 3, 4]);
  });

  it('drops from the put-back batch first when new items filled the queue meanwhile', () => {
    const q = new BoundedQueue<number>(3);
    q.pushAll([1, 2]);
    const batch = q.take(2);
    q.pushAll([3, 4]);
    q.putBack(batch);
    expect(q.dropped).toBe(1);
    expect(q.take(10)).toEqual([2, 3, 4]);
  });

  it('stays correct across many pushes and takes', () => {
    const q = new BoundedQueue<number>(100_000);
    let next = 0;
    let expected = 0;
    let outOfOrder = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 3000; i++) q.push(next++);
      for (const x of q.take(2500)) if (x !== expected++) outOfOrder++;
    }
    expect(outOfOrder).toBe(0);
    expect(q.size).toBe(next - expected);
  });

  it('refuses a silly capacity', () => {
    expect(() => new BoundedQueue(0)).toThrow('positive integer');
  });
});
