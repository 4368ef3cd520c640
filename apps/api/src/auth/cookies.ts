/** Cookie parsing and the Set-Cookie values for the session and the OIDC flow. */
import type { IncomingMessage } from 'node:http';
import { AuthCookies, AuthLimits } from '@weft/schema';

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed value is no session, not a server error.
      return undefined;
    }
  }
  return undefined;
}

function cookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  const attrs = [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAgeSeconds}`,
  ];
  if (secure) attrs.push('Secure');
  return attrs.join('; ');
}

export function sessionCookie(secret: string, secure: boolean): string {
  return cookie(AuthCookies.session, secret, AuthLimits.sessionMaxAgeSeconds, secure);
}

export function clearSessionCookie(secure: boolean): string {
  return cookie(AuthCookies.session, '', 0, secure);
}

export function oidcFlowCookie(flowId: string, secure: boolean): string {
  return cookie(AuthCookies.oidc, flowId, 600, secure);
}

export function clearOidcFlowCookie(secure: boolean): string {
  return cookie(AuthCookies.oidc, '', 0, secure);
}

/** Whether the caller reached us over TLS: the socket itself, or the console's X-Forwarded-Proto. */
export function isSecureRequest(req: IncomingMessage, mode: 'auto' | 'always' | 'never'): boolean {
  if (mode !== 'auto') return mode === 'always';
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  const proto = req.headers['x-forwarded-proto'];
  return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim() === 'https';
}

/**
 * The client's address for rate limiting. X-Forwarded-For is believed only from a loopback peer (the
 * console on the same host); anyone else could write anything there.
 */
export function clientAddress(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const loopback = peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return loopback && first ? first.slice(0, 64) : peer;
}
