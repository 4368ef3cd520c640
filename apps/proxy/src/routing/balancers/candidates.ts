/**
 * What every balancer does first: narrow the items to the usable ones (not ejected, not failing health
 * checks), or keep them all when none is usable (Envoy's panic mode: better a failing endpoint than no
 * answer).
 */
export function usableOrAll<T>(
  items: readonly T[],
  usable: ((item: T) => boolean) | undefined,
): readonly T[] {
  if (usable === undefined) return items;
  let out: T[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as T;
    if (usable(item)) {
      out?.push(item);
    } else if (out === undefined) {
      // Copy lazily: on the common path every endpoint is usable and nothing is allocated.
      out = items.slice(0, i);
    }
  }
  return out === undefined ? items : out.length === 0 ? items : out;
}

export type RandomSource = () => number;

/**
 * Up to `k` distinct positions in [0, n), drawn at random (k is 2 to 8, so a linear check for repeats is
 * cheaper than a set).
 */
export function distinctPositions(n: number, k: number, random: RandomSource): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  while (out.length < k) {
    let at = Math.min(n - 1, Math.floor(random() * n));
    // A repeat moves on to the next free position: terminates whatever the random source returns.
    while (out.includes(at)) at = at + 1 === n ? 0 : at + 1;
    out.push(at);
  }
  return out;
}

/**
 * `k` distinct items drawn at random among the usable ones (all when none is). The draw is made among all
 * items first and kept when every drawn one is usable, so the common case asks `usable` k times instead
 * of once per item; otherwise it is drawn again from the usable ones.
 */
export function drawUsable<T>(
  items: readonly T[],
  k: number,
  usable: ((item: T) => boolean) | undefined,
  random: RandomSource,
): T[] {
  const drawn = distinctPositions(items.length, k, random).map((at) => items[at] as T);
  if (usable === undefined || drawn.every(usable)) return drawn;
  const pool = usableOrAll(items, usable);
  return distinctPositions(pool.length, k, random).map((at) => pool[at] as T);
}
