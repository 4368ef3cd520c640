/**
 * The launcher's own calls to the API: sign in as admin (POST /auth/login), tRPC queries and mutations with
 * that session (tRPC 11 over HTTP, non-batched, no transformer), and the demo's workload tokens — revoke the
 * ones an earlier run issued, create one per proxy. Token values are returned to the caller only: they never
 * appear in messages or errors.
 */
import { request } from 'undici';
import {
  AuthCookies,
  AuthHeaders,
  AuthPaths,
  type SessionInfo,
  type TokenCreate,
  type TokenSummary,
} from '@weft/schema';
import { sleep } from '../common/net.ts';

export interface ApiSession {
  /** "weft_session=…", ready for a Cookie header. */
  cookie: string;
  csrfToken: string;
  info: SessionInfo;
}

/** Anything that went wrong talking to the API. `status` is null when it did not answer at all. */
export class ApiCallError extends Error {
  override name = 'ApiCallError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }

  /** Worth trying again: no answer, or a 5xx. */
  get transient(): boolean {
    return this.status === null || this.status >= 500;
  }
}

/** The API answered the sign-in with 401 (wrong credentials) or 429 (too many failures). */
export class SignInRefusedError extends Error {
  override name = 'SignInRefusedError';
  constructor(
    message: string,
    readonly reason: 'wrong-password' | 'rate-limited',
    /** From Retry-After on a 429, when given. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  /** Per-request limit for headers and body. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export class ApiClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;

  constructor(baseUrl: string, options: ApiClientOptions = {}) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.signal = options.signal;
  }

  private async send(
    what: string,
    method: 'GET' | 'POST',
    pathAndQuery: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer> {
    try {
      const res = await request(`${this.base}${pathAndQuery}`, {
        method,
        headers,
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: this.signal,
      });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    } catch (e) {
      throw new ApiCallError(
        `${what}: the API at ${this.base} did not answer (${(e as Error).message})`,
        null,
      );
    }
  }

  /** POST /auth/login. Throws SignInRefusedError on 401/429, ApiCallError otherwise. */
  async login(username: string, password: string): Promise<ApiSession> {
    const what = `signing in as ${username}`;
    const res = await this.send(
      what,
      'POST',
      AuthPaths.login,
      { 'content-type': 'application/json' },
      JSON.stringify({ username, password }),
    );
    if (res.status === 401)
      throw new SignInRefusedError(`${what}: wrong username or password (401)`, 'wrong-password');
    if (res.status === 429) {
      const retryAfter = Number(res.headers['retry-after']);
      throw new SignInRefusedError(
        `${what}: too many failed sign-ins, try later (429)`,
        'rate-limited',
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      );
    }
    if (res.status !== 200)
      throw new ApiCallError(`${what}: the API answered ${res.status}: ${excerpt(res.text)}`, res.status);
    const cookie = sessionCookie(res.headers['set-cookie']);
    if (!cookie)
      throw new ApiCallError(`${what}: the API answered 200 without a ${AuthCookies.session} cookie`, 200);
    let info: SessionInfo;
    try {
      info = JSON.parse(res.text) as SessionInfo;
    } catch {
      throw new ApiCallError(`${what}: the API answered 200 with a body that is not JSON`, 200);
    }
    if (typeof info?.csrfToken !== 'string' || info.csrfToken === '')
      throw new ApiCallError(`${what}: the API's answer has no csrfToken`, 200);
    return { cookie, csrfToken: info.csrfToken, info };
  }

  /**
   * login() with bounded retries for transient failures (no answer, 5xx). A refusal (401/429) is final at once:
   * retrying a wrong password only uses up the API's failed-sign-in allowance.
   */
  async loginWithRetries(
    username: string,
    password: string,
    { attempts = 5, delayMs = 500 }: { attempts?: number; delayMs?: number } = {},
  ): Promise<ApiSession> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.login(username, password);
      } catch (e) {
        const retry = e instanceof ApiCallError && e.transient && attempt < attempts && !this.signal?.aborted;
        if (!retry) {
          if (e instanceof ApiCallError && attempt > 1)
            e.message = `${e.message} (after ${attempt} attempts)`;
          throw e;
        }
        await sleep(delayMs * attempt, this.signal);
      }
    }
  }

  /** Best effort: ends the session (POST /auth/logout). */
  async logout(session: ApiSession): Promise<void> {
    try {
      await this.send('signing out', 'POST', AuthPaths.logout, authHeaders(session, true), '{}');
    } catch {
      // the session expires by itself
    }
  }

  /** GET /trpc/<procedure>?input=… with the session cookie. */
  async query<T>(session: ApiSession, procedure: string, input?: unknown): Promise<T> {
    const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const res = await this.send(procedure, 'GET', `/trpc/${procedure}${qs}`, authHeaders(session, false));
    return trpcResult<T>(procedure, res);
  }

  /** POST /trpc/<procedure> with the session cookie and its CSRF token. */
  async mutate<T>(session: ApiSession, procedure: string, input: unknown): Promise<T> {
    const res = await this.send(
      procedure,
      'POST',
      `/trpc/${procedure}`,
      authHeaders(session, true),
      JSON.stringify(input ?? null),
    );
    return trpcResult<T>(procedure, res);
  }
}

