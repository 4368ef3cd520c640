'use client';
/**
 * The browser's side of a session: the CSRF token every mutation echoes, what a 401 means (the session is
 * gone: sign in again, then come back), and signing out. The session itself is an HttpOnly cookie the API
 * sets through the console's /auth forwarder; scripts never see it.
 */
import { isTRPCClientError } from '@trpc/client';
import { AuthHeaders, AuthPaths, LOGIN_PATH, loginHref } from '@weft/schema';

/**
 * Holds the session's CSRF token for the tRPC link's `headers()`. One per console instance (created in
 * Providers), never module state: a module is shared by every request the server renders.
 */
export class CsrfStore {
  token: string | null = null;

  headers(): Record<string, string> {
    return this.token ? { [AuthHeaders.csrf]: this.token } : {};
  }
}

/** The error a tRPC call fails with when the caller has no (valid) session. */
export function isUnauthorized(error: unknown): boolean {
  if (!isTRPCClientError(error)) return false;
  const data = error.data as { code?: unknown; httpStatus?: unknown } | undefined;
  return data?.code === 'UNAUTHORIZED' || data?.httpStatus === 401;
}

export function isForbidden(error: unknown): boolean {
  if (!isTRPCClientError(error)) return false;
  const data = error.data as { code?: unknown; httpStatus?: unknown } | undefined;
  return data?.code === 'FORBIDDEN' || data?.httpStatus === 403;
}

let leaving = false;

/**
 * The session ended (expired, signed out elsewhere, revoked): to the sign-in page, then back here. A full
 * navigation, so nothing of the old session's data stays in memory.
 */
export function goToLogin(): void {
  if (typeof window === 'undefined' || leaving) return;
  const { pathname, search } = window.location;
  if (pathname === LOGIN_PATH) return;
  leaving = true;
  window.location.assign(loginHref(`${pathname}${search}`));
}

export class SignOutError extends Error {
  override name = 'SignOutError';
}

/**
 * Ends the session on the API (which clears the cookie), then loads the sign-in page. A session the API no
 * longer knows (401) counts as signed out; any other refusal is reported, since the cookie would still work.
 */
export async function signOut(csrfToken: string | null): Promise<void> {
  let response: Response;
  try {
    response = await fetch(AuthPaths.logout, {
      method: 'POST',
      headers: csrfToken ? { [AuthHeaders.csrf]: csrfToken } : {},
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (error) {
    throw new SignOutError(`could not reach the console server: ${(error as Error).message}`);
  }
  if (!response.ok && response.status !== 401) {
    throw new SignOutError(await errorText(response, 'sign-out refused'));
  }
  window.location.assign(LOGIN_PATH);
}

/** The `{ error }` message of an /auth/* answer, or a line naming the status. */
export async function errorText(response: Response, fallback: string): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string' && body.error) return body.error;
  } catch {
    // not JSON: fall through
  }
  return `${fallback} (HTTP ${response.status})`;
}
