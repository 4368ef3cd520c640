/**
 * The API's telemetry writes go through one bounded queue: batches are written one transaction at a time (the
 * database has one writer anyway, and SQLite runs on the event loop's thread), and a sender that would push the
 * queue past its bound is told to come back later (429 + Retry-After) instead of growing memory without limit.
 */
import { WriteQueueLimits } from '@weft/schema';

export class IngestOverloadedError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    readonly queuedRows: number,
  ) {
    super(
      `the API is behind on writing telemetry (${queuedRows} rows queued, limit WriteQueueLimits.maxQueuedRows = ${WriteQueueLimits.maxQueuedRows}); retry after ${retryAfterSeconds} s`,
    );
    this.name = 'IngestOverloadedError';
  }
}

/** Lets timers and sockets run between writes, so that no chain of writes holds the event loop. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface WriteQueueOptions {
  maxQueuedRows?: number;
  retryAfterSeconds?: number;
}

export class WriteQueue {
  private queuedRows = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly maxQueuedRows: number;
  private readonly retryAfterSeconds: number;

  constructor(options: WriteQueueOptions = {}) {
    this.maxQueuedRows = options.maxQueuedRows ?? WriteQueueLimits.maxQueuedRows;
    this.retryAfterSeconds = options.retryAfterSeconds ?? WriteQueueLimits.retryAfterSeconds;
  }

  /** Rows waiting or being written now. */
  get depth(): number {
    return this.queuedRows;
  }

  /**
   * Runs `write` after every write queued before it; resolves with its result. Throws IngestOverloadedError at
   * once (nothing queued) when `rows` more would exceed the bound — unless the queue is empty, so that one batch
   * larger than the bound (already within the body limit) is still written.
   */
  run<T>(rows: number, write: () => Promise<T>): Promise<T> {
    if (this.queuedRows > 0 && this.queuedRows + rows > this.maxQueuedRows) {
      return Promise.reject(new IngestOverloadedError(this.retryAfterSeconds, this.queuedRows));
    }
    this.queuedRows += rows;
    const result = this.tail.then(async () => {
      await yieldToEventLoop();
      return write();
    });
    const settled = result.finally(() => {
      this.queuedRows -= rows;
    });
    this.tail = settled.catch(() => undefined);
    return settled;
  }

  /** Resolves when everything queued so far has been written (or failed). */
  async drain(): Promise<void> {
    await this.tail;
  }
}
