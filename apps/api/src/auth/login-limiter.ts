/**
 * Failed sign-ins per key (a username, a client address) in a fixed window. Beyond a key's limit, sign-in
 * is refused with 429 until the window ends, even with the right password. Bounded memory: the oldest keys
 * go first when the table is full.
 */
export interface LimitedKey {
  key: string;
  maxFailures: number;
}

export interface LimiterOptions {
  windowMs: number;
  maxKeys?: number;
  now?: () => number;
}

export class LoginLimiter {
  readonly #failures = new Map<string, { count: number; windowEndsMs: number }>();
  readonly #options: Required<LimiterOptions>;

  constructor(options: LimiterOptions) {
    this.#options = { maxKeys: 10_000, now: Date.now, ...options };
  }

  /** Milliseconds until all of `keys` may try again, or 0 when none of them is blocked. */
  retryAfterMs(keys: readonly LimitedKey[]): number {
    const now = this.#options.now();
    let wait = 0;
    for (const { key, maxFailures } of keys) {
      const entry = this.#failures.get(key);
      if (!entry) continue;
      if (entry.windowEndsMs <= now) {
        this.#failures.delete(key);
        continue;
      }
      if (entry.count >= maxFailures) wait = Math.max(wait, entry.windowEndsMs - now);
    }
    return wait;
  }

  recordFailure(keys: readonly LimitedKey[]): void {
    const now = this.#options.now();
    for (const { key } of keys) {
      const entry = this.#failures.get(key);
      if (entry && entry.windowEndsMs > now) {
        entry.count++;
        continue;
      }
      if (this.#failures.size >= this.#options.maxKeys) {
        const oldest = this.#failures.keys().next();
        if (!oldest.done) this.#failures.delete(oldest.value);
      }
      this.#failures.set(key, { count: 1, windowEndsMs: now + this.#options.windowMs });
    }
  }

  recordSuccess(keys: readonly LimitedKey[]): void {
    for (const { key } of keys) this.#failures.delete(key);
  }
}
