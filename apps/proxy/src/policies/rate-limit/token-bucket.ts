/**
 * A token bucket: `requests + burst` tokens at most, refilled continuously at `requests` per `intervalMs`;
 * a request that finds a whole token takes it. Starting full, a burst of exactly `requests + burst` passes
 * and the next one waits for the refill.
 *
 * Tokens are counted in units of 1/intervalMs of a token, so that refilling `elapsedMs × requests` units
 * is exact integer arithmetic on a whole-millisecond clock: 100 per 1s refills one token every 10 ms
 * without a rounding error that would let a burst through one request early or late.
 */

export interface BucketLimit {
  /** Tokens added per interval. */
  readonly requests: number;
  readonly intervalMs: number;
  /** Tokens the bucket holds beyond `requests`. */
  readonly burst: number;
}

export class TokenBucket {
  readonly limit: BucketLimit;
  /** Units per whole token (= intervalMs). */
  readonly #unit: number;
  readonly #capacity: number;
  #units: number;
  #at: number;

  /** Starts full at `now` (ms, monotonic). */
  constructor(limit: BucketLimit, now: number) {
    this.limit = limit;
    this.#unit = Math.max(1, limit.intervalMs);
    this.#capacity = (limit.requests + limit.burst) * this.#unit;
    this.#units = this.#capacity;
    this.#at = now;
  }

  /** Whole tokens left after refilling up to `now`. */
  available(now: number): number {
    this.#refill(now);
    return Math.floor(this.#units / this.#unit);
  }

  /** Whole tokens left at the last refill (no refill: what a check just left). */
  get tokens(): number {
    return Math.max(0, Math.floor(this.#units / this.#unit));
  }

  /** Takes one token if there is a whole one (after refilling up to `now`). */
  tryTake(now: number): boolean {
    this.#refill(now);
    if (this.#units < this.#unit) return false;
    this.#units -= this.#unit;
    return true;
  }

  /** Takes one token that `available(now)` said is there (the second step of a multi-rule check). */
  take(): void {
    this.#units -= this.#unit;
  }

  /** Milliseconds until the next whole token, from the last refill; 0 while a whole token is there. */
  msUntilToken(): number {
    if (this.#units >= this.#unit) return 0;
    return (this.#unit - this.#units) / this.limit.requests;
  }

  /** Milliseconds until one more token than now is there (the whole refill of one token when full). */
  msUntilNextToken(): number {
    if (this.#units >= this.#capacity) return this.#unit / this.limit.requests;
    const partial = this.#units % this.#unit;
    return (this.#unit - partial) / this.limit.requests;
  }

  /** True when refilled to capacity at `now`: such a bucket is the same as a new one and may be dropped. */
  isFull(now: number): boolean {
    this.#refill(now);
    return this.#units >= this.#capacity;
  }

  #refill(now: number): void {
    const elapsed = now - this.#at;
    if (elapsed <= 0) return; // a clock that stands still or steps back adds nothing
    this.#at = now;
    const units = this.#units + elapsed * this.limit.requests;
    this.#units = units > this.#capacity ? this.#capacity : units;
  }
}
