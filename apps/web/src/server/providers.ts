/**
 * The sign-in methods the API offers, asked server-side while rendering the sign-in page, so the page arrives
 * complete (no single-sign-on button popping in later).
 */
import { AuthPaths, type AuthProviders } from '@weft/schema';
import { serverEnv } from './env.ts';

export type ProvidersAnswer = { ok: true; providers: AuthProviders } | { ok: false; message: string };

const PROVIDERS_TIMEOUT_MS = 3_000;

export async function fetchAuthProviders(): Promise<ProvidersAnswer> {
  const { WEFT_API_URL: apiUrl } = serverEnv();
  try {
    const response = await fetch(`${apiUrl}${AuthPaths.providers}`, {
      cache: 'no-store',
      signal: AbortSignal.timeout(PROVIDERS_TIMEOUT_MS),
    });
    if (!response.ok) return { ok: false, message: `the API answered HTTP ${response.status}` };
    const body = (await response.json()) as Partial<AuthProviders>;
    const oidc = body.oidc && typeof body.oidc.name === 'string' ? { name: body.oidc.name } : null;
    return { ok: true, providers: { local: true, oidc } };
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'no answer' : 'not reachable';
    return {
      ok: false,
      message: `API unreachable at ${apiUrl} (${reason}). Start the API, or set WEFT_API_URL for the console server.`,
    };
  }
}
