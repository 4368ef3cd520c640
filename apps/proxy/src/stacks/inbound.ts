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
import { concurrencyLimit, rateLimit } from '../layers/rate-limit.ts';
import { requestTarget } from '../layers/request-target.ts';
import { toLocalApp } from '../layers/routing.ts';
import { telemetry, type SpanSink } from '../layers/telemetry.ts';
import { timeout } from '../layers/timeout.ts';
import type { Logger } from '../log.ts';
import type { InboundRateLimits } from '../policies/rate-limit/inbound-rate-limits.ts';
import type { RateLimitMetrics } from '../policies/rate-limit/rate-limit-metrics.ts';
import type { RequestMetrics } from '../telemetry/request-metrics.ts';
import type { TraceSampler } from '../telemetry/trace-sampler.ts';
import { forward } from '../upstream/forward.ts';
import type { UpstreamPools } from '../upstream/upstream-pools.ts';

export interface InboundStackOptions {
  self: WorkloadIdentity;
  /** host:port of the local application. */
  app: string;
  metrics: RequestMetrics;
  spans: SpanSink | undefined;
  /** Head sampling and what is kept regardless; absent: the defaults. */
  sampler?: TraceSampler;
  pools: UpstreamPools;
  timeoutMs: number;
  log: Logger;
  /** The rate limits of the config in force at the time of each request (this service's RateLimitPolicy). */
  rateLimits: () => InboundRateLimits | undefined;
  rateLimitMetrics: RateLimitMetrics;
}

export function inboundStack(o: InboundStackOptions): Handler {
  return stack(
    [
      telemetry({ reporter: 'inbound', metrics: o.metrics, spans: o.spans, sampler: o.sampler }), // SERVER span + metrics, sees every reply
      localReplies(o.log), // upstream failures → 502 / 504
      readSourceIdentity(o.self), // x-weft-source → caller identity, stripped before the app
      requestTarget(), // absolute-form → origin-form
      // later: mTLS peer identity, authorization
      rateLimit({ limits: o.rateLimits, metrics: o.rateLimitMetrics }), // RateLimitPolicy buckets per rule (and caller): 429 + Retry-After
      concurrencyLimit(o.rateLimitMetrics), // its maxInFlight reached: 503 overloaded, shed at once
      forwardedFor(), // x-forwarded-for, forwarded
      timeout(o.timeoutMs), // 504 when the app does not answer in time
      toLocalApp(o.app), // the only upstream: the local application
    ],
    forward(o.pools),
  );
}
