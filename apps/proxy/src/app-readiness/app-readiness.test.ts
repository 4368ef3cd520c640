import { describe, expect, it } from 'vitest';
import { AppReadiness } from './app-readiness.ts';

describe('AppReadiness', () => {
  it('is ready until failureThreshold checks fail in a row, and ready again after one that passes', () => {
    const r = new AppReadiness({ failureThreshold: 2 });
    expect(r.ready).toBe(true);
    expect(r.record('refused')).toBe(false);
    expect(r.record(undefined)).toBe(false); // a pass breaks the run
    expect(r.record('refused')).toBe(false);
    expect([r.ready, r.notReadyReason]).toEqual([true, undefined]);
    expect(r.record('cannot connect (ECONNREFUSED)')).toBe(true);
    expect([r.ready, r.notReadyReason]).toEqual([false, 'cannot connect (ECONNREFUSED)']);
    expect(r.record('still refused')).toBe(false);
    expect(r.notReadyReason).toBe('still refused');
    expect(r.record(undefined)).toBe(true);
    expect([r.ready, r.checks, r.failedChecks]).toEqual([true, 6, 4]);
  });
});
