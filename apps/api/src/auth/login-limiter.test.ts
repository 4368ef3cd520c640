import { describe, expect, it } from 'vitest';
import { LoginLimiter, type LimitedKey } from './login-limiter.ts';

const WINDOW_MS = 15 * 60_000;

function limiter(maxKeys?: number) {
  const clock = { ms: 1_700_000_000_000 };
  const l = new LoginLimiter({ windowMs: WINDOW_MS, now: () => clock.ms, ...(maxKeys ? { maxKeys } : {}) });
  return { l, clock };
}

const user: LimitedKey = { key: 'user:alice', maxFailures: 3 };
const addr: LimitedKey = { key: 'addr:10.0.0.7', maxFailures: 5 };

function fail(l: LoginLimiter, keys: LimitedKey[], times: number): void {
  for (let i = 0; i < times; i++) l.recordFailure(keys);
}

describe('LoginLimiter', () => {
  it('lets a key try until it reaches its limit, then blocks it until the window ends', () => {
    const { l, clock } = limiter();
    expect(l.retryAfterMs([user])).toBe(0);
    fail(l, [user], 2);
    expect(l.retryAfterMs([user])).toBe(0);
    clock.ms += 1000;
    fail(l, [user], 1);
    // The window started with the first failure, a second before the third.
    expect(l.retryAfterMs([user])).toBe(WINDOW_MS - 1000);
  });

  it('shrinks the wait as time passes and unblocks exactly when the window ends', () => {
    const { l, clock } = limiter();
    fail(l, [user], 3);
    expect(l.retryAfterMs([user])).toBe(WINDOW_MS);
    clock.ms += 60_000;
    expect(l.retryAfterMs([user])).toBe(WINDOW_MS - 60_000);
    clock.ms += WINDOW_MS - 60_000 - 1;
    expect(l.retryAfterMs([user])).toBe(1);
    clock.ms += 1;
    expect(l.retryAfterMs([user])).toBe(0);
  });

  it('starts a fresh window after the old one ended: one failure is not a block', () => {
    const { l, clock } = limiter();
    fail(l, [user], 3);
    clock.ms += WINDOW_MS;
    fail(l, [user], 1);
    expect(l.retryAfterMs([user])).toBe(0);
    fail(l, [user], 2);
    expect(l.retryAfterMs([user])).toBe(WINDOW_MS);
  });

  it('counts each key against its own limit and waits for the longest blocked one', () => {
    const { l, clock } = limiter();
    fail(l, [user, addr], 3);
    expect(l.retryAfterMs([addr])).toBe(0);
    expect(l.retryAfterMs([user, addr])).toBe(WINDOW_MS);
    clock.ms += 5000;
    const other: LimitedKey = { key: 'user:bob', maxFailures: 3 };
    fail(l, [other, addr], 2);
    // addr has 5 failures now (window from t0); bob has 2.
    expect(l.retryAfterMs([other])).toBe(0);
    expect(l.retryAfterMs([other, addr])).toBe(WINDOW_MS - 5000);
  });

  it('clears only the keys a success names', () => {
    const { l } = limiter();
    fail(l, [user, addr], 5);
    l.recordSuccess([user]);
    expect(l.retryAfterMs([user])).toBe(0);
    expect(l.retryAfterMs([addr])).toBe(WINDOW_MS);
    // The user's count starts again from zero.
    fail(l, [user], 2);
    expect(l.retryAfterMs([user])).toBe(0);
  });

  it('keeps at most maxKeys keys, dropping the oldest first', () => {
    const { l } = limiter(3);
    const key = (n: number): LimitedKey => ({ key: `user:${n}`, maxFailures: 1 });
    fail(l, [key(1)], 1);
    fail(l, [key(2)], 1);
    fail(l, [key(3)], 1);
    // A failure on a key already in the table takes no room.
    fail(l, [key(1)], 1);
    expect([1, 2, 3].map((n) => l.retryAfterMs([key(n)]))).toEqual([WINDOW_MS, WINDOW_MS, WINDOW_MS]);
    fail(l, [key(4)], 1);
    expect([1, 2, 3, 4].map((n) => l.retryAfterMs([key(n)]))).toEqual([0, WINDOW_MS, WINDOW_MS, WINDOW_MS]);
  });
});
