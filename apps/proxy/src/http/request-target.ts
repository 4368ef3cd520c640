/** The request target of an HTTP/1.1 request (RFC 9112 §3.2): origin-form, absolute-form or asterisk-form. */

export interface RequestTarget {
  /** host[:port]; from the absolute-form URI, else the Host header. */
  authority: string | undefined;
  /** origin-form to send upstream: "/path?query" (or "*"). */
  path: string;
}

/**
 * Null when the target cannot be forwarded (a scheme other than http, garbage, or `*` with a method other
 * than OPTIONS). `method` only matters for OPTIONS: `OPTIONS http://catalog.shop` asks about the server,
 * so it goes on as `OPTIONS *` (RFC 9112 §3.2.4), and `*` is meaningful with OPTIONS only.
 */
export function parseRequestTarget(
  url: string,
  hostHeader: string | undefined,
  method = 'GET',
): RequestTarget | null {
  const first = url.charCodeAt(0);
  if (first === 47 /* '/' */) return { authority: hostHeader, path: url };
  if (url === '*') return method === 'OPTIONS' ? { authority: hostHeader, path: url } : null;
  if (url.length > 7 && url.slice(0, 7).toLowerCase() === 'http://') {
    let end = 7;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 47 || c === 63 || c === 35) break; // '/', '?', '#'
      end++;
    }
    const authority = url.slice(7, end);
    if (authority === '' || authority.includes('@')) return null;
    let rest = url.slice(end);
    const hash = rest.indexOf('#');
    if (hash !== -1) rest = rest.slice(0, hash);
    const path =
      rest === '' ? (method === 'OPTIONS' ? '*' : '/') : rest.charCodeAt(0) === 63 ? `/${rest}` : rest;
    return { authority, path };
  }
  return null;
}

/** "/items?id=1" → "/items": span names and path attributes never carry the query. */
export function pathWithoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}