function authHeaders(session: ApiSession, mutation: boolean): Record<string, string> {
  const h: Record<string, string> = { cookie: session.cookie };
  if (mutation) {
    h[AuthHeaders.csrf] = session.csrfToken;
    h['content-type'] = 'application/json';
  }
  return h;
}

/** "weft_session=<value>" from Set-Cookie header(s), or null. */
export function sessionCookie(setCookie: string | string[] | undefined): string | null {
  const all = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  for (const header of all) {
    const pair = header.split(';', 1)[0]!.trim();
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq) === AuthCookies.session && eq < pair.length - 1) return pair;
  }
  return null;
}

function excerpt(text: string, max = 200): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t || '(empty body)';
}

/** Unwraps {"result":{"data":…}}; turns {"error":{"message":…}} and non-JSON answers into ApiCallError. */
function trpcResult<T>(procedure: string, res: Answer): T {
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new ApiCallError(`${procedure}: the API answered ${res.status}: ${excerpt(res.text)}`, res.status);
  }
  const b = body as { result?: { data?: unknown }; error?: { message?: unknown } };
  if (res.status === 200 && b.result && 'data' in b.result) return b.result.data as T;
  const message = typeof b.error?.message === 'string' ? b.error.message : excerpt(res.text);
  throw new ApiCallError(`${procedure}: the API answered ${res.status}: ${message}`, res.status);
}

// ---------------------------------------------------------------------------------------------- tokens

/** Every token the demo creates is named "demo:<proxy id>", so the next run can revoke them. */
export const DEMO_TOKEN_PREFIX = 'demo:';

export const demoTokenName = (proxyId: string): string => `${DEMO_TOKEN_PREFIX}${proxyId}`;

export interface WorkloadIdentity {
  proxyId: string;
  namespace: string;
  service: string;
  version: string;
}

interface CreatedToken {
  token: string;
  summary: TokenSummary;
}

/** tokens.list answers the list itself or an object holding it; accept both. */
function tokenList(data: unknown): TokenSummary[] {
  if (Array.isArray(data)) return data as TokenSummary[];
  if (data && typeof data === 'object') {
    for (const v of Object.values(data)) if (Array.isArray(v)) return v as TokenSummary[];
  }
  throw new ApiCallError('tokens.list: the API answered something that is not a list of tokens', 200);
}

/** Revokes every unrevoked token named "demo:…" (from earlier runs). Returns how many. */
export async function revokeDemoTokens(api: ApiClient, session: ApiSession): Promise<number> {
  const tokens = tokenList(await api.query<unknown>(session, 'tokens.list'));
  const stale = tokens.filter((t) => t.name.startsWith(DEMO_TOKEN_PREFIX) && t.revokedAtMs == null);
  for (const t of stale) await api.mutate(session, 'tokens.revoke', { id: t.id });
  return stale.length;
}

/** One workload token per workload, scoped to exactly its namespace/service/version. Keyed by proxy id. */
export async function createWorkloadTokens(
  api: ApiClient,
  session: ApiSession,
  workloads: readonly WorkloadIdentity[],
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const w of workloads) {
    const input: TokenCreate = {
      kind: 'workload',
      name: demoTokenName(w.proxyId),
      namespace: w.namespace,
      service: w.service,
      version: w.version,
    };
    const created = await api.mutate<CreatedToken>(session, 'tokens.create', input);
    if (typeof created?.token !== 'string' || created.token === '')
      throw new ApiCallError(`tokens.create for ${w.proxyId}: the API's answer has no token`, 200);
    tokens.set(w.proxyId, created.token);
  }
  return tokens;
}

/**
 * An ingest token for a service that sends OTLP itself (OpenTelemetry SDK, no proxy), scoped to exactly its
 * namespace and service. Named "demo:<service>.<namespace>" like the workload tokens, so the next run revokes it.
 */
export async function createIngestToken(
  api: ApiClient,
  session: ApiSession,
  service: { namespace: string; service: string },
): Promise<string> {
  const input: TokenCreate = {
    kind: 'ingest',
    name: demoTokenName(`${service.service}.${service.namespace}`),
    namespace: service.namespace,
    service: service.service,
  };
  const created = await api.mutate<CreatedToken>(session, 'tokens.create', input);
  if (typeof created?.token !== 'string' || created.token === '')
    throw new ApiCallError(`tokens.create for ${input.name}: the API's answer has no token`, 200);
  return created.token;
}
