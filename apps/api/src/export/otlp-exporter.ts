/**
 * Forwards what the API ingests — spans as stored, request histograms as EdgePoints — to an external OTLP/HTTP
 * receiver (an OpenTelemetry Collector, Jaeger, Tempo) for companies that keep their telemetry elsewhere.
 *
 * The ingest path only appends to a bounded in-memory queue per signal (items and estimated bytes): it never
 * waits for the receiver, and when the queue is full the new items are dropped and counted. A background loop
 * per signal takes batches (by size, or after a delay), encodes them as OTLP JSON, gzips them off the event loop
 * (zlib's thread pool) and POSTs one batch at a time, retrying 429/502/503/504 and network errors with
 * exponential backoff and jitter (Retry-After honoured) for a bounded number of attempts; any other answer is
 * final. Counters (exported, dropped, failed, queue depth) are in `stats()`; problems are logged at most once a
 * minute per kind.
 *
 * Wiring (app.ts, done by the lead): create it when `env.otlpExport` is set, call exportSpans(rows) after spans
 * were stored and exportEdgePoints(points) after points were counted (duplicates left out), put `stats()` into
 * /healthz, and `await close()` on shutdown.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { EdgePoint } from '../ingest/edge-point.ts';
import type { SpanRow } from '../ingest/traces.ts';
import {
  encodeEdgePoints,
  encodeSpans,
  estimatePointBytes,
  estimateSpanBytes,
  type OtlpMetricsRequest,
  type OtlpTraceRequest,
} from './otlp-encode.ts';
import { signalUrl, type OtlpExportConfig } from './otlp-export-config.ts';
import { BoundedQueue } from './bounded-queue.ts';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-policy.ts';

const gzip = promisify(gzipCallback);

/** Counters of one signal since the API started. Items are spans (traces) or histogram data points (metrics). */
export interface SignalExportStats {
  /** Accepted by the receiver. */
  exported: number;
  /** Never sent: the queue was full, or close() ran out of time. */
  dropped: number;
  /** Sent but not accepted: refused (4xx other than 429, or rejected in partial_success) or out of attempts. */
  failed: number;
  /** Tries beyond the first. */
  retries: number;
  /** Waiting to be sent, the batch in flight included. */
  queued: number;
  queuedBytes: number;
  /** Why the last batch that did not go through did not ("HTTP 503", "connect ECONNREFUSED …"), or null. */
  lastError: string | null;
}

export interface OtlpExportStats {
  traces: SignalExportStats;
  metrics: SignalExportStats;
}

export interface OtlpExporter {
  /** Queues stored spans for export; never waits, never throws. */
  exportSpans(rows: readonly SpanRow[]): void;
  /** Queues counted data points for export; never waits, never throws. */
  exportEdgePoints(points: readonly EdgePoint[]): void;
  stats(): OtlpExportStats;
  /** Sends what is queued, giving up (and counting the rest as dropped) after config.closeTimeoutMs. */
  close(): Promise<void>;
}

/** Most one kind of problem is logged per signal: one line per minute says how bad it is. */
const LOG_INTERVAL_MS = 60_000;

type Outcome =
  | { kind: 'ok'; rejected: number }
  | { kind: 'final'; error: string }
  | { kind: 'retry'; error: string; retryAfterMs: number | undefined };

interface SignalSpec<T> {
  name: 'traces' | 'metrics';
  /** What the items are called in log lines. */
  items: string;
  sizeOf: (item: T) => number;
  encode: (batch: readonly T[]) => OtlpTraceRequest | OtlpMetricsRequest;
  /** partial_success field of the response that counts rejected items. */
  rejectedField: 'rejectedSpans' | 'rejectedDataPoints';
}

class LogThrottle {
  private last = new Map<string, number>();
  private suppressed = new Map<string, number>();

  constructor(private readonly log: (line: string) => void) {}

  note(key: string, line: () => string): void {
    const now = Date.now();
    const last = this.last.get(key);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return;
    }
    const skipped = this.suppressed.get(key) ?? 0;
    this.last.set(key, now);
    this.suppressed.set(key, 0);
    this.log(skipped > 0 ? `${line()} (${skipped} similar events in the last minute not logged)` : line());
  }
}

