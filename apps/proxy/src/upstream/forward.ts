/**
 * The terminal of every stack (Envoy's router): sends the request to `req.upstream` over a pooled
 * keep-alive connection and returns the response with its body still streaming.
 */
import type { Handler } from '../http/layer.ts';
import { forwardUpgrade } from '../upgrade/forward-upgrade.ts';
import { isGrpc } from '../http/h2-grpc.ts';
import { forwardAsteriskForm } from './asterisk-form.ts';
import { forwardH2 } from './h2-forward.ts';
import { BODY_IDLE_TIMEOUT_MS, type UpstreamPools } from './upstream-pools.ts';
import { UpstreamError } from './upstream-failure.ts';

export function forward(pools: UpstreamPools): Handler {
  return async (req) => {
    const upstream = req.upstream;
    if (upstream === undefined) throw new Error('no upstream chosen: the stack lacks a routing layer');
    const headers = req.headers;
    // The client's 100-continue was answered by our listener; it is not the upstream's business.
    if (headers.expect !== undefined) headers.expect = undefined;
    // `OPTIONS *`: undici only sends paths that start with "/".
    if (req.path === '*') return forwardAsteriskForm(req, upstream);
    // A protocol switch (WebSocket) gets a connection of its own, never a pooled one.
    if (req.upgrade !== undefined) return forwardUpgrade(req, upstream);
    // HTTP/2 in, HTTP/2 out (gRPC needs it for its trailers); over one shared h2c session per upstream.
    if (req.protocol === 'h2' || isGrpc(headers)) return forwardH2(req, upstream, pools.h2);
    try {
      const res = await pools.get(upstream).request({
        method: req.method,
        path: req.path,
        headers,
        body: req.body,
        // The request deadline's signal when there is one, so a missed deadline cancels the upstream work.
        signal: req.attemptSignal ?? req.signal,
        headersTimeout: req.timeoutMs > 0 ? req.timeoutMs : null,
        // 102 / 103 relayed to the client as they arrive (the listener sets it).
        onInfo: req.onInterim,
        bodyTimeout: req.idleTimeoutMs > 0 ? req.idleTimeoutMs : BODY_IDLE_TIMEOUT_MS,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw new UpstreamError(upstream, err);
    }
  };
}
