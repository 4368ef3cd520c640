import type { RequestHeaders } from './split.ts';

/**
 * Picks endpoints in turn: the default balancer. A balancer is only `pick()`; the others a
 * LoadBalancingPolicy can ask for (least request, EWMA, ring hash, locality levels) are in balancers/.
 */
export interface Balancer<T> {
  /**
   * One item; with `usable`, one for which it is true (for endpoints: `e.state.available(now)`, not ejected
   * by outlier detection nor failing health checks). When none is usable the balancer picks among all
   * of them as if none were filtered (Envoy's panic mode): better a failing endpoint than no answer.
   */
  pick(usable?: (item: T) => boolean, request?: BalancerRequest): T | undefined;
}

/** What of the request a balancer may read: ring hash takes its key from a header or a cookie. */
export interface BalancerRequest {
  readonly headers: RequestHeaders;
}

export type BalancerFactory = <T>(items: readonly T[]) => Balancer<T>;

export class RoundRobin<T> implements Balancer<T> {
  readonly #items: readonly T[];
  #next: number;

  /** `start` defaults to a random position so proxies started together do not all hit the first endpoint. */
  constructor(items: readonly T[], start = Math.floor(Math.random() * Math.max(1, items.length))) {
    this.#items = items;
    this.#next = items.length === 0 ? 0 : start % items.length;
  }

  pick(usable?: (item: T) => boolean): T | undefined {
    const n = this.#items.length;
    if (n === 0) return undefined;
    const first = this.#next;
    if (usable !== undefined) {
      // The next usable one in turn; the position moves past it, so the others keep their turns.
      for (let i = 0; i < n; i++) {
        const at = (first + i) % n;
        const item = this.#items[at] as T;
        if (usable(item)) {
          this.#next = at + 1 === n ? 0 : at + 1;
          return item;
        }
      }
    }
    const item = this.#items[first];
    this.#next = first + 1 === n ? 0 : first + 1;
    return item;
  }
}

export const roundRobin: BalancerFactory = (items) => new RoundRobin(items);
