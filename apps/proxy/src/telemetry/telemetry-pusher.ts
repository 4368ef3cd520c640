/**
 * Every flush interval: drain the metric deltas into their queue, then let each signal's exporter send
 * what it can. Runs on its own timer; the data path only ever appends to in-memory queues.
 */
import type { BoundedQueue } from './bounded-queue.ts';
import type { MetricPoint } from './otlp-encode.ts';
import type { RequestMetrics } from './request-metrics.ts';
import type { EjectedNow, ResilienceCounters } from './resilience-counters.ts';

export interface TelemetryPusherOptions {
  metrics: RequestMetrics;
  metricPoints: BoundedQueue<MetricPoint>;
  /** Retries and ejections since the last flush, and the endpoints ejected now; drained with the histograms. */
  resilience?: { counters: ResilienceCounters; ejectedNow: () => Iterable<EjectedNow> } | undefined;
  exporters: readonly { flush(force: boolean): Promise<void> }[];
  intervalMs: number;
  now: () => number;
}

export class TelemetryPusher {
  readonly #o: TelemetryPusherOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TelemetryPusherOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#o.intervalMs);
    this.#timer.unref();
  }

  async tick(force = false): Promise<void> {
    const now = this.#o.now();
    const points = this.#o.metrics.takeDelta(now);
    if (points.length > 0) this.#o.metricPoints.pushAll(points);
    const r = this.#o.resilience;
    if (r !== undefined) {
      const counted = r.counters.takeDelta(now, r.ejectedNow());
      if (counted.length > 0) this.#o.metricPoints.pushAll(counted);
    }
    await Promise.all(this.#o.exporters.map((e) => e.flush(force)));
  }

  /** Last flush at shutdown: one forced attempt, given at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.tick(true),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
