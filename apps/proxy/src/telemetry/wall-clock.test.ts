import { describe, expect, it } from 'vitest';
import { epochMs } from './wall-clock.ts';

describe('epochMs', () => {
  it('maps the monotonic clock onto the wall clock within a millisecond', () => {
    for (let i = 0; i < 5; i++) {
      const before = Date.now();
      const mapped = epochMs(performance.now());
      const after = Date.now();
      expect(mapped).toBeGreaterThanOrEqual(before - 1);
      expect(mapped).toBeLessThanOrEqual(after + 1);
    }
  });
});
