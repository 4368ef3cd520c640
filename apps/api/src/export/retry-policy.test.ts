import { describe, expect, it } from 'vitest';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-policy.ts';

const config = { initialBackoffMs: 1_000, maxBackoffMs: 30_000, maxRetryAfterMs: 60_000 };

describe('isRetryableStatus', () => {
  it('retries 429, 502, 503, 504 and nothing else', () => {
    for (const s of [429, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 413, 415, 500, 501]) expect(isRetryableStatus(s)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-02T08:00:00Z');
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 02 Dec 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 07:00:00 GMT', now)).toBe(0);
  });
  it('ignores what is absent or unreadable', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially with ±20% jitter', () => {
    expect(retryDelayMs(1, undefined, config, () => 0.5)).toBe(1_000);
    expect(retryDelayMs(2, undefined, config, () => 0.5)).toBe(2_000);
    expect(retryDelayMs(3, undefined, config, () => 0)).toBe(3_200);
    expect(retryDelayMs(3, undefined, config, () => 1)).toBe(4_800);
  });
  it('never waits longer than maxBackoffMs, however many retries', () => {
    for (let retry = 1; retry < 200; retry++) {
      for (const r of [0, 0.5, 0.999]) {
        const d = retryDelayMs(retry, undefined, config, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(config.maxBackoffMs);
      }
    }
  });
  it("honours the receiver's Retry-After up to maxRetryAfterMs", () => {
    expect(retryDelayMs(1, 5_000, config)).toBe(5_000);
    expect(retryDelayMs(4, 0, config)).toBe(0);
    expect(retryDelayMs(1, 3_600_000, config)).toBe(60_000);
  });
});
