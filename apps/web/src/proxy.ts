/**
 * Route guard (Next 16's `proxy`, formerly `middleware`): a console page requested without a session cookie
 * goes to the sign-in page, with the page to come back to. Only the cookie's presence is checked here; whether
 * the session is valid, and what its role may see, the API decides on every call (an expired session answers
 * 401, and the client then sends the user to the sign-in page too).
 */
import { NextResponse, type NextRequest } from 'next/server';
import { AuthCookies } from '@weft/schema';
import { LOGIN_PATH, RETURN_TO_PARAM, safeReturnTo } from '@weft/schema';

export function proxy(request: NextRequest): NextResponse {
  if (request.cookies.has(AuthCookies.session)) return NextResponse.next();
  const wanted = request.nextUrl.clone();
  // A client-side navigation's RSC fetch: come back to the page, not to its payload.
  wanted.searchParams.delete('_rsc');
  const returnTo = safeReturnTo(`${wanted.pathname}${wanted.search}`);
  const login = new URL(LOGIN_PATH, request.url);
  if (returnTo !== '/') login.searchParams.set(RETURN_TO_PARAM, returnTo);
  return NextResponse.redirect(login);
}

export const config = {
  // Every page but the sign-in page; not the forwarded API paths, Next's own files or the icon.
  matcher: ['/((?!login|auth/|trpc/|_next/|favicon\\.ico|icon\\.svg).*)'],
};
