/**
 * Least request by the power of two choices (Mitzenmacher; Envoy's LEAST_REQUEST): draw `choices` distinct
 * endpoints at random and take the one with the fewest requests in flight. Nearly as good as scanning every
 * endpoint for the minimum, without herding every proxy onto the same momentarily idle one.
 */
import type { EndpointState } from '../endpoint-registry.ts';
import type { Balancer } from '../round-robin.ts';
import { drawUsable, type RandomSource } from './candidates.ts';

export class LeastRequest<T extends { readonly state: EndpointState }> implements Balancer<T> {
  readonly #items: readonly T[];
  readonly #choices: number;
  readonly #random: RandomSource;

  constructor(items: readonly T[], choices = 2, random: RandomSource = Math.random) {
    this.#items = items;
    this.#choices = Math.max(1, choices);
    this.#random = random;
  }

  pick(usable?: (item: T) => boolean): T | undefined {
    let best: T | undefined;
    for (const item of drawUsable(this.#items, this.#choices, usable, this.#random)) {
      if (best === undefined || item.state.inFlight < best.state.inFlight) best = item;
    }
    return best;
  }
}
