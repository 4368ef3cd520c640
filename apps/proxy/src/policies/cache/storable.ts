/**
 * Whether a shared cache may store a response (RFC 9111 §3, §3.5, §5.2), as a careful reverse-proxy cache
 * decides it. Conservative where the RFC leaves room:
 * - Responses with Set-Cookie are not stored: a shared cache may store them, but serving one user's cookie
 *   to another is the classic cache leak (nginx and Varnish refuse them by default too).
 * - `private="field"` and `no-cache="field"` (qualified forms) count as unqualified: this cache does not
 *   store responses minus some fields, so it refuses (private) or always revalidates (no-cache).
 * - 206 Partial Content and responses with Content-Range are never stored (no range assembly here).
 * - HEAD responses are never stored (they may only refresh a stored GET response's headers, §4.3.5).
 */
import type { HeaderMap } from '../../http/exchange.ts';
import type { CacheControl } from './cache-control.ts';
import { hasExplicitFreshness, HEURISTICALLY_CACHEABLE } from './freshness.ts';

export type NotStorable =
  'method' | 'status' | 'no-store' | 'private' | 'authorization' | 'set-cookie' | 'vary-star' | 'partial';

export interface StoreCheck {
  readonly method: string;
  readonly requestHeaders: HeaderMap;
  readonly requestCc: CacheControl;
  readonly status: number;
  readonly responseHeaders: HeaderMap;
  readonly responseCc: CacheControl;
}

/** undefined when the response may be stored, else why not. */
export function whyNotStorable(c: StoreCheck): NotStorable | undefined {
  if (c.method !== 'GET') return 'method';
  if (c.status === 206 || c.responseHeaders['content-range'] !== undefined) return 'partial';
  if (c.status < 200 || c.status === 304) return 'status';
  if (c.requestCc.has('no-store') || c.responseCc.has('no-store')) return 'no-store';
  if (c.responseCc.has('private')) return 'private';
  if (
    c.requestHeaders.authorization !== undefined &&
    !c.responseCc.has('public') &&
    !c.responseCc.has('s-maxage') &&
    !c.responseCc.has('must-revalidate')
  )
    return 'authorization';
  if (c.responseHeaders['set-cookie'] !== undefined) return 'set-cookie';
  if (varyNames(c.responseHeaders) === '*') return 'vary-star';
  const explicit = hasExplicitFreshness(c.responseCc, c.responseHeaders);
  // Other statuses (302, 307, 500, …) only with explicit freshness or `public` (§3, §4.2.2).
  if (!explicit && !HEURISTICALLY_CACHEABLE.has(c.status) && !c.responseCc.has('public')) return 'status';
  return undefined;
}

/** The request fields a response varies on, lower-cased and sorted; `*` when it varies on anything. */
export function varyNames(headers: HeaderMap): readonly string[] | '*' {
  const v = headers.vary;
  if (v === undefined) return NO_VARY;
  const names = new Set<string>();
  for (const part of (Array.isArray(v) ? v.join(',') : v).split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '*') return '*';
    if (name !== '') names.add(name);
  }
  return names.size === 0 ? NO_VARY : [...names].sort();
}

const NO_VARY: readonly string[] = [];

/**
 * The value of a request field as Vary compares it (§4.1): field lines combined, whitespace around commas
 * normalised; an absent field is distinct from an empty one.
 */
export function varyValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  const joined = Array.isArray(v) ? v.join(',') : v;
  return joined
    .split(',')
    .map((s) => s.trim())
    .join(',');
}
