/**
 * HTTP to the control plane (registration, config, OTLP push): its own keep-alive connections, every
 * call bounded in time, the proxy token attached when configured. Never shared with the data path.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'undici';
import { Headers } from '@weft/schema';

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
  url(path: string): string;
  send(method: 'GET' | 'POST' | 'DELETE', path: string, options?: SendOptions): Promise<ControlPlaneResponse>;
}

export class ControlPlaneHttp implements ControlPlaneClient {
  readonly baseUrl: string;
  readonly #agent: Agent;
  readonly #token: string | undefined;

  constructor(baseUrl: URL, token: string | undefined) {
    this.baseUrl = baseUrl.href.replace(/\/+$/, '');
    this.#token = token;
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
    if (this.#token !== undefined) headers[Headers.proxyToken] = this.#token;
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
