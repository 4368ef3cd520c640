/**
 * A FIFO bounded by item count and by (estimated) bytes. When an offer does not fit, the items that do not fit
 * are refused — dropped by the caller and counted — and what is already queued stays: the OpenTelemetry SDK's
 * BatchSpanProcessor and the Collector's sending queue do the same, and it keeps an offer O(items offered) with
 * no eviction work on the ingest path.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private sizes: number[] = [];
  /** Index of the oldest item: taking from the front is a pointer move, compacted now and then. */
  private head = 0;
  private bytesQueued = 0;

  constructor(
    readonly maxItems: number,
    readonly maxBytes: number,
  ) {
    if (!(maxItems >= 1) || !(maxBytes >= 1)) throw new RangeError('queue bounds must be at least 1');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesQueued;
  }

  /**
   * Appends items in order while they fit; returns how many were taken (the rest are refused). `held` is what
   * was taken out but is still in memory (a batch being sent): it counts against the bounds too.
   */
  offer(
    items: readonly T[],
    sizeOf: (item: T) => number,
    held: { items: number; bytes: number } = { items: 0, bytes: 0 },
  ): number {
    let accepted = 0;
    for (const item of items) {
      const size = Math.max(1, sizeOf(item));
      if (this.length + held.items >= this.maxItems || this.bytesQueued + held.bytes + size > this.maxBytes)
        break;
      this.items.push(item);
      this.sizes.push(size);
      this.bytesQueued += size;
      accepted++;
    }
    return accepted;
  }

  /** Removes and returns up to `max` of the oldest items. */
  take(max: number): T[] {
    const end = Math.min(this.items.length, this.head + Math.max(0, max));
    const batch = this.items.slice(this.head, end);
    for (let i = this.head; i < end; i++) this.bytesQueued -= this.sizes[i] as number;
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    if (this.length === 0) this.bytesQueued = 0;
    return batch;
  }

  /** Empties the queue; returns how many items were in it. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytesQueued = 0;
    return n;
  }
}
