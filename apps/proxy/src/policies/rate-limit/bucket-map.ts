/**
 * The buckets of one rate-limit rule, one per key (a calling workload, or one shared key), bounded in
 * number: a flood of distinct caller identities must not grow memory without end. Least recently used
 * buckets go first (a Map keeps insertion order; a hit moves the key to the end).
 *
 * Dropping a bucket forgets what that caller used: its next request gets a full bucket. The least recently
 * used bucket has usually refilled to capacity, which makes it the same as a new one; only when more than
 * `maxBuckets` callers are all mid-burst at once does a caller lose its history (a documented bound).
 */
import { TokenBucket, type BucketLimit } from './token-bucket.ts';

export const DEFAULT_MAX_BUCKETS_PER_RULE = 10_000;

export class BucketMap {
  readonly #max: number;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(maxBuckets: number = DEFAULT_MAX_BUCKETS_PER_RULE) {
    this.#max = Math.max(1, maxBuckets);
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** The bucket for `key`, created full with `limit` when absent (evicting to stay within the bound). */
  get(key: string, limit: BucketLimit, now: number): TokenBucket {
    const buckets = this.#buckets;
    const found = buckets.get(key);
    if (found !== undefined) {
      // Only keyed maps pay for recency: a shared bucket is the map's only entry.
      if (buckets.size > 1) {
        buckets.delete(key);
        buckets.set(key, found);
      }
      return found;
    }
    if (buckets.size >= this.#max) this.#evict(now);
    const bucket = new TokenBucket(limit, now);
    buckets.set(key, bucket);
    return bucket;
  }

  /**
   * Drops the least recently used bucket, and with it the next few if they have refilled to capacity
   * (those forget nothing), so that a flood of new callers does not pay one eviction per request. Bounded
   * work per call: a full scan here would let each new identity cost `maxBuckets` steps.
   */
  #evict(now: number): void {
    const buckets = this.#buckets;
    let looked = 0;
    for (const [key, bucket] of buckets) {
      if (looked > 0 && !bucket.isFull(now)) break;
      buckets.delete(key);
      if (++looked >= EVICTION_SCAN) break;
    }
  }
}

/** Buckets looked at per eviction. */
const EVICTION_SCAN = 16;
