/**
 * Picks endpoints in turn. A balancer is only `pick()`, so least-request or EWMA can replace this one
 * (they would also observe completions, via ProxyRequest.onComplete).
 */
export interface Balancer<T> {
  pick(): T | undefined;
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

  pick(): T | undefined {
    const n = this.#items.length;
    if (n === 0) return undefined;
    const item = this.#items[this.#next];
    this.#next = this.#next + 1 === n ? 0 : this.#next + 1;
    return item;
  }
}

export const roundRobin: BalancerFactory = (items) => new RoundRobin(items);
