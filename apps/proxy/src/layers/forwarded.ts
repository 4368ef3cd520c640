/** Appends the client's address to `x-forwarded-for` and `forwarded` (RFC 7239), as every hop does. */
import type { HeaderMap } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';

export function forwardedFor(): Layer {
  return (next) => (req) => {
    const headers = req.headers;
    const client = unmapIpv4(req.remoteAddress);
    if (client !== '') {
      append(headers, 'x-forwarded-for', client);
      let element = `for=${client.includes(':') ? `"[${client}]"` : client}`;
      if (req.authority !== undefined) element += `;host=${quoteIfNeeded(req.authority)}`;
      append(headers, 'forwarded', `${element};proto=http`);
    }
    if (headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = 'http';
    return next(req);
  };
}

function append(headers: HeaderMap, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else headers[name] = `${Array.isArray(existing) ? existing.join(', ') : existing}, ${value}`;
}

function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function quoteIfNeeded(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
