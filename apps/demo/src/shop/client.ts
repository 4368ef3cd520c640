/**
 * Downstream calls, always through the caller's own proxy: the request goes to the outbound listener with
 * the Host header naming the target service ("pricing" or "pricing.shop"). Calls to hosts outside the mesh go
 * there too, as an application with HTTP_PROXY pointed at its sidecar sends them: absolute-form
 * (`GET http://host:port/path`), and the proxy forwards them as egress. Never throws.
 */
import { Pool } from 'undici';

export type CallResult =
  | { ok: true; status: number; body: unknown; durationMs: number }
  | { ok: false; status: number | null; body: unknown; error: string; durationMs: number };

export interface CallOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Headers of this call only (e.g. the shopper's session cookie for cart). */
  headers?: Record<string, string>;
}

export class Downstream {
  private readonly pool: Pool;

  constructor(
    outbound: string,
    private readonly timeoutMs: number,
  ) {
    this.pool = new Pool(`http://${outbound}`, {
      connections: 32,
      keepAliveTimeout: 4000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 2000),
    });
  }

  call(
    target: string,
    path: string,
    propagated: Record<string, string>,
    opts: CallOptions = {},
  ): Promise<CallResult> {
    return this.send(target, path, propagated, opts);
  }

  /** A host outside the mesh ("host:port"), through the proxy as a forward proxy (absolute-form target). */
  callExternal(
    hostPort: string,
    path: string,
    propagated: Record<string, string>,
    opts: CallOptions = {},
  ): Promise<CallResult> {
    return this.send(hostPort, `http://${hostPort}${path}`, propagated, opts);
  }

  private async send(
    target: string,
    /** origin-form "/path" for a mesh service, absolute-form for a host outside the mesh */
    requestTarget: string,
    propagated: Record<string, string>,
    opts: CallOptions,
  ): Promise<CallResult> {
    const started = performance.now();
    const headers: Record<string, string> = {
      ...opts.headers,
      ...propagated,
      host: target,
      accept: 'application/json',
    };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    try {
      const res = await this.pool.request({
        method: opts.method ?? 'GET',
        path: requestTarget,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.body.text();
      let body: unknown = text;
      if ((res.headers['content-type'] ?? '').toString().includes('json') && text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const durationMs = performance.now() - started;
      if (res.statusCode >= 200 && res.statusCode < 300)
        return { ok: true, status: res.statusCode, body, durationMs };
      const proxyError = res.headers['x-weft-proxy-error'];
      const error =
        typeof proxyError === 'string'
          ? `${target} answered ${res.statusCode} (proxy: ${proxyError})`
          : `${target} answered ${res.statusCode}`;
      return { ok: false, status: res.statusCode, body, error, durationMs };
    } catch (e) {
      const err = e as Error & { code?: string };
      const reason =
        err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timeout' : (err.code ?? err.message);
      return {
        ok: false,
        status: null,
        body: null,
        error: `${target}: ${reason}`,
        durationMs: performance.now() - started,
      };
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
