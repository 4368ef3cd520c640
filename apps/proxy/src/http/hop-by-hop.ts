/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) describe one connection and are never forwarded: Connection and
 * every field it names, plus the well-known ones below (Proxy-Connection and Keep-Alive are legacy ones
 * still sent by clients).
 */
import type { HeaderMap } from './exchange.ts';

const HOP_BY_HOP = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
] as const;

export function stripHopByHop(headers: HeaderMap): void {
  const connection = headers.connection;
  if (connection !== undefined) {
    const value = Array.isArray(connection) ? connection.join(',') : connection;
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && Object.hasOwn(headers, name)) delete headers[name];
    }
  }
  for (const name of HOP_BY_HOP) {
    if (headers[name] !== undefined) delete headers[name];
  }
}