/** Rejects when `signal` aborts; resolves after `ms` otherwise. The timer does not keep the process alive. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    // fetch() says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
    if (cause instanceof Error && cause.message) return `${err.message}: ${cause.message}`;
    if (err.name === 'TimeoutError') return 'no answer within the timeout';
    return err.message;
  }
  return String(err);
}

function rejectedCount(body: string, field: SignalSpec<unknown>['rejectedField']): number {
  if (body === '') return 0;
  try {
    const parsed = JSON.parse(body) as { partialSuccess?: Record<string, unknown> };
    const value = parsed.partialSuccess?.[field];
    const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : 0;
    return Number.isFinite(n) && n > 0 ? n : 0;
  } catch {
    return 0; // a protobuf or empty answer: nothing to read, and a 200 means accepted
  }
}

class SignalChannel<T> {
  private readonly queue: BoundedQueue<T>;
  private readonly url: string;
  private inFlight: { size: number; bytes: number; done: Promise<void> } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private failingSince: number | null = null;
  readonly counters = { exported: 0, dropped: 0, failed: 0, retries: 0, lastError: null as string | null };

  constructor(
    private readonly spec: SignalSpec<T>,
    private readonly config: OtlpExportConfig,
    private readonly abort: AbortSignal,
    private readonly throttle: LogThrottle,
    private readonly log: (line: string) => void,
    private readonly fetchFn: typeof fetch,
  ) {
    this.queue = new BoundedQueue<T>(config.maxQueueItems, config.maxQueueBytes);
    this.url = signalUrl(config.endpoint, spec.name);
  }

  offer(items: readonly T[]): void {
    if (items.length === 0) return;
    const held = { items: this.inFlight?.size ?? 0, bytes: this.inFlight?.bytes ?? 0 };
    const accepted = this.closing ? 0 : this.queue.offer(items, this.spec.sizeOf, held);
    const dropped = items.length - accepted;
    if (dropped > 0) {
      this.counters.dropped += dropped;
      this.throttle.note(`${this.spec.name}:dropped`, () =>
        this.closing
          ? `otlp-export: ${this.spec.name}: exporter closed, ${dropped} ${this.spec.items} dropped`
          : `otlp-export: ${this.spec.name} queue full (${this.queue.length} ${this.spec.items}, ${this.queue.bytes} bytes): dropped ${dropped}; ${this.counters.dropped} dropped since start`,
      );
    }
    this.schedule();
  }

  stats(): SignalExportStats {
    return {
      ...this.counters,
      queued: this.queue.length + (this.inFlight?.size ?? 0),
      queuedBytes: this.queue.bytes + (this.inFlight?.bytes ?? 0),
    };
  }

  /** Sends now when a full batch is waiting, else once the delay has passed. */
  private schedule(): void {
    if (this.inFlight || this.queue.length === 0 || this.abort.aborted) return;
    if (this.queue.length >= this.config.maxBatchItems || this.closing) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.sendNext();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sendNext();
    }, this.config.scheduledDelayMs);
    this.timer.unref();
  }

  private sendNext(): void {
    if (this.inFlight || this.abort.aborted) return;
    const bytesBefore = this.queue.bytes;
    const batch = this.queue.take(this.config.maxBatchItems);
    if (batch.length === 0) return;
    const slot = { size: batch.length, bytes: bytesBefore - this.queue.bytes, done: Promise.resolve() };
    this.inFlight = slot;
    slot.done = this.deliver(batch).finally(() => {
      this.inFlight = null;
      this.schedule();
    });
  }

  private async deliver(batch: readonly T[]): Promise<void> {
    let body: Buffer;
    try {
      const json = Buffer.from(JSON.stringify(this.spec.encode(batch)));
      body = this.config.gzip ? await gzip(json) : json;
    } catch (err) {
      this.fail(batch.length, `could not encode the batch: ${errorText(err)}`);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      if (this.abort.aborted) {
        this.counters.dropped += batch.length;
        return;
      }
      const outcome = await this.post(body);
      if (outcome.kind === 'ok') {
        this.counters.exported += batch.length - outcome.rejected;
        if (outcome.rejected > 0)
          this.fail(outcome.rejected, `the receiver rejected ${outcome.rejected} ${this.spec.items}`);
        else this.recovered();
        return;
      }
      if (this.abort.aborted) {
        // close() ran out of time while this POST was under way: not sent as far as we know.
        this.counters.dropped += batch.length;
        return;
      }
      if (outcome.kind === 'final' || attempt >= this.config.maxAttempts) {
        const suffix = outcome.kind === 'retry' ? ` (gave up after ${attempt} attempts)` : '';
        this.fail(batch.length, `${outcome.error}${suffix}`);
        return;
      }
      this.counters.retries++;
      this.counters.lastError = outcome.error;
      try {
        await sleep(retryDelayMs(attempt, outcome.retryAfterMs, this.config), this.abort);
      } catch {
        this.counters.dropped += batch.length;
        return;
      }
    }
  }

  private async post(body: Buffer): Promise<Outcome> {
    const headers: Record<string, string> = {
      ...this.config.headers,
      'content-type': 'application/json',
    };
    if (this.config.gzip) headers['content-encoding'] = 'gzip';
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(this.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([this.abort, AbortSignal.timeout(this.config.timeoutMs)]),
      });
      text = await response.text();
    } catch (err) {
      return { kind: 'retry', error: errorText(err), retryAfterMs: undefined };
    }
    if (response.ok) return { kind: 'ok', rejected: rejectedCount(text, this.spec.rejectedField) };
    const error = `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (isRetryableStatus(response.status)) {
      return {
        kind: 'retry',
        error,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
      };
    }
    return { kind: 'final', error };
  }

  private fail(count: number, error: string): void {
    this.counters.failed += count;
    this.counters.lastError = error;
    this.failingSince ??= Date.now();
    this.throttle.note(
      `${this.spec.name}:failed`,
      () =>
        `otlp-export: ${this.spec.name} to ${this.url}: ${count} ${this.spec.items} not delivered: ${error}; ${this.counters.failed} failed since start`,
    );
  }

  private recovered(): void {
    if (this.failingSince === null) return;
    this.log(
      `otlp-export: ${this.spec.name} to ${this.url} delivered again (failing since ${new Date(this.failingSince).toISOString()})`,
    );
    this.failingSince = null;
  }

  /** Stops taking new items and sends the rest; resolves when done or when `abort` fires. */
  async drain(): Promise<void> {
    this.closing = true;
    this.schedule();
    while (!this.abort.aborted && (this.inFlight || this.queue.length > 0)) {
      if (this.inFlight) await this.inFlight.done;
      else this.sendNext();
    }
  }

  /** After the deadline: whatever is still queued is counted as dropped (the in-flight batch counts itself). */
  discard(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const left = this.queue.clear();
    this.counters.dropped += left;
    if (left > 0 || this.inFlight) {
      this.log(
        `otlp-export: ${this.spec.name}: closed before ${left + (this.inFlight?.size ?? 0)} ${this.spec.items} could be sent to ${this.url}`,
      );
    }
  }
}

/** Unit tests hand in their own fetch; everything else uses the global one. */
export interface ExporterDeps {
  fetch: typeof fetch;
}

export function createOtlpExporter(
  config: OtlpExportConfig,
  log: (line: string) => void,
  deps: ExporterDeps = { fetch: (input, init) => fetch(input, init) },
): OtlpExporter {
  const abort = new AbortController();
  const throttle = new LogThrottle(log);
  const traces = new SignalChannel<SpanRow>(
    {
      name: 'traces',
      items: 'spans',
      sizeOf: estimateSpanBytes,
      encode: encodeSpans,
      rejectedField: 'rejectedSpans',
    },
    config,
    abort.signal,
    throttle,
    log,
    deps.fetch,
  );
  const metrics = new SignalChannel<EdgePoint>(
    {
      name: 'metrics',
      items: 'data points',
      sizeOf: estimatePointBytes,
      encode: encodeEdgePoints,
      rejectedField: 'rejectedDataPoints',
    },
    config,
    abort.signal,
    throttle,
    log,
    deps.fetch,
  );
  let closed: Promise<void> | null = null;

  return {
    exportSpans: (rows) => traces.offer(rows),
    exportEdgePoints: (points) => metrics.offer(points),
    stats: () => ({ traces: traces.stats(), metrics: metrics.stats() }),
    close() {
      closed ??= (async () => {
        let deadline: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => {
          deadline = setTimeout(resolve, config.closeTimeoutMs);
        });
        await Promise.race([Promise.all([traces.drain(), metrics.drain()]), timedOut]);
        clearTimeout(deadline);
        abort.abort(new Error('the OTLP exporter was closed'));
        traces.discard();
        metrics.discard();
      })();
      return closed;
    },
  };
}
