import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('doubles up to the cap and starts over after a reset', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 5000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(b.failures).toBe(5);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it('jitters downwards only, within the given fraction', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0.5, random: () => 1 });
    const high = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0.5, random: () => 0 });
    expect([low.next(), low.next()]).toEqual([500, 1000]);
    expect([high.next(), high.next()]).toEqual([1000, 2000]);
  });
});
