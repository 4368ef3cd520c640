/**
 * Sign-in over plain HTTP (the console forwards /auth/* here unchanged): password sign-in with rate
 * limiting, sign-out, the list of providers, and the OIDC redirect pair.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AuthCookies,
  AuthHeaders,
  AuthLimits,
  AuthPaths,
  loginRequestSchema,
  safeReturnTo,
  type AuthProviders,
  type SessionInfo,
} from '@weft/schema';
import type { AuthServices } from '../auth/services.ts';
import { csrfMatches } from '../auth/sessions.ts';
import {
  clearOidcFlowCookie,
  clearSessionCookie,
  clientAddress,
  isSecureRequest,
  oidcFlowCookie,
  readCookie,
  sessionCookie,
} from '../auth/cookies.ts';
import { parseOrThrow } from '../ingest/validation.ts';
import { HttpError, readJsonBody, sendJson } from './body.ts';

const LOGIN_BODY_LIMIT = 8 * 1024;

function redirect(res: ServerResponse, location: string, cookies: string[]): void {
  res.writeHead(302, { location, 'set-cookie': cookies, 'cache-control': 'no-store' });
  res.end();
}

/** Handles /auth/*; returns false for other paths. */
export async function handleAuthRoute(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  auth: AuthServices,
  log: (line: string) => void,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  const secure = isSecureRequest(req, auth.secureCookies);
  switch (url.pathname) {
    case AuthPaths.login: {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      // JSON only: a cross-site HTML form cannot send it without a CORS preflight, so no login CSRF.
      const body = parseOrThrow(loginRequestSchema, await readJsonBody(req, LOGIN_BODY_LIMIT), 'sign-in');
      const userKey = {
        key: `user:${body.username.toLowerCase()}`,
        maxFailures: AuthLimits.loginFailuresPerUser,
      };
      const keys = [
        userKey,
        { key: `addr:${clientAddress(req)}`, maxFailures: AuthLimits.loginFailuresPerAddress },
      ];
      const waitMs = auth.loginLimiter.retryAfterMs(keys);
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        sendJson(
          res,
          429,
          { error: `too many failed sign-ins; try again in ${seconds} s` },
          { 'retry-after': String(seconds) },
        );
        return true;
      }
      // Counted as a failure before the (slow) password check, so parallel guesses can't slip past the limit.
      auth.loginLimiter.recordFailure(keys);
      const user = await auth.users.authenticate(body.username, body.password);
      if (!user) {
        sendJson(res, 401, { error: 'wrong username or password' });
        return true;
      }
      // Only the user's count is cleared: a valid account must not reset an address that is spraying others.
      auth.loginLimiter.recordSuccess([userKey]);
      const { cookieSecret, session } = await auth.sessions.create(user);
      const info: SessionInfo = { user, csrfToken: session.csrfToken, expiresAtMs: session.expiresAtMs };
      sendJson(res, 200, info, {
        'set-cookie': sessionCookie(cookieSecret, secure),
        'cache-control': 'no-store',
      });
      return true;
    }
    case AuthPaths.logout: {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      const secret = readCookie(req, AuthCookies.session);
      const session = secret ? await auth.sessions.resolve(secret) : null;
      if (secret && session) {
        const header = req.headers[AuthHeaders.csrf];
        if (!csrfMatches(secret, Array.isArray(header) ? header[0] : header)) {
          throw new HttpError(
            403,
            `sign-out needs the ${AuthHeaders.csrf} header with the session's csrfToken`,
          );
        }
        await auth.sessions.destroy(session.sessionIdHash);
      }
      res.writeHead(204, { 'set-cookie': clearSessionCookie(secure), 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    case AuthPaths.providers: {
      if (method !== 'GET') throw new HttpError(405, 'use GET');
      const providers: AuthProviders = { local: true, oidc: auth.oidc ? { name: auth.oidc.name } : null };
      sendJson(res, 200, providers);
      return true;
    }
    case AuthPaths.oidcStart: {
      if (method !== 'GET') throw new HttpError(405, 'use GET');
      if (!auth.oidc) {
        throw new HttpError(
          404,
          'OIDC sign-in is not configured: set WEFT_OIDC_ISSUER, WEFT_OIDC_CLIENT_ID and WEFT_OIDC_REDIRECT_URL',
        );
      }
      try {
        const { url: target, flowId } = await auth.oidc.start(safeReturnTo(url.searchParams.get('returnTo')));
        redirect(res, target, [oidcFlowCookie(flowId, secure)]);
      } catch (err) {
        log(`oidc: ${(err as Error).message}`);
        redirect(res, `/login?error=${encodeURIComponent((err as Error).message)}`, []);
      }
      return true;
    }
    case AuthPaths.oidcCallback: {
      if (method !== 'GET') throw new HttpError(405, 'use GET');
      if (!auth.oidc) throw new HttpError(404, 'OIDC sign-in is not configured');
      try {
        const { identity, returnTo } = await auth.oidc.finish(url.search, readCookie(req, AuthCookies.oidc));
        const user = await auth.users.upsertOidcUser(identity);
        const { cookieSecret } = await auth.sessions.create(user);
        redirect(res, safeReturnTo(returnTo), [
          sessionCookie(cookieSecret, secure),
          clearOidcFlowCookie(secure),
        ]);
      } catch (err) {
        log(`oidc: sign-in failed: ${(err as Error).message}`);
        redirect(res, `/login?error=${encodeURIComponent((err as Error).message)}`, [
          clearOidcFlowCookie(secure),
        ]);
      }
      return true;
    }
    default:
      return false;
  }
}
