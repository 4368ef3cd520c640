import { describe, expect, it } from 'vitest';
import { emptyStats, formatStats, makePicker, percentile, SHOPPERS } from './loadgen.ts';

describe('load generator routes', () => {
  it('follows the weights and fills in product ids', () => {
    const pick = makePicker();
    const counts = { home: 0, product: 0, cart: 0 };
    const sessions = new Set<string>();
    const mismatched: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const { path: p, cookie } = pick();
      sessions.add(cookie);
      // A signed-in shopper's pages name its user; its session cookie belongs to that user.
      const user = /\?user=(\w+)$/.exec(p)?.[1];
      if (user !== undefined && !cookie.endsWith(`-${user}`)) mismatched.push(`${p} ${cookie}`);
      if (p.startsWith('/product/')) {
        expect(p).toMatch(/^\/product\/(\d|999)$/);
        counts.product++;
      } else if (p.startsWith('/cart')) counts.cart++;
      else {
        expect(p).toMatch(/^\/(\?user=\w+)?$/);
        counts.home++;
      }
    }
    expect(counts.home / 10_000).toBeCloseTo(0.4, 1);
    expect(counts.product / 10_000).toBeCloseTo(0.45, 1);
    expect(counts.cart / 10_000).toBeCloseTo(0.15, 1);
    expect(mismatched).toEqual([]);
    expect(sessions.size).toBe(SHOPPERS.length);
    for (const c of sessions) expect(c).toMatch(/^session=s\d\d-\w+$/);
  });

  it('rejects an empty route table', () => {
    expect(() => makePicker([])).toThrow(/at least one route/);
  });

  it('computes percentiles and a readable summary', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    const s = {
      ...emptyStats(),
      sent: 10,
      ok: 9,
      serverErrors: 1,
      byStatus: { '200': 9, '502': 1 },
      latenciesMs: [5, 10],
    };
    expect(formatStats(s, 2)).toContain('sent=10 (5.0 rps) ok=9 5xx=1');
    expect(formatStats(s, 2)).toContain('[200:9 502:1]');
  });
});
