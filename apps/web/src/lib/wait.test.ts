import { describe, expect, it } from 'vitest';
import { formatWait, retryAfterSeconds } from './wait.ts';

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');

  it('reads delta-seconds and HTTP dates', () => {
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 7 ', now)).toBe(7);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 12:01:30 GMT', now)).toBe(90);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('gives up on nothing or nonsense', () => {
    expect(retryAfterSeconds(null, now)).toBeNull();
    expect(retryAfterSeconds('', now)).toBeNull();
    expect(retryAfterSeconds('soon', now)).toBeNull();
    expect(retryAfterSeconds('-5', now)).toBeNull();
  });
});

describe('formatWait', () => {
  it('says seconds, then minutes', () => {
    expect(formatWait(0)).toBe('0 s');
    expect(formatWait(44.2)).toBe('45 s');
    expect(formatWait(60)).toBe('1 min');
    expect(formatWait(14 * 60 + 32)).toBe('14 min 32 s');
  });
});
