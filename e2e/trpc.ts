/**
 * Calling the API the way a script would, through the console's /trpc route with a browser context's session
 * cookie: what the specs use to check what is stored (not what the page shows) and to prove that the API, not
 * only the page, refuses what a role may not do.
 */
import { expect, type APIRequestContext, type APIResponse } from '@playwright/test';

/** The CSRF token of the session `request` carries (auth.me hands it out; mutations echo it). */
export async function csrfTokenOf(request: APIRequestContext): Promise<string> {
  const me = await request.get('/trpc/auth.me');
  expect(me.status(), 'auth.me').toBe(200);
  const body = (await me.json()) as { result: { data: { csrfToken: string } | null } };
  if (!body.result.data) throw new Error('auth.me: this browser context is not signed in');
  return body.result.data.csrfToken;
}

/** A tRPC mutation (one call, not batched) with the session's CSRF header. */
export function trpcMutation(
  request: APIRequestContext,
  procedure: string,
  csrfToken: string,
  input: unknown,
): Promise<APIResponse> {
  return request.post(`/trpc/${procedure}`, { headers: { 'x-weft-csrf': csrfToken }, data: input });
}

/** A tRPC query (one call, not batched). */
export function trpcQuery(
  request: APIRequestContext,
  procedure: string,
  input: unknown,
): Promise<APIResponse> {
  return request.get(`/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`);
}

/** The tRPC error code of a failed call (FORBIDDEN, NOT_FOUND, CONFLICT, …). */
export async function trpcErrorCode(response: APIResponse): Promise<string | undefined> {
  const body = (await response.json()) as { error?: { data?: { code?: string } } };
  return body.error?.data?.code;
}

/** The `data` of a successful tRPC answer. */
export async function trpcData<T>(response: APIResponse): Promise<T> {
  expect(response.status(), `${response.url()}: ${await response.text()}`).toBe(200);
  return ((await response.json()) as { result: { data: T } }).result.data;
}
