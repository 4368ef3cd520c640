/**
 * The stored responses of one cache, bounded in bytes, least recently used first out. Responses are found
 * by primary key (service, path and query; the method does not count: a HEAD is answered from the GET's
 * response) and then by the request fields their Vary names (the secondary key, RFC 9111 §4.1).
 */
import type { HeaderMap } from '../../http/exchange.ts';
import type { CacheControl } from './cache-control.ts';
import type { FreshnessInput } from './freshness.ts';
import { varyValue } from './storable.ts';

export interface StoredResponse extends FreshnessInput {
  readonly key: string;
  status: number;
  /** Without connection-scoped fields and without Age (computed when served). */
  headers: HeaderMap;
  cc: CacheControl;
  dateMs: number;
  requestTimeMs: number;
  responseTimeMs: number;
  ageValueS: number;
  readonly body: Buffer;
  /**
   * The body as a string when it is all ASCII (JSON, mostly): served as a string, which the listener writes
   * with one `end()`, where a Buffer needs a Readable (several µs per hit, the largest cost of a hit).
   */
  readonly text: string | undefined;
  /** Freshness lifetime memoised for the limits it was computed with (recomputed after a 304 or new limits). */
  lifetime: { readonly limits: object; readonly ms: number } | undefined;
  /** Request fields the response varies on (sorted, lower case) and their values when it was stored. */
  readonly vary: readonly string[];
  readonly varyValues: readonly (string | undefined)[];
  /** Bytes charged against the store: body plus an estimate of the headers. */
  readonly size: number;
}

/** Per stored response, besides its body: the key, the headers, the bookkeeping. */
const ENTRY_OVERHEAD_BYTES = 256;

export function entrySize(body: Buffer, headers: HeaderMap, key: string): number {
  let size = ENTRY_OVERHEAD_BYTES + body.length + key.length;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    size += name.length + 4 + (Array.isArray(v) ? v.reduce((n, x) => n + x.length + 2, 0) : v.length);
  }
  return size;
}

export function varyMatches(
  stored: Pick<StoredResponse, 'vary' | 'varyValues'>,
  request: HeaderMap,
): boolean {
  const names = stored.vary;
  for (let i = 0; i < names.length; i++) {
    if (varyValue(request, names[i] as string) !== stored.varyValues[i]) return false;
  }
  return true;
}

export class CacheStore {
  #maxBytes: number;
  #bytes = 0;
  /** Variants per primary key, newest first. */
  readonly #byKey = new Map<string, StoredResponse[]>();
  /** Every stored response in least-recently-used order (a Map keeps insertion order; touch = re-insert). */
  readonly #lru = new Map<StoredResponse, true>();

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#lru.size;
  }

  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** A smaller bound evicts at once. */
  setMaxBytes(maxBytes: number): void {
    this.#maxBytes = maxBytes;
    this.#evict();
  }

  /** The stored response for this key whose Vary fields match the request (the newest such), touched. */
  lookup(key: string, requestHeaders: HeaderMap): StoredResponse | undefined {
    const variants = this.#byKey.get(key);
    if (variants === undefined) return undefined;
    for (const r of variants) {
      if (varyMatches(r, requestHeaders)) {
        this.#lru.delete(r);
        this.#lru.set(r, true);
        return r;
      }
    }
    return undefined;
  }

  /**
   * Stores `r`, replacing a variant with the same Vary values; false when it is larger than the whole store.
   */
  put(r: StoredResponse): boolean {
    if (r.size > this.#maxBytes) return false;
    const variants = this.#byKey.get(r.key) ?? [];
    const kept = variants.filter((v) => {
      const same =
        v.vary.length === r.vary.length &&
        v.vary.every((n, i) => n === r.vary[i] && v.varyValues[i] === r.varyValues[i]);
      if (same) this.#forget(v);
      return !same;
    });
    kept.unshift(r);
    this.#byKey.set(r.key, kept);
    this.#lru.set(r, true);
    this.#bytes += r.size;
    this.#evict();
    return true;
  }

  /** Removes every variant stored under `key` (invalidation, RFC 9111 §4.4); how many went. */
  invalidate(key: string): number {
    const variants = this.#byKey.get(key);
    if (variants === undefined) return 0;
    for (const v of variants) this.#forget(v);
    this.#byKey.delete(key);
    return variants.length;
  }

  /** Removes one stored response (superseded by an unstorable answer). */
  remove(r: StoredResponse): void {
    const variants = this.#byKey.get(r.key);
    if (variants === undefined || !variants.includes(r)) return;
    this.#forget(r);
    const rest = variants.filter((v) => v !== r);
    if (rest.length === 0) this.#byKey.delete(r.key);
    else this.#byKey.set(r.key, rest);
  }

  /** Header bytes change when a 304 refreshes them; the body (the bulk) does not, so the size stays. */
  #forget(r: StoredResponse): void {
    if (this.#lru.delete(r)) this.#bytes -= r.size;
  }

  #evict(): void {
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#lru.keys().next();
      if (oldest.done === true) return;
      this.remove(oldest.value);
    }
  }
}
