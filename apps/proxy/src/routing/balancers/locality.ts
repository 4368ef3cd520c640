/**
 * Locality-aware balancing with priority levels, as Envoy does it: endpoints in the caller's zone are
 * priority 0, the rest of its region priority 1, everything else priority 2. Traffic stays on the
 * highest priority while at least `minHealthyPercent` of its endpoints are usable; below that, the level
 * keeps a share proportional to its health (Envoy's overprovisioning factor, here 100 / minHealthyPercent)
 * and the rest spills to the next level, and so on. Within a level the configured algorithm picks.
 *
 * When no level has a usable endpoint, the levels' loads are all zero: the caller fails over to another
 * service (see failover.ts) or, without one, picks among all endpoints (panic mode).
 */
import type { Balancer, BalancerRequest } from '../round-robin.ts';
import type { RandomSource } from './candidates.ts';

/** Where this proxy runs (its --zone / --region). */
export interface LocalTopology {
  readonly zone?: string | undefined;
  readonly region?: string | undefined;
}

export interface Located {
  readonly zone?: string | undefined;
  readonly region?: string | undefined;
}

export const PRIORITY_LEVELS = 3;

/**
 * 0: the caller's zone (and region, when both say one), 1: the caller's region, 2: anywhere else. An
 * endpoint (or a caller) without topology is "anywhere else" unless the caller knows nothing either.
 */
export function priorityOf(endpoint: Located, local: LocalTopology): 0 | 1 | 2 {
  const sameRegion = local.region !== undefined && endpoint.region === local.region;
  const regionConflict =
    local.region !== undefined && endpoint.region !== undefined && endpoint.region !== local.region;
  if (local.zone !== undefined && endpoint.zone === local.zone && !regionConflict) return 0;
  if (sameRegion) return 1;
  return 2;
}

/**
 * Share of traffic per level, from each level's usable fraction (usable / endpoints; 0 for an empty
 * level). A level is fully healthy at `minHealthyPercent`; its share is its health, capped by what the
 * levels above left. When the levels together are less than fully healthy, the shares are scaled up to
 * sum to 1 (Envoy normalises the same way). All zero: no level has a usable endpoint.
 */
export function levelShares(usableFractions: readonly number[], minHealthyPercent: number): number[] {
  const threshold = Math.min(1, Math.max(0.01, minHealthyPercent / 100));
  let left = 1;
  const shares = usableFractions.map((f) => {
    const share = Math.min(left, Math.min(1, f / threshold));
    left -= share;
    return share;
  });
  const total = 1 - left;
  return total <= 0 ? shares.map(() => 0) : shares.map((s) => s / total);
}

export interface PriorityLevel<T> {
  readonly priority: number;
  readonly endpoints: readonly T[];
  readonly balancer: Balancer<T>;
}

export class LocalityBalancer<T> implements Balancer<T> {
  /** Non-empty levels, highest priority first. */
  readonly levels: readonly PriorityLevel<T>[];
  readonly minHealthyPercent: number;
  readonly #random: RandomSource;

  constructor(
    levels: readonly PriorityLevel<T>[],
    minHealthyPercent: number,
    random: RandomSource = Math.random,
  ) {
    this.levels = levels.filter((l) => l.endpoints.length > 0);
    this.minHealthyPercent = minHealthyPercent;
    this.#random = random;
  }

  /** Share of traffic per level now (same order as `levels`). */
  shares(usable?: (item: T) => boolean): number[] {
    return levelShares(
      this.levels.map((l) =>
        usable === undefined ? 1 : l.endpoints.filter(usable).length / l.endpoints.length,
      ),
      this.minHealthyPercent,
    );
  }

  pick(usable?: (item: T) => boolean, request?: BalancerRequest): T | undefined {
    const levels = this.levels;
    const first = levels[0];
    if (first === undefined) return undefined;
    // The common case costs one scan of the first level: it is healthy enough to take everything.
    if (usable === undefined || levels.length === 1 || healthyEnough(first, usable, this.minHealthyPercent))
      return first.balancer.pick(usable, request);
    const shares = this.shares(usable);
    let r = this.#random();
    let chosen: PriorityLevel<T> | undefined;
    for (let i = 0; i < levels.length; i++) {
      const share = shares[i] as number;
      if (share <= 0) continue;
      chosen = levels[i];
      if (r < share) break;
      r -= share;
    }
    // No usable endpoint in any level: the highest priority, in panic mode.
    return (chosen ?? first).balancer.pick(usable, request);
  }
}

function healthyEnough<T>(
  level: PriorityLevel<T>,
  usable: (item: T) => boolean,
  minHealthyPercent: number,
): boolean {
  let n = 0;
  for (const e of level.endpoints) if (usable(e)) n++;
  return n * 100 >= minHealthyPercent * level.endpoints.length;
}
