import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamPools } from './upstream-pools.ts';

describe('UpstreamPools', () => {
  const made: UpstreamPools[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((p) => p.close()));
  });

  it('keeps at most maxPools pools when asked to, closing the least recently used first', () => {
    const pools = new UpstreamPools(undefined, 2);
    made.push(pools);
    const a = pools.get('a.example:80');
    const b = pools.get('b.example:80');
    expect(pools.get('a.example:80')).toBe(a); // a is now the most recently used
    pools.get('c.example:80');
    expect(pools.size).toBe(2);
    expect(pools.get('a.example:80')).toBe(a);
    expect(pools.get('b.example:80')).not.toBe(b); // b was closed for c, and made again
    expect(b.closed).toBe(true);
  });

  it('keeps every address without a bound (the config bounds mesh pools)', () => {
    const pools = new UpstreamPools();
    made.push(pools);
    for (let i = 0; i < 300; i++) pools.get(`10.0.${i >> 8}.${i & 255}:15006`);
    expect(pools.size).toBe(300);
  });
});
