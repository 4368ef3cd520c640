/**
 * The client's own conditional GET/HEAD evaluated against a stored response (RFC 9111 §4.3.2, RFC 9110
 * §13.1): If-None-Match with the weak comparison, else If-Modified-Since against Last-Modified (or Date).
 * When it holds, the cache answers 304 itself.
 */
import type { HeaderMap } from '../../http/exchange.ts';
import type { StoredResponse } from './cache-store.ts';
import { parseHttpDate } from './http-date.ts';

export function clientConditionMet(
  entry: Pick<StoredResponse, 'headers' | 'dateMs' | 'status'>,
  request: HeaderMap,
): boolean {
  if (entry.status !== 200) return false;
  const inm = request['if-none-match'];
  if (inm !== undefined) {
    const etag = entry.headers.etag;
    if (typeof etag !== 'string') return false;
    const list = Array.isArray(inm) ? inm.join(',') : inm;
    if (list.trim() === '*') return true;
    const mine = opaqueTag(etag);
    return entityTags(list).some((t) => opaqueTag(t) === mine);
  }
  const ims = parseHttpDate(request['if-modified-since']);
  if (ims === undefined) return false;
  const lastModified = parseHttpDate(entry.headers['last-modified']) ?? entry.dateMs;
  return lastModified <= ims;
}

/** Weak comparison: W/ does not count. */
function opaqueTag(tag: string): string {
  const t = tag.trim();
  return t.startsWith('W/') ? t.slice(2) : t;
}

/** Entity tags of an If-None-Match list (commas may appear inside the quotes). */
function entityTags(list: string): string[] {
  return list.match(/(?:W\/)?"[^"]*"/g) ?? [];
}
