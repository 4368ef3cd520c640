/**
 * One shared HTTP cache (RFC 9111) with its limits, store and clock: decides how a GET or HEAD may be
 * answered from what is stored, stores and refreshes responses, invalidates after unsafe requests, and
 * tracks the fetches in flight per key (request collapsing, one background revalidation per key).
 * The layer (layers/cache.ts) does the I/O; everything that follows the RFC is here, on an injectable clock.
 *
 * The policy's `staleWhileRevalidate` / `staleIfError` bound the response's own directives (RFC 5861) and
 * fill in for responses without them; a response that must not be served stale (must-revalidate,
 * proxy-revalidate, s-maxage, no-cache) never is.
 */
import { isAscii } from 'node:buffer';
import type { HeaderMap } from '../../http/exchange.ts';
import { withoutHopByHop } from '../../http/hop-by-hop.ts';
import { CacheControl } from './cache-control.ts';
import { CacheStore, entrySize, type StoredResponse } from './cache-store.ts';
import {
  currentAgeMs,
  freshnessLifetime,
  mustRevalidateWhenStale,
  receivedAge,
  type HeuristicLimits,
} from './freshness.ts';
import { parseHttpDate } from './http-date.ts';
import { varyNames, varyValue, whyNotStorable, type NotStorable } from './storable.ts';

export interface CacheLimits extends HeuristicLimits {
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  /** Undefined: the response's directive alone decides. */
  readonly staleWhileRevalidateMs: number | undefined;
  readonly staleIfErrorMs: number | undefined;
}

export type Lookup =
  /** Serve it as is (HIT). */
  | { kind: 'fresh'; entry: StoredResponse; ageMs: number }
  /** Serve it stale: the request's max-stale allows it (STALE). */
  | { kind: 'stale'; entry: StoredResponse; ageMs: number }
  /** Serve it stale and revalidate in the background when `revalidate` (this caller claimed the key). */
  | { kind: 'stale-while-revalidate'; entry: StoredResponse; ageMs: number; revalidate: boolean }
  /** Ask the origin with the entry's validators, if it has any. */
  | { kind: 'revalidate'; entry: StoredResponse }
  | { kind: 'miss' }
  /** only-if-cached and nothing usable stored: 504 (§5.2.1.7). */
  | { kind: 'unsatisfiable' };

/** Fields a 304 must not change in the stored response (§3.2): framing, and ours. */
const NOT_UPDATED_BY_304: ReadonlySet<string> = new Set(['content-length', 'content-encoding', 'age']);

export class HttpCache {
  #limits: CacheLimits;
  readonly store: CacheStore;
  readonly #now: () => number;
  /** Keys with a foreground fetch in flight: followers wait for it instead of fetching too. */
  readonly #fetching = new Map<string, Promise<void>>();
  /** Keys with a background (stale-while-revalidate) revalidation in flight. */
  readonly #revalidating = new Set<string>();

  constructor(limits: CacheLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.store = new CacheStore(limits.maxBytes);
    this.#now = now;
  }

  get limits(): CacheLimits {
    return this.#limits;
  }

  setLimits(limits: CacheLimits): void {
    this.#limits = limits;
    if (this.store.maxBytes !== limits.maxBytes) this.store.setMaxBytes(limits.maxBytes);
  }

  now(): number {
    return this.#now();
  }

