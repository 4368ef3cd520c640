/** Where finished spans wait for export: encoded to OTLP JSON at once, kept in a bounded queue. */
import type { SpanSink } from '../layers/telemetry.ts';
import type { BoundedQueue } from './bounded-queue.ts';
import type { FinishedSpan } from './finished-span.ts';
import { spanJson } from './otlp-encode.ts';

export class SpanBuffer implements SpanSink {
  readonly queue: BoundedQueue<string>;

  constructor(queue: BoundedQueue<string>) {
    this.queue = queue;
  }

  push(span: FinishedSpan): void {
    this.queue.push(spanJson(span));
  }
}
