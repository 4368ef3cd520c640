/**
 * Peak-EWMA of response latency, Linkerd's default balancer (tower's `PeakEwma`): each endpoint's cost is
 * its latency estimate × (requests in flight + 1), and power of two choices takes the cheaper of two
 * random endpoints. The estimate jumps up to any slower observation at once (peak) and decays toward
 * faster ones with time constant `decay`, so a slow endpoint loses traffic immediately and regains it
 * gradually. Between observations it decays toward zero at the same rate (tower does the same when it reads
 * the estimate), so an endpoint that was slow once is tried again instead of being starved forever.
 *
 * The estimate lives on EndpointState (`latency`), so it survives config updates; pickEndpoint observes
 * every attempt's time to response headers.
 */
import type { EndpointState } from '../endpoint-registry.ts';
import type { Balancer } from '../round-robin.ts';
import { drawUsable, type RandomSource } from './candidates.ts';

/** Estimate of an endpoint nothing was observed of yet (Linkerd's default RTT). */
export const DEFAULT_RTT_MS = 30;
export const DEFAULT_DECAY_MS = 10_000;

export class PeakEwma {
  /** Time constant of the decay, in ms; the EWMA balancer sets its policy's `ewma.decay`. */
  decayMs = DEFAULT_DECAY_MS;
  #costMs = DEFAULT_RTT_MS;
  /** When #costMs was last updated (the clock the observer uses, `performance.now()`); undefined: never. */
  #at: number | undefined;

  /** Records one response latency observed at `nowMs`. */
  observe(latencyMs: number, nowMs: number): void {
    const rtt = Math.max(0, latencyMs);
    if (this.#at === undefined) {
      this.#costMs = rtt;
    } else {
      const current = this.estimate(nowMs);
      if (rtt > current) {
        this.#costMs = rtt;
      } else {
        const w = Math.exp(-Math.max(0, nowMs - this.#at) / this.decayMs);
        this.#costMs = current * w + rtt * (1 - w);
      }
    }
    this.#at = nowMs;
  }

  /** The latency estimate at `nowMs`, in ms. */
  estimate(nowMs: number): number {
    if (this.#at === undefined) return this.#costMs;
    return this.#costMs * Math.exp(-Math.max(0, nowMs - this.#at) / this.decayMs);
  }

  get observed(): boolean {
    return this.#at !== undefined;
  }
}

export class EwmaBalancer<T extends { readonly state: EndpointState }> implements Balancer<T> {
  readonly #items: readonly T[];
  readonly #now: () => number;
  readonly #random: RandomSource;

  constructor(
    items: readonly T[],
    decayMs: number = DEFAULT_DECAY_MS,
    now: () => number = () => performance.now(),
    random: RandomSource = Math.random,
  ) {
    this.#items = items;
    this.#now = now;
    this.#random = random;
    for (const item of items) item.state.latency.decayMs = Math.max(1, decayMs);
  }

  pick(usable?: (item: T) => boolean): T | undefined {
    const now = this.#now();
    let best: T | undefined;
    let bestCost = Infinity;
    for (const item of drawUsable(this.#items, 2, usable, this.#random)) {
      const cost = item.state.latency.estimate(now) * (item.state.inFlight + 1);
      if (cost < bestCost) {
        best = item;
        bestCost = cost;
      }
    }
    return best;
  }
}
