/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) describe one connection and are never forwarded: Connection and
 * every field it names, plus the well-known ones below (Proxy-Connection and Keep-Alive are legacy ones
 * still sent by clients).
 */
import type { HeaderMap } from './exchange.ts';

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/**
 * A copy of `headers` without hop-by-hop fields (nor absent ones). A fresh object rather than `delete`
 * on the original: deleting turns V8 objects into slow dictionaries for every later layer.
 */
export function withoutHopByHop(headers: HeaderMap): HeaderMap {
  const connection = headers.connection;
  let named: Set<string> | undefined;
  if (connection !== undefined) {
    named = new Set();
    for (const token of (Array.isArray(connection) ? connection.join(',') : connection).split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') named.add(name);
    }
  }
  const out: HeaderMap = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name) === true) continue;
    out[name] = value;
  }
  return out;
}
