/**
 * The terminal of every stack (Envoy's router): sends the request to `req.upstream` over a pooled
 * keep-alive connection and returns the response with its body still streaming.
 */
import type { Handler } from '../http/layer.ts';
import { BODY_IDLE_TIMEOUT_MS, type UpstreamPools } from './upstream-pools.ts';
import { UpstreamError } from './upstream-failure.ts';

export function forward(pools: UpstreamPools): Handler {
  return async (req) => {
    const upstream = req.upstream;
    if (upstream === undefined) throw new Error('no upstream chosen: the stack lacks a routing layer');
    const headers = req.headers;
    // The client's 100-continue was answered by our listener; it is not the upstream's business.
    if (headers.expect !== undefined) headers.expect = undefined;
    try {
      const res = await pools.get(upstream).request({
        method: req.method,
        path: req.path,
        headers,
        body: req.body,
        signal: req.signal,
        headersTimeout: req.timeoutMs > 0 ? req.timeoutMs : null,
        bodyTimeout: BODY_IDLE_TIMEOUT_MS,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw new UpstreamError(upstream, err);
    }
  };
}
