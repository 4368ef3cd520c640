/**
 * Every flush interval: drain the metric deltas into their queue, then let each signal's exporter send
 * what it can. Runs on its own timer; the data path only ever appends to in-memory queues.
 */
import type { BoundedQueue } from './bounded-queue.ts';
import type { DeltaPoint, RequestMetrics } from './request-metrics.ts';

export interface TelemetryPusherOptions {
  metrics: RequestMetrics;
  metricPoints: BoundedQueue<DeltaPoint>;
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
    const points = this.#o.metrics.takeDelta(this.#o.now());
    if (points.length > 0) this.#o.metricPoints.pushAll(points);
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
