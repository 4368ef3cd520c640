import { describe, expect, it } from 'vitest';
import { epochMs } from './wall-clock.ts';

describe('epochMs', () => {
  it('maps the monotonic clock onto the wall clock to well under a millisecond', () => {
    for (let i = 0; i < 50; i++) {
      const before = Date.now();
      const mapped = epochMs(performance.now());
      const after = Date.now();
      // Date.now() truncates: the true time lies in [before, after + 1).
      expect(mapped).toBeGreaterThanOrEqual(before - 0.05);
      expect(mapped).toBeLessThan(after + 1);
    }
  });
});
