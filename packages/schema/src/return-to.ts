/**
 * Where to send the user after signing in. Only a path on the console's own origin is accepted (never
 * `//evil.example`, `/\evil.example`, `https://…` or `javascript:`), so a crafted sign-in link cannot turn the
 * console into an open redirect. One rule for the console (route guard, sign-in page, client) and the API (OIDC sign-in).
 */

export const LOGIN_PATH = '/login';
export const RETURN_TO_PARAM = 'returnTo';

const MAX_RETURN_TO_LENGTH = 2048;
const ORIGIN = 'http://console.invalid';

/** A same-origin path (with query and hash) to return to, or '/' when `value` is not one. */
export function safeReturnTo(value: string | null | undefined): string {
  if (!value || value.length > MAX_RETURN_TO_LENGTH) return '/';
  // A relative path, and not protocol-relative. Browsers treat "\" like "/", and drop tabs and newlines.
  if (!value.startsWith('/') || value.startsWith('//')) return '/';
  if (value.includes('\\') || hasControlCharacter(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== ORIGIN) return '/';
  // Back to the sign-in page, or into the API's sign-in endpoints, would only loop.
  if (isLoginPath(url.pathname) || url.pathname === '/auth' || url.pathname.startsWith('/auth/')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function isLoginPath(pathname: string): boolean {
  return pathname === LOGIN_PATH || pathname.startsWith(`${LOGIN_PATH}/`);
}

/** `/login?returnTo=<path>` for a page the user wanted (the path is checked again when it is used). */
export function loginHref(returnTo?: string | null): string {
  const target = safeReturnTo(returnTo);
  if (target === '/') return LOGIN_PATH;
  return `${LOGIN_PATH}?${new URLSearchParams({ [RETURN_TO_PARAM]: target }).toString()}`;
}