  /** How a GET or HEAD with these fields may be answered from the store (§4). */
  lookup(key: string, requestHeaders: HeaderMap, requestCc = requestCacheControl(requestHeaders)): Lookup {
    const onlyIfCached = requestCc.has('only-if-cached');
    const entry = this.store.lookup(key, requestHeaders);
    if (entry === undefined) return onlyIfCached ? { kind: 'unsatisfiable' } : { kind: 'miss' };

    const now = this.#now();
    const ageMs = currentAgeMs(entry, now);
    const lifetimeMs = this.#lifetimeMs(entry);
    const fresh = lifetimeMs > ageMs;
    // no-cache on either side: never without a successful revalidation (§5.2.1.4, §5.2.2.4).
    const noCache = entry.cc.has('no-cache') || requestCc.has('no-cache');
    const maxAge = requestCc.seconds('max-age');
    const ageOk = maxAge === undefined || (maxAge !== 'invalid' && ageMs <= maxAge * 1000);
    const minFresh = requestCc.seconds('min-fresh');
    const minFreshOk =
      minFresh === undefined || (minFresh !== 'invalid' && lifetimeMs - ageMs >= minFresh * 1000);

    if (!noCache && fresh && ageOk && minFreshOk) return { kind: 'fresh', entry, ageMs };
    if (!noCache && !fresh && ageOk && !mustRevalidateWhenStale(entry.cc)) {
      const staleness = ageMs - lifetimeMs;
      if (requestCc.has('max-stale')) {
        const maxStale = requestCc.get('max-stale');
        // max-stale without a value: any staleness (§5.2.1.2).
        const limit = maxStale === true ? Infinity : requestCc.seconds('max-stale');
        if (typeof limit === 'number' && staleness <= limit * 1000) return { kind: 'stale', entry, ageMs };
      }
      // A request that states its own freshness needs (max-age, min-fresh) does not get a swr answer.
      if (maxAge === undefined && minFresh === undefined) {
        const window = staleWindow(
          entry.cc.get('stale-while-revalidate'),
          this.#limits.staleWhileRevalidateMs,
          lifetimeMs > 0,
        );
        if (window > 0 && staleness <= window) {
          const revalidate = !this.#revalidating.has(key);
          if (revalidate) this.#revalidating.add(key);
          return { kind: 'stale-while-revalidate', entry, ageMs, revalidate };
        }
      }
    }
    if (onlyIfCached) return { kind: 'unsatisfiable' };
    return { kind: 'revalidate', entry };
  }

