/**
 * HTTP to the control plane (registration, config, OTLP push): its own keep-alive connections, every
 * call bounded in time, the workload token attached as `Authorization: Bearer` when configured (and
 * never written to a log). Never shared with the data path.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'undici';

export interface ControlPlaneResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface SendOptions {
  json?: unknown;
  /** A body already serialised as JSON. */
  jsonText?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** What the control-plane clients need; ControlPlaneHttp is the real one, unit tests pass stubs. */
export interface ControlPlaneClient {
  readonly baseUrl: string;
  /** Whether calls carry a workload token (for saying why a 401 came back). */
  readonly hasToken: boolean;
  url(path: string): string;
  send(method: 'GET' | 'POST' | 'DELETE', path: string, options?: SendOptions): Promise<ControlPlaneResponse>;
}

/** A response whose body is read as it arrives (the config stream). */
export interface StreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: AsyncIterable<Uint8Array>;
  /** The whole body as text, for an answer that is not a stream (an error). */
  text(): Promise<string>;
  /** Stops reading and drops the connection. */
  close(): void;
}

export interface StreamOptions {
  headers?: Record<string, string>;
  /** Time allowed for the response headers. */
  headersTimeoutMs: number;
  /** Longest silence between two chunks of the body before the stream counts as dead. */
  idleTimeoutMs: number;
  signal: AbortSignal;
}

/** A client that can also hold a long-lived streaming GET open. */
export interface StreamingControlPlaneClient extends ControlPlaneClient {
  openStream(path: string, options: StreamOptions): Promise<StreamResponse>;
}

export class ControlPlaneHttp implements StreamingControlPlaneClient {
  readonly baseUrl: string;
  readonly #agent: Agent;
  readonly hasToken: boolean;
  readonly #authorization: string | undefined;

  constructor(baseUrl: URL, token: string | undefined) {
    this.baseUrl = baseUrl.href.replace(/\/+$/, '');
    this.hasToken = token !== undefined;
    this.#authorization = token === undefined ? undefined : `Bearer ${token}`;
    this.#agent = new Agent({ connect: { timeout: 5000 }, keepAliveTimeout: 10_000, connections: 4 });
  }

  url(path: string): string {
    return this.baseUrl + path;
  }

  /** Resolves with any HTTP status; rejects only when no response came (refused, reset, timeout). */
  async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: SendOptions = {},
  ): Promise<ControlPlaneResponse> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const headers: Record<string, string> = { ...options.headers };
    if (this.#authorization !== undefined) headers.authorization = this.#authorization;
    let body: string | undefined;
    if (options.json !== undefined || options.jsonText !== undefined) {
      body = options.jsonText ?? JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    const res = await request(this.url(path), {
      dispatcher: this.#agent,
      method,
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  /** Resolves once the headers are in; rejects only when no response came. */
  async openStream(path: string, options: StreamOptions): Promise<StreamResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.#authorization !== undefined) headers.authorization = this.#authorization;
    const res = await request(this.url(path), {
      dispatcher: this.#agent,
      method: 'GET',
      headers,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      signal: options.signal,
    });
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body,
      text: () => res.body.text(),
      close: () => res.body.destroy(),
    };
  }

  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}

/** A short, single-line reason for logs: the error code or message. */
export function describeFailure(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const cause = (err as { cause?: unknown }).cause;
    if (code === undefined && cause instanceof Error) return describeFailure(cause);
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    return code
      ? `${code}${err.message && !err.message.includes(code) ? ` (${err.message})` : ''}`
      : err.message;
  }
  return String(err);
}

/** First line of a response body, capped, for log messages. */
export function bodySnippet(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** What the API said: the `error` of its JSON answer `{"error": "..."}`, else the body's first line. */
export function apiErrorMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && 'error' in parsed) {
      const error = parsed.error;
      if (typeof error === 'string' && error !== '') return bodySnippet(error);
    }
  } catch {
    // Not JSON: show it as it is.
  }
  return bodySnippet(text);
}

/**
 * For a 401 or 403 answer: what is wrong with the workload token, with the API's own message; undefined
 * for any other status. The token itself is never part of it.
 */
export function tokenProblem(status: number, text: string, hasToken: boolean): string | undefined {
  let problem: string;
  if (status === 401) {
    problem = hasToken
      ? 'the control plane does not accept WEFT_PROXY_TOKEN (invalid, expired or revoked)'
      : 'the control plane requires a workload token and WEFT_PROXY_TOKEN is not set';
  } else if (status === 403) {
    problem =
      'WEFT_PROXY_TOKEN is out of scope for this call (a workload token acts only as the service, ' +
      'namespace and version it was issued for)';
  } else {
    return undefined;
  }
  const message = apiErrorMessage(text);
  return message ? `${problem}; the API says: ${message}` : problem;
}
