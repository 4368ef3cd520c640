/**
 * `OPTIONS * HTTP/1.1` (RFC 9112 §3.2.4: a question about the server, not a resource) sent upstream as
 * is. undici refuses any path not starting with "/", so these go over a one-off node:http connection; they
 * are rare (capability probes), so a pool is not worth it. Failures carry the codes
 * `classifyUpstreamFailure` knows, so they become the same 502/504 as pooled requests.
 */
import http from 'node:http';
import { parseHostPort } from '@weft/schema';
import type { ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import { UpstreamError } from './upstream-failure.ts';

export function forwardAsteriskForm(req: ProxyRequest, upstream: string): Promise<ProxyResponse> {
  // Upstream addresses were checked with this same rule when the config was applied.
  const { host, port } = parseHostPort(upstream);
  const headers: Record<string, string | string[]> = {};
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return new Promise((resolve, reject) => {
    const outgoing = http.request({
      host,
      port,
      method: req.method,
      path: '*',
      headers,
      agent: false,
      setHost: false,
    });
    const fail = (err: unknown): void => {
      cleanUp();
      outgoing.destroy();
      reject(new UpstreamError(upstream, err));
    };
    const timer =
      req.timeoutMs > 0
        ? setTimeout(
            () =>
              fail(Object.assign(new Error('upstream headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
            req.timeoutMs,
          )
        : undefined;
    const cancel = req.signal.whenAborted(() =>
      fail(Object.assign(new Error('client closed the request'), { code: 'UND_ERR_ABORTED' })),
    );
    const cleanUp = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      cancel();
    };
    outgoing.once('error', fail);
    outgoing.once('response', (res) => {
      cleanUp();
      outgoing.off('error', fail);
      resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res });
    });
    if (req.body === null) outgoing.end();
    else req.body.pipe(outgoing);
  });
}
