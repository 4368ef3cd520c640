/**
 * Connection-scoped fields (RFC 9110 §7.6.1) describe one connection and are never forwarded: Connection
 * and every field it names, plus the well-known ones below (Proxy-Connection and Keep-Alive are legacy
 * ones still sent by clients). The listener removes them from each request before any layer runs and
 * from each response after the last one, as Envoy's connection manager does, so a field a layer sets
 * (x-weft-source, traceparent, b3, …) cannot be removed by a client naming it in Connection.
 *
 * Where this differs from a general-purpose proxy, on purpose:
 * - Transfer-Encoding: node:http has already decoded the body, and undici frames it again (chunked or
 *   with the Content-Length, which is kept) on the next connection.
 * - TE goes entirely, `trailers` included: the HTTP/1.1 undici path relays no trailers, so promising the
 *   upstream that the client accepts them would be false. The listener notes a client's `te: trailers`
 *   itself, and the HTTP/2 terminal sends `te: trailers` on gRPC streams (upstream/h2-forward.ts).
 * - Upgrade goes too, from what layers see: a protocol switch (WebSocket) travels as `req.upgrade`, and
 *   the terminal puts `Connection: Upgrade` and the client's Upgrade back on its own upstream connection
 *   (upgrade/forward-upgrade.ts), so no layer can confuse it with a plain request's fields.
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
 * A copy of `headers` without connection-scoped fields (nor absent ones). A fresh object rather than `delete`
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
