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
    this.queue.push(flatten(spanJson(span)));
  }
}

/**
 * A string built by concatenation is a tree of pieces in V8; converting it to a number makes V8
 * flatten it into one flat string (the "flatstr" trick), which the GC then keeps as a single object.
 */
function flatten(s: string): string {
  void Number(s);
  return s;
}
