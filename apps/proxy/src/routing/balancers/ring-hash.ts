/**
 * Consistent hashing on a ring (Ketama; Envoy's RING_HASH): every endpoint owns points on a 32-bit ring
 * placed by hashing its address, and a request goes to the owner of the first point at or after the hash
 * of its key (a header's value, else a cookie's). The same key reaches the same endpoint for as long as
 * it is listed; a request without the key goes to a random endpoint.
 *
 * Every endpoint gets `minRingSize` points whatever the number of endpoints (the ring holds
 * endpoints × minRingSize, up to MAX_RING_POINTS), so an endpoint's points never depend on the others:
 * when one goes, only the keys it owned move (to the next points clockwise), and when one comes, it takes
 * keys only for itself. (Envoy spreads a fixed total over the endpoints instead, which moves a few more.)
 * An endpoint that is not usable is skipped clockwise, so its keys spread over the others and come back
 * when it does.
 */
import { cookieValue } from '../cookie.ts';
import type { Balancer, BalancerRequest } from '../round-robin.ts';
import { usableOrAll, type RandomSource } from './candidates.ts';

/**
 * 2^18 points (2 MiB of ring) at most, built in ~20 ms here. At the default 1024 points per endpoint
 * that is 256 endpoints; beyond, every endpoint gets fewer points (and a change of the endpoint count
 * moves a few more keys than the removed endpoint's).
 */
export const MAX_RING_POINTS = 1 << 18;

export interface RingHashKey {
  /** Header to hash (its first value). */
  header?: string | undefined;
  /** Cookie to hash, when the header is not set or absent from the request. */
  cookie?: string | undefined;
}

export class RingHash<T extends { readonly address: string }> implements Balancer<T> {
  readonly #items: readonly T[];
  readonly #header: string | undefined;
  readonly #cookie: string | undefined;
  readonly #random: RandomSource;
  /** Point hashes, ascending. */
  readonly #points: Uint32Array;
  /** Index into #items of the owner of each point. */
  readonly #owners: Uint32Array;

  constructor(items: readonly T[], key: RingHashKey, minRingSize = 1024, random: RandomSource = Math.random) {
    this.#items = items;
    this.#header = key.header?.toLowerCase();
    this.#cookie = key.cookie;
    this.#random = random;
    const n = items.length;
    const perEndpoint = n === 0 ? 0 : Math.max(1, Math.min(minRingSize, Math.floor(MAX_RING_POINTS / n)));
    const hashes = new Uint32Array(n * perEndpoint);
    const owners = new Uint32Array(n * perEndpoint);
    for (let owner = 0; owner < n; owner++) {
      const seed = hashString((items[owner] as T).address);
      for (let i = 0; i < perEndpoint; i++) {
        hashes[owner * perEndpoint + i] = pointHash(seed, i);
        owners[owner * perEndpoint + i] = owner;
      }
    }
    [this.#points, this.#owners] = radixSort(hashes, owners);
  }

  /** Points on the ring. */
  get size(): number {
    return this.#points.length;
  }

  pick(usable?: (item: T) => boolean, request?: BalancerRequest): T | undefined {
    const n = this.#items.length;
    if (n === 0) return undefined;
    const key = request === undefined ? undefined : this.keyOf(request);
    if (key === undefined) {
      const pool = usableOrAll(this.#items, usable);
      return pool[Math.min(pool.length - 1, Math.floor(this.#random() * pool.length))];
    }
    return this.ownerOf(hashString(key), usable);
  }

  /** The request's hash key: the header's first value, else the cookie; undefined when it has neither. */
  keyOf(request: BalancerRequest): string | undefined {
    if (this.#header !== undefined) {
      const value = request.headers[this.#header];
      const first = typeof value === 'string' ? value : value?.[0];
      if (first !== undefined) return first;
    }
    if (this.#cookie !== undefined) return cookieValue(request.headers.cookie, this.#cookie);
    return undefined;
  }

  /** The endpoint a hash lands on: the first usable owner clockwise (the first owner when none is). */
  ownerOf(hash: number, usable?: (item: T) => boolean): T | undefined {
    const points = this.#points;
    const total = points.length;
    if (total === 0) return undefined;
    let lo = 0;
    let hi = total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((points[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    const start = lo === total ? 0 : lo;
    const first = this.#items[this.#owners[start] as number];
    if (usable === undefined || (first !== undefined && usable(first))) return first;
    // Walk on; each owner is asked once (its points are many), so this is O(points) only in panic mode.
    const asked = new Set<number>([this.#owners[start] as number]);
    for (let i = 1; i < total && asked.size < this.#items.length; i++) {
      const owner = this.#owners[(start + i) % total] as number;
      if (asked.has(owner)) continue;
      asked.add(owner);
      const item = this.#items[owner] as T;
      if (usable(item)) return item;
    }
    return first;
  }
}

/**
 * Sorts `keys` ascending, carrying `values` along: LSD radix sort, 4 passes of 8 bits. Linear, unlike
 * TypedArray sort (~200 ns per element here), so a large ring builds in milliseconds. Stable, so equal
 * hashes keep owner order and every proxy builds the same ring.
 */
function radixSort(keys: Uint32Array, values: Uint32Array): [Uint32Array, Uint32Array] {
  let k: Uint32Array = keys;
  let v: Uint32Array = values;
  let k2: Uint32Array = new Uint32Array(k.length);
  let v2: Uint32Array = new Uint32Array(v.length);
  const counts = new Uint32Array(256);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < k.length; i++) {
      const b = ((k[i] as number) >>> shift) & 255;
      counts[b] = (counts[b] as number) + 1;
    }
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const c = counts[b] as number;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < k.length; i++) {
      const key = k[i] as number;
      const b = (key >>> shift) & 255;
      const at = counts[b] as number;
      counts[b] = at + 1;
      k2[at] = key;
      v2[at] = v[i] as number;
    }
    const keysDone = k2;
    k2 = k;
    k = keysDone;
    const valuesDone = v2;
    v2 = v;
    v = valuesDone;
  }
  return [k, v];
}

/** 32-bit FNV-1a over the string's UTF-16 code units, finished with murmur3's avalanche. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

function pointHash(seed: number, i: number): number {
  return fmix32((seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0);
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
