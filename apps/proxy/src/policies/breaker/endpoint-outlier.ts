/**
 * What passive outlier detection knows about one endpoint (Envoy's per-host outlier monitor): answers in a
 * row, the current failure-percentage window, and the ejection. Kept on the EndpointState, so it survives
 * config updates while the address is listed. Times are milliseconds of one monotonic clock, passed in.
 */
import { MAX_EJECTION_MS, type OutlierSettings } from './outlier-settings.ts';

/** How one attempt to the endpoint ended, as the breaker layer saw it. */
export type AttemptOutcome =
  /** The endpoint answered with this status (its response headers arrived). */
  | { kind: 'response'; status: number }
  /** No answer: connection refused or failed, reset before the answer, or no answer in time. */
  | { kind: 'local-failure'; failure: 'connect' | 'reset' | 'timeout' };

export type EjectionReason = 'consecutive-5xx' | 'consecutive-gateway-errors' | 'failure-percentage';

export function isGatewayError(o: AttemptOutcome): boolean {
  return o.kind === 'local-failure' || o.status === 502 || o.status === 503 || o.status === 504;
}

/** A 5xx, or a failure without an answer (Envoy maps those to 5xx unless local origin is split out). */
export function isServerError(o: AttemptOutcome): boolean {
  return o.kind === 'local-failure' || o.status >= 500;
}

export class EndpointOutlier {
  /** Until when the endpoint is ejected; at or before `now`, it is not. */
  ejectedUntil = 0;
  /** Ejections in a row: the next one lasts this many + 1 base ejection times (decays while healthy). */
  ejections = 0;
  /** Why the last ejection happened. */
  lastReason: EjectionReason | undefined = undefined;
  #consecutive5xx = 0;
  #consecutiveGateway = 0;
  #windowStart = -Infinity;
  #windowTotal = 0;
  #windowFailures = 0;

  isEjected(now: number): boolean {
    return now < this.ejectedUntil;
  }

  /**
   * Counts one outcome; returns why the endpoint should be ejected now, if it should. Outcomes that
   * arrive while it is ejected (requests sent before) are not counted: they would only prolong it.
   */
  observe(outcome: AttemptOutcome, s: OutlierSettings, now: number): EjectionReason | undefined {
    if (this.isEjected(now)) return undefined;
    const server = isServerError(outcome);
    if (server) {
      this.#consecutive5xx++;
      // As Envoy: a 5xx that is not a gateway error breaks a run of gateway errors.
      this.#consecutiveGateway = isGatewayError(outcome) ? this.#consecutiveGateway + 1 : 0;
    } else {
      this.#consecutive5xx = 0;
      this.#consecutiveGateway = 0;
    }
    if (s.consecutiveGatewayErrors !== undefined && this.#consecutiveGateway >= s.consecutiveGatewayErrors)
      return 'consecutive-gateway-errors';
    if (s.consecutive5xx !== undefined && this.#consecutive5xx >= s.consecutive5xx) return 'consecutive-5xx';
    const fp = s.failurePercentage;
    if (fp !== undefined) {
      // Tumbling windows of `intervalMs`, judged as soon as they hold enough requests.
      if (now - this.#windowStart >= fp.intervalMs) {
        this.#windowStart = now;
        this.#windowTotal = 0;
        this.#windowFailures = 0;
      }
      this.#windowTotal++;
      if (server) this.#windowFailures++;
      if (
        this.#windowTotal >= fp.minimumRequests &&
        (this.#windowFailures * 100) / this.#windowTotal >= fp.threshold
      )
        return 'failure-percentage';
    }
    return undefined;
  }

  /**
   * Ejects for base × (ejections in a row), capped; each base ejection time spent healthy since the last
   * ejection ended takes one off the count first (Envoy decrements it every interval the host is healthy).
   * Returns the duration.
   */
  eject(reason: EjectionReason, baseEjectionMs: number, now: number): number {
    if (this.ejections > 0 && baseEjectionMs > 0) {
      const healthyFor = Math.max(0, now - this.ejectedUntil);
      this.ejections = Math.max(0, this.ejections - Math.floor(healthyFor / baseEjectionMs));
    }
    this.ejections++;
    const duration = Math.min(baseEjectionMs * this.ejections, Math.max(baseEjectionMs, MAX_EJECTION_MS));
    this.ejectedUntil = now + duration;
    this.lastReason = reason;
    this.#resetCounts();
    return duration;
  }

  #resetCounts(): void {
    this.#consecutive5xx = 0;
    this.#consecutiveGateway = 0;
    this.#windowStart = -Infinity;
    this.#windowTotal = 0;
    this.#windowFailures = 0;
  }
}
