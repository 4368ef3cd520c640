/**
 * Passive outlier detection settings in milliseconds, compiled from a CircuitBreakerPolicy's
 * `outlierDetection`, and the default every destination service gets without one.
 */
import { durationMs, type ServicePolicy } from '@weft/schema';

export interface OutlierSettings {
  /** Eject after this many 5xx answers (or local failures) in a row; undefined: not checked. */
  consecutive5xx: number | undefined;
  /** Eject after this many 502/503/504 answers, connect failures, resets or timeouts in a row. */
  consecutiveGatewayErrors: number | undefined;
  failurePercentage: { threshold: number; minimumRequests: number; intervalMs: number } | undefined;
  /** An endpoint's n-th ejection in a row lasts n × this (capped by MAX_EJECTION_MS). */
  baseEjectionMs: number;
  /** Never more than this share of a service's endpoints ejected at once (Envoy: else do not eject). */
  maxEjectionPercent: number;
  /** Where the settings come from: "CircuitBreakerPolicy shop/x", or "default". */
  source: string;
}

/** Envoy's max_ejection_time default: an endpoint that keeps failing is retried at least this often. */
export const MAX_EJECTION_MS = 300_000;

/**
 * Without a policy, an endpoint that answers 5 gateway errors in a row (its proxy cannot reach its app, it
 * refuses connections, resets them or times out) is ejected for 30 s, at most half of a service's
 * endpoints at once. Unlike Envoy (whose gateway-failure detection is off unless enforced), this is on by
 * default so that a dead application behind a live proxy stops getting its share of the traffic.
 */
export const DEFAULT_OUTLIER_SETTINGS: OutlierSettings = {
  consecutive5xx: undefined,
  consecutiveGatewayErrors: 5,
  failurePercentage: undefined,
  baseEjectionMs: 30_000,
  maxEjectionPercent: 50,
  source: 'default',
};

export function outlierSettingsOf(policy: ServicePolicy['circuitBreaker']): OutlierSettings {
  const od = policy?.outlierDetection;
  if (policy === undefined || od === undefined) return DEFAULT_OUTLIER_SETTINGS;
  const fp = od.failurePercentage;
  return {
    consecutive5xx: od.consecutive5xx,
    consecutiveGatewayErrors: od.consecutiveGatewayErrors,
    failurePercentage:
      fp === undefined
        ? undefined
        : {
            threshold: fp.threshold,
            minimumRequests: fp.minimumRequests,
            intervalMs: durationMs(fp.interval),
          },
    baseEjectionMs: durationMs(od.baseEjectionTime),
    maxEjectionPercent: od.maxEjectionPercent,
    source: policy.source,
  };
}
