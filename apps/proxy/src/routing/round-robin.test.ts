import { describe, expect, it } from 'vitest';
import { RoundRobin } from './round-robin.ts';

describe('RoundRobin', () => {
  it('takes each item in turn and wraps around', () => {
    const rr = new RoundRobin(['a', 'b', 'c'], 0);
    expect(Array.from({ length: 7 }, () => rr.pick())).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('starts where asked', () => {
    const rr = new RoundRobin(['a', 'b', 'c'], 4);
    expect([rr.pick(), rr.pick()]).toEqual(['b', 'c']);
  });

  it('spreads evenly from a random start', () => {
    const rr = new RoundRobin(['a', 'b', 'c']);
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const x = rr.pick() as string;
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    expect([...counts.values()]).toEqual([100, 100, 100]);
  });

  it('has nothing to pick from an empty list', () => {
    expect(new RoundRobin([]).pick()).toBeUndefined();
  });
});
