/**
 * Linkerd's retry budget, per destination service: over a sliding window of ~10 s, retries may add at most
 * `ratio` × the original requests, plus `minPerSecond` for each second the window covers (so a service that
 * sees little traffic can still retry a few). When the budget is spent, the request is not retried: retries
 * cannot multiply the load on a service that is already failing.
 *
 * The window is ten one-second buckets; a bucket older than the window is reused for the current second.
 */

export interface RetryBudgetSettings {
  ratio: number;
  minPerSecond: number;
}

interface Bucket {
  second: number;
  requests: number;
  retries: number;
}

const BUCKET_MS = 1000;
const BUCKETS = 10;
/** The length of the sliding window, in seconds. */
export const RETRY_BUDGET_WINDOW_SECONDS = BUCKETS;

export class RetryBudget {
  #settings: RetryBudgetSettings;
  readonly #now: () => number;
  /** One bucket per second of the window, reused round the ring. */
  readonly #buckets: Bucket[] = Array.from({ length: BUCKETS }, () => ({
    second: -Infinity,
    requests: 0,
    retries: 0,
  }));
  /** First second this budget saw: the reserve grows with the seconds covered, up to the window. */
  readonly #firstSecond: number;

  constructor(settings: RetryBudgetSettings, now: () => number) {
    this.#settings = settings;
    this.#now = now;
    this.#firstSecond = Math.floor(now() / BUCKET_MS);
  }

  /** A new config may change ratio or minimum; the counts carry on. */
  update(settings: RetryBudgetSettings): void {
    if (settings.ratio !== this.#settings.ratio || settings.minPerSecond !== this.#settings.minPerSecond)
      this.#settings = settings;
  }

  /** One original request (never a retry) to the service. */
  recordRequest(): void {
    this.#bucket().requests++;
  }

  /** Takes one retry from the budget; false (and nothing taken) when it is spent. */
  tryRetry(): boolean {
    const current = this.#bucket();
    const second = current.second;
    let requests = 0;
    let retries = 0;
    for (const b of this.#buckets) {
      if (b.second <= second - BUCKETS) continue;
      requests += b.requests;
      retries += b.retries;
    }
    const covered = Math.min(BUCKETS, second - this.#firstSecond + 1);
    const allowed = this.#settings.ratio * requests + this.#settings.minPerSecond * covered;
    if (retries + 1 > allowed) return false;
    current.retries++;
    return true;
  }

  /** The bucket of the current second, emptied first when it last counted an older second. */
  #bucket(): Bucket {
    const second = Math.floor(this.#now() / BUCKET_MS);
    const bucket = this.#buckets[second % BUCKETS] as Bucket;
    if (bucket.second !== second) {
      bucket.second = second;
      bucket.requests = 0;
      bucket.retries = 0;
    }
    return bucket;
  }
}

/** One budget per destination service ("name.namespace"), kept across config updates. */
export class RetryBudgets {
  readonly #budgets = new Map<string, RetryBudget>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  for(service: string, namespace: string, settings: RetryBudgetSettings): RetryBudget {
    const key = `${service}.${namespace}`;
    let budget = this.#budgets.get(key);
    if (budget === undefined) {
      budget = new RetryBudget(settings, this.#now);
      this.#budgets.set(key, budget);
    } else budget.update(settings);
    return budget;
  }
}
