/**
 * The API over plain fetch: sign-in and sign-out (/auth/*), and tRPC calls the way the console makes them
 * (query: GET /trpc/<proc>?input=<JSON>; mutation: POST with the JSON input, the session cookie and the CSRF
 * header). Every failure becomes a CliError whose message says what to do about it.
 */
import { AuthCookies, AuthHeaders, AuthPaths, roleAtLeast, type Role, type SessionInfo } from '@weft/schema';
import {
  ApiError,
  AuthError,
  CliError,
  ExitCode,
  UnreachableError,
  UnsupportedError,
  type ApiFinding,
} from './errors.ts';
import type { SavedSession } from './config.ts';

export type Credentials =
  { kind: 'session'; session: SavedSession } | { kind: 'token'; token: string } | { kind: 'none' };

export const LOGIN_HINT = 'weft login --username USER --password-stdin';

/** The weakest role each procedure the CLI calls needs (the API's own message usually says it too). */
const PROCEDURE_ROLES: Readonly<Record<string, Role>> = {
  'policies.upsert': 'editor',
  'policies.delete': 'editor',
};

export function roleFor(procedure: string): Role {
  return PROCEDURE_ROLES[procedure] ?? 'viewer';
}

interface TrpcErrorBody {
  message?: string;
  data?: {
    code?: string;
    httpStatus?: number;
    findings?: ApiFinding[];
    zodError?: { formErrors?: string[]; fieldErrors?: Record<string, string[] | undefined> } | null;
  };
}

interface TrpcBody {
  result?: { data?: unknown };
  error?: TrpcErrorBody;
}

const NO_PROCEDURE = /^No (procedure found|"\w+"-procedure) on path/;

export interface ClientOptions {
  apiUrl: string;
  credentials: Credentials;
  fetch: typeof fetch;
  timeoutMs?: number;
  /** Called when the API refuses a saved session (expired, signed out elsewhere). */
  onSessionRejected?: () => void;
}

