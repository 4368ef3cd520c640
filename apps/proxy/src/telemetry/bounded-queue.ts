/**
 * FIFO that holds at most `capacity` items: pushing past it drops the oldest and counts them. Items
 * taken for an export that failed go back to the front, so nothing is reordered or lost below the cap.
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  #items: T[] = [];
  #head = 0;
  #dropped = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`queue capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Items dropped because the queue was full, since the start. */
  get dropped(): number {
    return this.#dropped;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#trim();
  }

  pushAll(items: readonly T[]): void {
    for (const item of items) this.#items.push(item);
    this.#trim();
  }

  /** Removes and returns up to `max` of the oldest items. */
  take(max: number): T[] {
    const end = Math.min(this.#items.length, this.#head + max);
    const out = this.#items.slice(this.#head, end);
    this.#head = end;
    this.#compact();
    return out;
  }

  /** Returns items taken earlier to the front (oldest first); the oldest are dropped if that overflows. */
  putBack(items: readonly T[]): void {
    if (items.length === 0) return;
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
    this.#trim();
  }

  #trim(): void {
    const excess = this.size - this.capacity;
    if (excess > 0) {
      this.#head += excess;
      this.#dropped += excess;
      this.#compact();
    }
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
