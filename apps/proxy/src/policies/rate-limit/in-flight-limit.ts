/**
 * A concurrency limit (RateLimitPolicy `concurrency.maxInFlight`): requests past the limit are shed at
 * once, never queued, as Envoy's adaptive concurrency and Linkerd's load shedding do: a queue in front of
 * an overloaded application only adds latency to what it will time out anyway.
 *
 * The count outlives config updates (the same object is handed to each new config while the policy stays),
 * so a new config neither forgets the requests in flight nor lets a second `maxInFlight` in.
 */
export class InFlightLimit {
  max: number;
  #inFlight = 0;

  constructor(max: number) {
    this.max = max;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Counts one more request in flight; false (and nothing counted) when `max` are already. */
  tryAcquire(): boolean {
    if (this.#inFlight >= this.max) return false;
    this.#inFlight++;
    return true;
  }

  /** Once per successful `tryAcquire`, when that request's exchange has ended. */
  release(): void {
    if (this.#inFlight > 0) this.#inFlight--;
  }
}
