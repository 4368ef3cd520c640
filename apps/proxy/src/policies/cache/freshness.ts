/**
 * How long a stored response stays fresh and how old it is (RFC 9111 §4.2), from the headers the cache
 * stored and the times it recorded; nothing here reads a clock.
 */
import type { CacheControl } from './cache-control.ts';
import type { HeaderMap } from '../../http/exchange.ts';
import { parseHttpDate } from './http-date.ts';

/** Status codes a shared cache may store and heuristically refresh without explicit freshness (RFC 9110 §15.1). */
export const HEURISTICALLY_CACHEABLE: ReadonlySet<number> = new Set([
  200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501,
]);

/** What the freshness rules read of a stored response. */
export interface FreshnessInput {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly cc: CacheControl;
  /** Date header of the response; the time it was received when it had none (RFC 9110 §6.6.1). */
  readonly dateMs: number;
  /** When the request that got it was sent, and when its response arrived (RFC 9111 §4.2.3). */
  readonly requestTimeMs: number;
  readonly responseTimeMs: number;
  /** The Age header the response came with, in seconds (0 when none or invalid). */
  readonly ageValueS: number;
}

export interface HeuristicLimits {
  /** Share of (Date − Last-Modified), 0–100; 0 disables heuristic freshness. */
  readonly heuristicPercent: number;
  readonly heuristicMaxMs: number;
}

export type LifetimeSource = 's-maxage' | 'max-age' | 'expires' | 'heuristic' | 'none';

export interface Lifetime {
  readonly ms: number;
  readonly source: LifetimeSource;
}

/** s-maxage (shared caches) > max-age > Expires − Date > heuristic (§4.2.1, §4.2.2). */
export function freshnessLifetime(r: FreshnessInput, limits: HeuristicLimits): Lifetime {
  const sMaxage = r.cc.seconds('s-maxage');
  if (sMaxage !== undefined) return { ms: sMaxage === 'invalid' ? 0 : sMaxage * 1000, source: 's-maxage' };
  const maxAge = r.cc.seconds('max-age');
  if (maxAge !== undefined) return { ms: maxAge === 'invalid' ? 0 : maxAge * 1000, source: 'max-age' };
  const expires = r.headers.expires;
  if (expires !== undefined) {
    // An Expires that is not a valid date (often "0" or "-1") means already expired (§5.3).
    const at = parseHttpDate(expires);
    return { ms: at === undefined ? 0 : Math.max(0, at - r.dateMs), source: 'expires' };
  }
  if (heuristicAllowed(r) && limits.heuristicPercent > 0) {
    const lastModified = parseHttpDate(r.headers['last-modified']);
    if (lastModified !== undefined && lastModified < r.dateMs) {
      const ms = Math.min(((r.dateMs - lastModified) * limits.heuristicPercent) / 100, limits.heuristicMaxMs);
      return { ms: Math.floor(ms / 1000) * 1000, source: 'heuristic' };
    }
  }
  return { ms: 0, source: 'none' };
}

/** Heuristic freshness only for statuses cacheable by default, or marked `public` (§4.2.2). */
export function heuristicAllowed(r: Pick<FreshnessInput, 'status' | 'cc'>): boolean {
  return HEURISTICALLY_CACHEABLE.has(r.status) || r.cc.has('public');
}

/** True when the response states its freshness itself (s-maxage, max-age or Expires). */
export function hasExplicitFreshness(cc: CacheControl, headers: HeaderMap): boolean {
  return cc.has('s-maxage') || cc.has('max-age') || headers.expires !== undefined;
}

/**
 * current_age (§4.2.3), in ms:
 *   apparent_age = max(0, response_time − date_value)
 *   corrected_age_value = age_value + (response_time − request_time)
 *   corrected_initial_age = max(apparent_age, corrected_age_value)
 *   current_age = corrected_initial_age + (now − response_time)
 */
export function currentAgeMs(r: FreshnessInput, nowMs: number): number {
  const apparentAge = Math.max(0, r.responseTimeMs - r.dateMs);
  const responseDelay = Math.max(0, r.responseTimeMs - r.requestTimeMs);
  const correctedAgeValue = r.ageValueS * 1000 + responseDelay;
  const correctedInitialAge = Math.max(apparentAge, correctedAgeValue);
  const residentTime = Math.max(0, nowMs - r.responseTimeMs);
  return correctedInitialAge + residentTime;
}

/** The Age header value (§5.1): non-negative integer seconds. */
export function ageHeaderSeconds(ageMs: number): number {
  return Math.max(0, Math.floor(ageMs / 1000));
}

/** The Age field a response arrived with, in seconds; 0 when absent or not delta-seconds. */
export function receivedAge(headers: HeaderMap): number {
  const v = headers.age;
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return 0;
  const trimmed = first.trim();
  if (!/^\d+$/.test(trimmed)) return 0;
  return Math.min(Number(trimmed), 2_147_483_648);
}

/** Stale responses must not be served without revalidation (§5.2.2.2, §5.2.2.8, §5.2.2.10 for shared caches). */
export function mustRevalidateWhenStale(cc: CacheControl): boolean {
  return cc.has('must-revalidate') || cc.has('proxy-revalidate') || cc.has('s-maxage');
}
