/**
 * Inbound filter chain: traffic from other proxies (or outside callers) to the local application.
 * Layers run top to bottom on the request and bottom to top on the response. Connection-scoped fields
 * are already gone when the first layer runs (the listener strips them, both ways).
 */
import type { Handler } from '../http/layer.ts';
import { stack } from '../http/layer.ts';
import type { WorkloadIdentity } from '../identity.ts';
import { forwardedFor } from '../layers/forwarded.ts';
import { readSourceIdentity } from '../layers/identity.ts';
import { localReplies } from '../layers/local-replies.ts';
import { requestTarget } from '../layers/request-target.ts';
import { toLocalApp } from '../layers/routing.ts';
import { telemetry, type SpanSink } from '../layers/telemetry.ts';
import { timeout } from '../layers/timeout.ts';
import type { Logger } from '../log.ts';
import type { RequestMetrics } from '../telemetry/request-metrics.ts';
import { forward } from '../upstream/forward.ts';
import type { UpstreamPools } from '../upstream/upstream-pools.ts';

export interface InboundStackOptions {
  self: WorkloadIdentity;
  /** host:port of the local application. */
  app: string;
  metrics: RequestMetrics;
  spans: SpanSink | undefined;
  pools: UpstreamPools;
  timeoutMs: number;
  log: Logger;
}

export function inboundStack(o: InboundStackOptions): Handler {
  return stack(
    [
      telemetry({ reporter: 'inbound', metrics: o.metrics, spans: o.spans }), // SERVER span + metrics, sees every reply
      localReplies(o.log), // upstream failures → 502 / 504
      readSourceIdentity(o.self), // x-weft-source → caller identity, stripped before the app
      requestTarget(), // absolute-form → origin-form
      // later: mTLS peer identity, authorization, rate limit
      forwardedFor(), // x-forwarded-for, forwarded
      timeout(o.timeoutMs), // 504 when the app does not answer in time
      toLocalApp(o.app), // the only upstream: the local application
    ],
    forward(o.pools),
  );
}
