/**
 * Work that a burst of events should run once: `schedule()` runs it after `debounceMs` of quiet, but no
 * later than `maxDelayMs` after the first call of a burst (a cluster that never goes quiet — pods churning —
 * still gets it done), one run at a time; a call during a run schedules one more run after it.
 */
export interface DebouncedTaskOptions {
  debounceMs: number;
  maxDelayMs: number;
  /** A failed run; the next schedule() tries again. */
  onError: (err: unknown) => void;
  now?: () => number;
}

export class DebouncedTask {
  readonly #work: () => Promise<void>;
  readonly #o: DebouncedTaskOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #burstStartedAt: number | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(work: () => Promise<void>, options: DebouncedTaskOptions) {
    this.#work = work;
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  schedule(): void {
    if (this.#closed) return;
    const now = this.#now();
    this.#burstStartedAt ??= now;
    clearTimeout(this.#timer);
    const wait = Math.max(0, Math.min(this.#o.debounceMs, this.#burstStartedAt + this.#o.maxDelayMs - now));
    this.#timer = setTimeout(() => this.#fire(), wait).unref();
  }

  /** Resolves when the run under way, if any, has ended. */
  async idle(): Promise<void> {
    await this.#running;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#burstStartedAt = undefined;
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#work()
      .catch((err: unknown) => this.#o.onError(err))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.schedule();
        }
      });
  }
}
