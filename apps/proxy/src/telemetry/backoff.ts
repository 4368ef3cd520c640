/** Exponential backoff with jitter: initial, ×multiplier per failure, capped; reset after a success. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier?: number;
  /** Fraction of each delay that is randomised downwards (0 = none, 0.5 = delay in [d/2, d]). */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #multiplier: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: BackoffOptions) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#multiplier = options.multiplier ?? 2;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last reset. */
  get failures(): number {
    return this.#failures;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * this.#multiplier ** this.#failures);
    this.#failures++;
    return Math.round(base * (1 - this.#jitter * this.#random()));
  }

  reset(): void {
    this.#failures = 0;
  }
}