export class ApiClient {
  readonly apiUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: ClientOptions) {
    this.apiUrl = options.apiUrl;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  query<T>(procedure: string, input?: unknown): Promise<T> {
    const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    return this.call<T>(procedure, `${this.apiUrl}/trpc/${procedure}${query}`, { method: 'GET' });
  }

  mutation<T>(procedure: string, input: unknown): Promise<T> {
    return this.call<T>(procedure, `${this.apiUrl}/trpc/${procedure}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input ?? null),
    });
  }

  /** POST /auth/login; the session to save. */
  async login(username: string, password: string): Promise<SavedSession> {
    const res = await this.send(`${this.apiUrl}${AuthPaths.login}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = await this.readJson<SessionInfo & { error?: string }>(res);
    if (res.status === 401)
      throw new AuthError(`sign-in refused: ${body.error ?? 'wrong username or password'}`);
    if (res.status !== 200) {
      throw new CliError(`sign-in failed (${res.status}): ${body.error ?? res.statusText}`, ExitCode.failed);
    }
    const prefix = `${AuthCookies.session}=`;
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]?.trim() ?? '')
      .find((c) => c.startsWith(prefix));
    if (!cookie || !body.csrfToken) {
      throw new CliError(
        `the API at ${this.apiUrl} signed you in but sent no ${AuthCookies.session} cookie or csrfToken`,
        ExitCode.failed,
      );
    }
    return {
      cookie,
      csrfToken: body.csrfToken,
      username: body.user.username,
      role: body.user.role,
      expiresAtMs: body.expiresAtMs,
    };
  }

  /** POST /auth/logout with the session; ends it on the server. */
  async logout(session: SavedSession): Promise<void> {
    const res = await this.send(`${this.apiUrl}${AuthPaths.logout}`, {
      method: 'POST',
      headers: { cookie: session.cookie, [AuthHeaders.csrf]: session.csrfToken },
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 400) {
      throw new CliError(`the API did not end the session (${res.status})`, ExitCode.failed);
    }
  }

  private authHeaders(method: string): Record<string, string> {
    const c = this.options.credentials;
    if (c.kind === 'token') return { authorization: `Bearer ${c.token}` };
    if (c.kind === 'session') {
      const headers: Record<string, string> = { cookie: c.session.cookie };
      if (method !== 'GET') headers[AuthHeaders.csrf] = c.session.csrfToken;
      return headers;
    }
    return {};
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.options.fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw this.unreachable(err);
    }
  }

  private unreachable(err: unknown): UnreachableError {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `no answer within ${this.timeoutMs / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message ?? String(err));
    return new UnreachableError(
      `cannot reach the Weft API at ${this.apiUrl} (${why}): is it running? ` +
        'Point the CLI at it with --api URL or WEFT_API_URL',
    );
  }

  private async readJson<T>(res: Response): Promise<T> {
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.unreachable(err);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `the server at ${this.apiUrl} answered ${res.status} with something other than JSON: is it a Weft API?`,
        ExitCode.failed,
      );
    }
  }

  private async call<T>(procedure: string, url: string, init: RequestInit): Promise<T> {
    const method = init.method ?? 'GET';
    const res = await this.send(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...this.authHeaders(method) },
    });
    const body = await this.readJson<TrpcBody>(res);
    if (res.ok && body.result) return body.result.data as T;
    throw this.toError(procedure, res.status, body.error ?? { message: res.statusText });
  }

  private toError(procedure: string, status: number, error: TrpcErrorBody): CliError {
    const message = error.message ?? `HTTP ${status}`;
    const code = error.data?.code ?? '';
    const httpStatus = error.data?.httpStatus ?? status;
    const credentials = this.options.credentials;
    if (httpStatus === 401 || code === 'UNAUTHORIZED') {
      if (credentials.kind === 'token') {
        return new AuthError(`the API at ${this.apiUrl} refused the token in WEFT_TOKEN (401: ${message})`, [
          'WEFT_TOKEN must be an API token: an admin creates one in the console (Admin → Tokens → API (weft CLI)); workload and ingest tokens are for proxies and OTLP senders.',
          `Unset WEFT_TOKEN and sign in instead: ${LOGIN_HINT}`,
        ]);
      }
      if (credentials.kind === 'session') {
        this.options.onSessionRejected?.();
        return new AuthError(
          `your session for ${this.apiUrl} has expired or was signed out: run ${LOGIN_HINT}`,
        );
      }
      return new AuthError(`not signed in to ${this.apiUrl}: run ${LOGIN_HINT}`);
    }
    if (httpStatus === 403 || code === 'FORBIDDEN') {
      const role = roleFor(procedure);
      const userRole = credentials.kind === 'session' ? credentials.session.role : undefined;
      if (/x-weft-csrf|csrf/i.test(message)) {
        return new AuthError(`the API refused the saved session's CSRF token: run ${LOGIN_HINT} again`);
      }
      const hint =
        userRole && !roleAtLeast(userRole as Role, role)
          ? ` (${procedure} needs the ${role} role; you are ${userRole})`
          : message.includes('role')
            ? ''
            : ` (${procedure} needs the ${role} role)`;
      return new AuthError(`forbidden: ${message}${hint}`, [
        'Ask an admin for a stronger role (Admin → Users in the console).',
      ]);
    }
    if (NO_PROCEDURE.test(message)) {
      return new UnsupportedError(
        `the API at ${this.apiUrl} does not support this yet: it has no ${procedure} procedure (update the API)`,
      );
    }
    const details: string[] = [];
    const zod = error.data?.zodError;
    if (zod) {
      details.push(...(zod.formErrors ?? []));
      for (const [field, messages] of Object.entries(zod.fieldErrors ?? {})) {
        if (messages?.length) details.push(`${field}: ${messages.join('; ')}`);
      }
    }
    return new ApiError(message, procedure, httpStatus, code, error.data?.findings ?? [], details);
  }
}
