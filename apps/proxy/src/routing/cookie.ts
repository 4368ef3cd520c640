/**
 * Reading one cookie from a request's Cookie header, for split pins. RFC 6265 §4.2.1 / §5.4: `name=value`
 * pairs separated by ";" (and optional whitespace); names are case-sensitive; a value may be wrapped in
 * double quotes, which are not part of it (as Go's net/http and the `cookie` package read it). A pair
 * without "=" has no name (RFC 6265bis §5.6.3) and never matches. When a name appears twice, the first
 * one counts: browsers send the cookie with the longest path first. No percent-decoding: pins compare
 * the value exactly as the client sent it.
 */

export function cookieValue(
  header: string | readonly string[] | undefined,
  name: string,
): string | undefined {
  if (header === undefined) return undefined;
  // node:http joins repeated Cookie fields with "; " already; a list only comes from code.
  const text = typeof header === 'string' ? header : header.join('; ');
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(';', start);
    if (end === -1) end = text.length;
    const eq = text.indexOf('=', start);
    if (eq !== -1 && eq < end && text.slice(start, eq).trim() === name) {
      const value = text.slice(eq + 1, end).trim();
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
    start = end + 1;
  }
  return undefined;
}
