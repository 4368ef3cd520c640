/**
 * Pushes one telemetry signal (spans or metric points) from its bounded queue to an OTLP/HTTP endpoint,
 * in batches. Retryable failures (no answer, 408, 429, 5xx) put the batch back and wait out a backoff;
 * other 4xx answers mean the API will never store the batch (it is malformed, or the token may not send
 * it): dropped at once, counted by cause, and logged once per status and reason.
 */
import { LogOnce, type Logger } from '../log.ts';
import type { Backoff } from './backoff.ts';
import type { BoundedQueue } from './bounded-queue.ts';

/** Why a refused batch was dropped: the batch itself (`rejected`) or the token (`unauthorized`, 401/403). */
export type RefusalCause = 'rejected' | 'unauthorized';

export type ExportOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; reason: string }
  | { kind: 'reject'; status: number; cause: RefusalCause; reason: string };

/** Sends one JSON document to `path` and says what the receiver made of it. */
export type ExportTransport = (path: string, json: string) => Promise<ExportOutcome>;

export interface SignalExporterOptions<T> {
  signal: 'spans' | 'metrics';
  path: string;
  queue: BoundedQueue<T>;
  /** Items → the JSON body of one OTLP request. */
  encode: (items: readonly T[]) => string;
  transport: ExportTransport;
  backoff: Backoff;
  maxBatch: number;
  now: () => number;
  log: Logger;
}

/** What the rest of the proxy sees of an exporter, whatever it carries. */
export interface TelemetryChannel {
  readonly signal: 'spans' | 'metrics';
  readonly queued: number;
  /** Dropped because the queue was full. */
  readonly dropped: number;
  readonly exported: number;
  /** Dropped because the receiver refused the batch (4xx other than 401, 403, 408, 429). */
  readonly rejected: number;
  /** Dropped because the receiver refused the token (401, 403). */
  readonly unauthorized: number;
  readonly failedAttempts: number;
  flush(force?: boolean): Promise<void>;
}

export class SignalExporter<T> implements TelemetryChannel {
  readonly signal: 'spans' | 'metrics';
  /** Items delivered, items the receiver refused (by cause), failed attempts. */
  exported = 0;
  rejected = 0;
  unauthorized = 0;
  failedAttempts = 0;
  readonly #o: SignalExporterOptions<T>;
  readonly #logOnce = new LogOnce();
  #nextAttemptAt = 0;
  #busy: Promise<void> | undefined;
  #failing = false;

  constructor(options: SignalExporterOptions<T>) {
    this.#o = options;
    this.signal = options.signal;
  }

  get queued(): number {
    return this.#o.queue.size;
  }

  get dropped(): number {
    return this.#o.queue.dropped;
  }

  /** Epoch ms before which `flush` does not try again (0 when not backing off). */
  get nextAttemptAt(): number {
    return this.#nextAttemptAt;
  }

  /**
   * Sends queued items until the queue is empty or an attempt fails. Does nothing while backing off
   * unless `force` (the final flush at shutdown); never runs two flushes at once.
   */
  flush(force = false): Promise<void> {
    if (this.#busy) return this.#busy;
    if (!force && this.#o.now() < this.#nextAttemptAt) return Promise.resolve();
    this.#busy = this.#drain().finally(() => {
      this.#busy = undefined;
    });
    return this.#busy;
  }

  async #drain(): Promise<void> {
    const { queue, maxBatch, transport, encode, path, backoff, log, signal } = this.#o;
    while (queue.size > 0) {
      const batch = queue.take(maxBatch);
      let outcome: ExportOutcome;
      try {
        outcome = await transport(path, encode(batch));
      } catch (err) {
        outcome = { kind: 'retry', reason: err instanceof Error ? err.message : String(err) };
      }
      if (outcome.kind === 'ok') {
        this.exported += batch.length;
        backoff.reset();
        this.#nextAttemptAt = 0;
        if (this.#failing) {
          this.#failing = false;
          log.info(`${signal} export recovered; ${queue.size} still queued`);
        }
      } else if (outcome.kind === 'reject') {
        this[outcome.cause] += batch.length;
        if (this.#logOnce.first(`${outcome.status} ${outcome.reason}`)) {
          log.error(
            `${signal} export refused with HTTP ${outcome.status}, dropping ${batch.length}: ${outcome.reason}`,
          );
        }
      } else {
        queue.putBack(batch);
        this.failedAttempts++;
        const delay = backoff.next();
        this.#nextAttemptAt = this.#o.now() + delay;
        if (!this.#failing) {
          this.#failing = true;
          log.warn(
            `${signal} export failed (${outcome.reason}); keeping ${queue.size} queued, retrying with backoff`,
          );
        }
        return;
      }
    }
  }
}
