/**
 * The per-kind editors the shell looks up (contract.ts: KindEditors). One entry per kind, each in its own
 * file here; a kind without an entry yet opens read-only, with its YAML.
 */
import type { KindEditors } from '../contract.ts';
import { cacheEditor } from './cache.tsx';
import { circuitBreakerEditor } from './circuit-breaker.tsx';
import { faultInjectionEditor } from './fault-injection.tsx';
import { loadBalancingEditor } from './load-balancing.tsx';
import { mirrorEditor } from './mirror.tsx';
import { rateLimitEditor } from './rate-limit.tsx';
import { retryEditor } from './retry.tsx';
import { timeoutEditor } from './timeout.tsx';
import { trafficSplitEditor } from './traffic-split.tsx';

export const KIND_EDITORS: Partial<KindEditors> = {
  TrafficSplit: trafficSplitEditor,
  RateLimitPolicy: rateLimitEditor,
  RetryPolicy: retryEditor,
  TimeoutPolicy: timeoutEditor,
  CircuitBreakerPolicy: circuitBreakerEditor,
  LoadBalancingPolicy: loadBalancingEditor,
  FaultInjectionPolicy: faultInjectionEditor,
  MirrorPolicy: mirrorEditor,
  CachePolicy: cacheEditor,
};
