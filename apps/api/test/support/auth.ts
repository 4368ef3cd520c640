/**
 * Signing in and calling the API the way the console and scripts do: POST /auth/login for a session
 * cookie, tRPC over HTTP with the cookie (and the CSRF header on mutations), tokens created by an admin.
 */
import { AuthHeaders, AuthPaths, type SessionInfo, type TokenCreate, type TokenSummary } from '@weft/schema';
import type { StartOptions } from '../../src/app.ts';
import { freePort } from './ports.ts';

export const TEST_ADMIN_PASSWORD = 'test-admin-password-0';

export async function testApiOptions(
  databaseUrl: string,
  overrides: Partial<StartOptions> = {},
): Promise<StartOptions> {
  return {
    host: '127.0.0.1',
    port: await freePort(),
    databaseUrl,
    proxyTtlSeconds: 15,
    heartbeatSeconds: 5,
    maxBodyBytes: 8 * 1024 * 1024,
    adminPassword: TEST_ADMIN_PASSWORD,
    ...overrides,
  };
}

export interface Session extends SessionInfo {
  cookie: string;
}

export async function signIn(
  apiUrl: string,
  username = 'admin',
  password = TEST_ADMIN_PASSWORD,
): Promise<Session> {
  const res = await fetch(`${apiUrl}${AuthPaths.login}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in as ${username} failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  return { ...((await res.json()) as SessionInfo), cookie };
}

export interface TrpcAnswer {
  status: number;
  body: {
    result?: { data: unknown };
    error?: { message: string; data?: { code?: string; httpStatus?: number } };
  };
}

/** One tRPC call over HTTP; never throws for an error answer. */
export async function trpcCall(
  apiUrl: string,
  session: Pick<Session, 'cookie' | 'csrfToken'> | null,
  procedure: string,
  input: unknown,
  type: 'query' | 'mutation',
): Promise<TrpcAnswer> {
  const headers: Record<string, string> = {};
  if (session) headers.cookie = session.cookie;
  let res: Response;
  if (type === 'query') {
    const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    res = await fetch(`${apiUrl}/trpc/${procedure}${query}`, { headers });
  } else {
    if (session) headers[AuthHeaders.csrf] = session.csrfToken;
    headers['content-type'] = 'application/json';
    res = await fetch(`${apiUrl}/trpc/${procedure}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(input ?? null),
    });
  }
  return { status: res.status, body: (await res.json()) as TrpcAnswer['body'] };
}

async function data<T>(answer: Promise<TrpcAnswer>, procedure: string): Promise<T> {
  const { status, body } = await answer;
  if (status !== 200 || !body.result)
    throw new Error(`${procedure} failed: ${status} ${JSON.stringify(body.error)}`);
  return body.result.data as T;
}

export function trpcQuery<T>(
  apiUrl: string,
  session: Session,
  procedure: string,
  input?: unknown,
): Promise<T> {
  return data<T>(trpcCall(apiUrl, session, procedure, input, 'query'), procedure);
}

export function trpcMutation<T>(
  apiUrl: string,
  session: Session,
  procedure: string,
  input: unknown,
): Promise<T> {
  return data<T>(trpcCall(apiUrl, session, procedure, input, 'mutation'), procedure);
}

export async function createToken(apiUrl: string, admin: Session, scope: TokenCreate): Promise<string> {
  const created = await trpcMutation<{ token: string; summary: TokenSummary }>(
    apiUrl,
    admin,
    'tokens.create',
    scope,
  );
  return created.token;
}

/** A workload token for service.namespace@version, named after it. */
export function workloadToken(
  apiUrl: string,
  admin: Session,
  w: { namespace: string; service: string; version?: string },
): Promise<string> {
  const version = w.version ?? 'v1';
  return createToken(apiUrl, admin, {
    kind: 'workload',
    name: `${w.service}.${w.namespace}@${version}`,
    namespace: w.namespace,
    service: w.service,
    version,
  });
}

/** Headers for an OTLP or registry call with a machine token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}