  #lifetimeMs(entry: StoredResponse): number {
    const limits = this.#limits;
    const memo = entry.lifetime;
    if (memo !== undefined && memo.limits === limits) return memo.ms;
    const ms = freshnessLifetime(entry, limits).ms;
    entry.lifetime = { limits, ms };
    return ms;
  }

  /** Ends the background revalidation `lookup` handed to its caller (`revalidate: true`). */
  revalidated(key: string): void {
    this.#revalidating.delete(key);
  }

  /** Whether `entry` may stand in for an error answer (5xx, no connection) now (RFC 5861 §4). */
  mayServeOnError(entry: StoredResponse, requestCc: CacheControl): boolean {
    if (entry.cc.has('no-cache') || mustRevalidateWhenStale(entry.cc)) return false;
    const ageMs = currentAgeMs(entry, this.#now());
    const lifetimeMs = this.#lifetimeMs(entry);
    if (lifetimeMs > ageMs) return true;
    const fromResponse = staleWindow(
      entry.cc.get('stale-if-error'),
      this.#limits.staleIfErrorMs,
      lifetimeMs > 0,
    );
    // The request may ask for it as well (RFC 5861 §4), within the same policy bound.
    const fromRequest = requestCc.has('stale-if-error')
      ? staleWindow(requestCc.get('stale-if-error'), this.#limits.staleIfErrorMs, true)
      : 0;
    const window = Math.max(fromResponse, fromRequest);
    return window > 0 && ageMs - lifetimeMs <= window;
  }

  /** Conditional request fields to revalidate `entry` (§4.3.1); empty when it has no validator. */
  validators(entry: StoredResponse): HeaderMap {
    const out: HeaderMap = {};
    const etag = entry.headers.etag;
    if (typeof etag === 'string') out['if-none-match'] = etag;
    const lastModified = entry.headers['last-modified'];
    if (typeof lastModified === 'string') out['if-modified-since'] = lastModified;
    return out;
  }

  /** Whether the response to a GET may be stored (before its body has arrived). */
  whyNotStorable(
    method: string,
    requestHeaders: HeaderMap,
    requestCc: CacheControl,
    status: number,
    responseHeaders: HeaderMap,
  ): NotStorable | 'too-large' | undefined {
    const why = whyNotStorable({
      method,
      requestHeaders,
      requestCc,
      status,
      responseHeaders,
      responseCc: CacheControl.fromHeaders(responseHeaders),
    });
    if (why !== undefined) return why;
    const length = responseHeaders['content-length'];
    if (typeof length === 'string' && Number(length) > this.#limits.maxEntryBytes) return 'too-large';
    return undefined;
  }

  /**
   * Stores a complete response (storability already checked). `requestTimeMs`/`responseTimeMs`: when the
   * request went out and the response headers came back, for the Age arithmetic (§4.2.3).
   */
  put(
    key: string,
    requestHeaders: HeaderMap,
    requestTimeMs: number,
    responseTimeMs: number,
    status: number,
    responseHeaders: HeaderMap,
    body: Buffer,
  ): StoredResponse | undefined {
    if (body.length > this.#limits.maxEntryBytes) return undefined;
    const vary = varyNames(responseHeaders);
    if (vary === '*') return undefined;
    const headers = storedHeaders(responseHeaders);
    const entry: StoredResponse = {
      key,
      status,
      headers,
      cc: CacheControl.fromHeaders(headers),
      dateMs: parseHttpDate(responseHeaders.date) ?? responseTimeMs,
      requestTimeMs,
      responseTimeMs,
      ageValueS: receivedAge(responseHeaders),
      body,
      text: isAscii(body) ? body.toString('latin1') : undefined,
      lifetime: undefined,
      vary,
      varyValues: vary.map((name) => varyValue(requestHeaders, name)),
      size: entrySize(body, headers, key),
    };
    return this.store.put(entry) ? entry : undefined;
  }

  /**
   * A 304 to our revalidation: the stored response takes the 304's fields (§3.2, §4.3.4) and its times,
   * so its age starts again from this exchange.
   */
  refresh(
    entry: StoredResponse,
    notModified: HeaderMap,
    requestTimeMs: number,
    responseTimeMs: number,
  ): void {
    const merged: HeaderMap = { ...entry.headers };
    for (const [name, value] of Object.entries(storedHeaders(notModified))) {
      if (!NOT_UPDATED_BY_304.has(name)) merged[name] = value;
    }
    entry.headers = merged;
    entry.cc = CacheControl.fromHeaders(merged);
    entry.dateMs = parseHttpDate(notModified.date) ?? responseTimeMs;
    entry.requestTimeMs = requestTimeMs;
    entry.responseTimeMs = responseTimeMs;
    entry.ageValueS = receivedAge(notModified);
    entry.lifetime = undefined;
  }

  /** After an unsafe request succeeded: drops what is stored for `key` (§4.4). */
  invalidate(key: string): number {
    return this.store.invalidate(key);
  }

  /**
   * Request collapsing: the first caller for a key leads (`done` when its response is stored or known not
   * to be storable); others get the leader's promise to wait on before looking again.
   */
  beginFetch(key: string): { leader: true; done: () => void } | { leader: false; wait: Promise<void> } {
    const inFlight = this.#fetching.get(key);
    if (inFlight !== undefined) return { leader: false, wait: inFlight };
    let release!: () => void;
    const wait = new Promise<void>((resolve) => (release = resolve));
    this.#fetching.set(key, wait);
    return {
      leader: true,
      done: () => {
        if (this.#fetching.get(key) === wait) this.#fetching.delete(key);
        release();
      },
    };
  }
}

/** Request Cache-Control; `Pragma: no-cache` counts as `no-cache` only without Cache-Control (RFC 9111 §5.4). */
export function requestCacheControl(headers: HeaderMap): CacheControl {
  const cc = CacheControl.fromHeaders(headers);
  if (headers['cache-control'] !== undefined) return cc;
  const pragma = headers.pragma;
  if (
    pragma !== undefined &&
    /(^|,)\s*no-cache\s*(,|$)/i.test(Array.isArray(pragma) ? pragma.join(',') : pragma)
  )
    return new CacheControl(new Map([['no-cache', true]]));
  return cc;
}

/** The response's directive (seconds), capped by the policy's bound; the bound alone when it has none. */
/**
 * How long past its freshness a response may be served: the directive bounded by the policy, or the
 * policy's own window when the response has no directive — but only for a response that was fresh for a
 * while (`fillIn`). One the origin gave no freshness at all (no Cache-Control lifetime, no Expires, nothing
 * heuristic) was never allowed to be served unvalidated, so the policy doesn't make it servable stale
 * (nginx doesn't even store those without `proxy_cache_valid`).
 */
function staleWindow(
  directive: string | true | undefined,
  policyMs: number | undefined,
  fillIn: boolean,
): number {
  if (directive === undefined) return fillIn ? (policyMs ?? 0) : 0;
  const s = directive === true ? 0 : Number(/^\d+$/.test(directive) ? directive : 0);
  return policyMs === undefined ? s * 1000 : Math.min(s * 1000, policyMs);
}

/** What a stored response keeps of the upstream's fields: no connection-scoped ones, no Age, none of ours. */
function storedHeaders(headers: HeaderMap): HeaderMap {
  const out = withoutHopByHop(headers);
  const copy: HeaderMap = {};
  for (const name in out) {
    if (name === 'age' || name === 'x-weft-cache') continue;
    copy[name] = out[name];
  }
  return copy;
}
