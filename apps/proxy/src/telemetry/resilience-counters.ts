/**
 * What the outbound proxy's resilience layers did, per destination service, for the control plane: retries
 * and outlier ejections counted since the last flush (OTLP Sum, delta, monotonic), and the endpoints ejected
 * at flush time (OTLP Gauge). The retry layer and the breakers count here as they act; the pusher drains a
 * window with every flush, in the same export as the request histograms. Series that saw nothing in a window
 * send nothing, and the map holds only what the window saw, so services that come and go leave no state.
 */
import { ResilienceMetric, type ResilienceMetricName } from '@weft/schema';

/** One counter or gauge value of one destination service (and reason) over one flush window. */
export interface CounterPoint {
  metric: ResilienceMetricName;
  service: string;
  namespace: string;
  /** Why: the failure that caused a retry, the ejection's reason; '' for the gauge. */
  reason: string;
  /** Epoch ms; a gauge's window is its instant (startMs === endMs). */
  startMs: number;
  endMs: number;
  value: number;
}

/** A destination service's ejected endpoints now (Breakers.ejectedCount). */
export interface EjectedNow {
  service: string;
  namespace: string;
  ejected: number;
}

interface Pending {
  metric: ResilienceMetricName;
  service: string;
  namespace: string;
  reason: string;
  value: number;
}

export class ResilienceCounters {
  readonly #pending = new Map<string, Pending>();
  #windowStartMs: number;

  constructor(startMs: number) {
    this.#windowStartMs = startMs;
  }

  /** A try beyond the first was made; `reason` is what the previous try failed with ("503", "upstream-reset"). */
  retried(service: string, namespace: string, reason: string): void {
    this.#add(ResilienceMetric.retries, service, namespace, reason);
  }

  /** Outlier detection ejected an endpoint of the service. */
  ejected(service: string, namespace: string, reason: string): void {
    this.#add(ResilienceMetric.outlierEjections, service, namespace, reason);
  }

  /**
   * Drains the counts since the previous call, plus a gauge point per service with endpoints ejected now
   * (services with none send no point: a reader takes absence as 0).
   */
  takeDelta(nowMs: number, ejectedNow: Iterable<EjectedNow> = []): CounterPoint[] {
    const startMs = this.#windowStartMs;
    const endMs = Math.max(nowMs, startMs);
    this.#windowStartMs = endMs;
    const points: CounterPoint[] = [];
    for (const p of this.#pending.values()) points.push({ ...p, startMs, endMs });
    this.#pending.clear();
    for (const e of ejectedNow) {
      if (e.ejected <= 0) continue;
      points.push({
        metric: ResilienceMetric.ejectedEndpoints,
        service: e.service,
        namespace: e.namespace,
        reason: '',
        startMs: endMs,
        endMs,
        value: e.ejected,
      });
    }
    return points;
  }

  #add(metric: ResilienceMetricName, service: string, namespace: string, reason: string): void {
    const key = `${metric} ${service}.${namespace} ${reason}`;
    const pending = this.#pending.get(key);
    if (pending === undefined) this.#pending.set(key, { metric, service, namespace, reason, value: 1 });
    else pending.value++;
  }
}
