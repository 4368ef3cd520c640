/**
 * Outbound filter chain: the application's calls to other services (HTTP_PROXY style or by Host).
 * Layers run top to bottom on the request and bottom to top on the response. Connection-scoped fields
 * are already gone when the first layer runs (the listener strips them, both ways).
 */
import type { Handler } from '../http/layer.ts';
import { stack } from '../http/layer.ts';
import type { WorkloadIdentity } from '../identity.ts';
import { forwardedFor } from '../layers/forwarded.ts';
import { stampSourceIdentity } from '../layers/identity.ts';
import { localReplies } from '../layers/local-replies.ts';
import { requestTarget } from '../layers/request-target.ts';
import { matchRoute, pickEndpoint, pickVersion, resolveDestination } from '../layers/routing.ts';
import { telemetry, type SpanSink } from '../layers/telemetry.ts';
import { timeout } from '../layers/timeout.ts';
import type { Logger } from '../log.ts';
import type { RoutingTable } from '../routing/routing-table.ts';
import type { RandomSource } from '../routing/split.ts';
import type { RequestMetrics } from '../telemetry/request-metrics.ts';
import { forward } from '../upstream/forward.ts';
import type { UpstreamPools } from '../upstream/upstream-pools.ts';

export interface OutboundStackOptions {
  self: WorkloadIdentity;
  /** The routing table of the config in force at the time of each request. */
  routes: () => RoutingTable | undefined;
  metrics: RequestMetrics;
  spans: SpanSink | undefined;
  pools: UpstreamPools;
  timeoutMs: number;
  log: Logger;
  /** Draws route backends and split versions by weight; Math.random unless a test fixes the sequence. */
  random?: RandomSource;
}

export function outboundStack(o: OutboundStackOptions): Handler {
  return stack(
    [
      telemetry({ reporter: 'outbound', metrics: o.metrics, spans: o.spans }), // CLIENT span + metrics, sees every reply
      localReplies(o.log), // upstream failures → 502 / 504
      stampSourceIdentity(o.self), // source = this workload; x-weft-source for the next proxy
      requestTarget(), // http://catalog.shop/items → /items, Host: catalog.shop
      forwardedFor(), // x-forwarded-for, forwarded
      resolveDestination(o.routes, o.self.namespace), // Host → service; 503 no-endpoints when unknown
      matchRoute(o.routes, o.random), // service with HTTPRoute rules: most specific rule, backend by weight; 404 no-route, 500 invalid-backend
      pickVersion(o.random), // which version serves it: rule's split, else the service's: pin, else by weight; every endpoint without one
      // later: retry (re-picks the endpoint per attempt), circuit breaker, rate limit
      pickEndpoint(), // round-robin within the subset; sets upstream and destination version
      timeout(o.timeoutMs), // 504 when the upstream does not answer in time: rule's timeout, else the service's, else the default
    ],
    forward(o.pools),
  );
}
