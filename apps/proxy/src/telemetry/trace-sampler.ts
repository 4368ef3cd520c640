/**
 * Which requests' spans the proxy exports. Head sampling: a caller's decision (the sampled flag) is kept; a
 * trace that starts here is sampled at the configured rate, decided from the trace id's random bits as
 * OpenTelemetry's TraceIdRatioBased sampler does, so every proxy that has to decide for one trace id decides
 * alike. Whatever the head decision, the spans of a request that failed (no response, 5xx, gRPC status ≠ 0, a
 * response cut short) or took at least the slow threshold are exported: those are the traces someone opens.
 * Request metrics never depend on any of this (the telemetry layer records every request in its histogram).
 */
import { isFailedRequest, TraceSampling } from '@weft/schema';

export interface TraceSamplingSettings {
  /** Share of new traces sampled, 0..100. */
  percent: number;
  /** An unsampled request this slow (ms) or slower still has its spans exported. */
  slowThresholdMs: number;
}

export const DEFAULT_TRACE_SAMPLING: TraceSamplingSettings = {
  percent: TraceSampling.defaultPercent,
  slowThresholdMs: TraceSampling.defaultSlowThresholdMs,
};

/** Why a request's spans were exported or not, as counted on /metrics. */
export type SpanDecision = 'sampled' | 'failed' | 'slow' | 'dropped';

/** 13 hex digits: 52 random bits, exact in a double (the random flag promises the rightmost 56). */
const RANDOM_HEX_DIGITS = 13;
const RANDOM_RANGE = 2 ** (4 * RANDOM_HEX_DIGITS);

export class TraceSampler {
  readonly settings: TraceSamplingSettings;
  readonly #threshold: number;
  readonly decisions: Record<SpanDecision, number> = { sampled: 0, failed: 0, slow: 0, dropped: 0 };

  constructor(settings: TraceSamplingSettings = DEFAULT_TRACE_SAMPLING) {
    this.settings = settings;
    this.#threshold = (settings.percent / 100) * RANDOM_RANGE;
  }

  /** The head decision for a trace this proxy has to decide for (no sampled flag came with it). */
  readonly sampleTrace = (traceId: string): boolean => {
    if (this.settings.percent >= 100) return true;
    if (this.settings.percent <= 0) return false;
    return parseInt(traceId.slice(-RANDOM_HEX_DIGITS), 16) < this.#threshold;
  };

  /** Whether the spans of a finished request are exported, counted once per request. */
  decide(
    sampled: boolean,
    status: number,
    grpcStatus: number | undefined,
    aborted: boolean,
    durationMs: number,
  ): SpanDecision {
    let decision: SpanDecision;
    if (sampled) decision = 'sampled';
    else if (aborted || isFailedRequest(status, grpcStatus)) decision = 'failed';
    else if (durationMs >= this.settings.slowThresholdMs) decision = 'slow';
    else decision = 'dropped';
    this.decisions[decision]++;
    return decision;
  }
}
