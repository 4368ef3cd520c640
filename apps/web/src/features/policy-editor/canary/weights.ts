/**
 * The canary editor's arithmetic. A TrafficSplit's weights are relative (9 and 1 split like 90 and 10); the
 * editor shows and edits them as whole percentages that sum to 100, so what the user sees is what the
 * proxies do. With N versions there are N−1 split points on a 0–100 line: version i gets the stretch
 * between point i−1 and point i.
 */

export interface Backend {
  version: string;
  weight: number;
}

const TOTAL = 100;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * Whole numbers proportional to `shares` that sum to `total` (largest remainder, ties to the earlier
 * entry); all-zero shares give `total` to the first entry, so the sum always holds.
 */
export function apportion(shares: readonly number[], total: number): number[] {
  if (shares.length === 0) return [];
  const sum = shares.reduce((a, b) => a + Math.max(0, b), 0);
  if (sum <= 0) return shares.map((_, i) => (i === 0 ? total : 0));
  const exact = shares.map((s) => (Math.max(0, s) / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, rest: x - Math.floor(x) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]! += 1;
    left--;
  }
  return out;
}

/** Each backend's share in whole percent, summing to 100 (0 for all when every weight is 0). */
export function percentages(backends: readonly Backend[]): number[] {
  const sum = backends.reduce((a, b) => a + b.weight, 0);
  if (sum <= 0) return backends.map(() => 0);
  return apportion(
    backends.map((b) => b.weight),
    TOTAL,
  );
}

/** The split points (cumulative percentages) of N backends: N−1 numbers from 0 to 100, not decreasing. */
export function splitPoints(backends: readonly Backend[]): number[] {
  const pct = percentages(backends);
  const points: number[] = [];
  let acc = 0;
  for (let i = 0; i < pct.length - 1; i++) {
    acc += pct[i]!;
    points.push(acc);
  }
  return points;
}

function withWeights(backends: readonly Backend[], weights: readonly number[]): Backend[] {
  return backends.map((b, i) => ({ version: b.version, weight: weights[i] ?? 0 }));
}

/** Weights from split points: version i gets point i − point i−1 (the first from 0, the last up to 100). */
export function weightsFromPoints(points: readonly number[]): number[] {
  const bounds = [0, ...points, TOTAL];
  return bounds.slice(1).map((p, i) => p - bounds[i]!);
}

/**
 * Moves split point `index` to `value`, kept between its neighbours so no version goes below 0; the
 * versions on either side of it trade share, the others keep theirs.
 */
export function moveSplitPoint(backends: readonly Backend[], index: number, value: number): Backend[] {
  const points = splitPoints(backends);
  if (index < 0 || index >= points.length) return [...backends];
  const low = index === 0 ? 0 : points[index - 1]!;
  const high = index === points.length - 1 ? TOTAL : points[index + 1]!;
  points[index] = clamp(Math.round(value), low, high);
  return withWeights(backends, weightsFromPoints(points));
}

/**
 * Sets one version's share to `percent` (0–100, rounded); the others share the rest in the proportions
 * they had (equally when they all had 0), so the sum stays 100.
 */
export function setShare(backends: readonly Backend[], index: number, percent: number): Backend[] {
  if (index < 0 || index >= backends.length) return [...backends];
  const value = clamp(Math.round(Number.isFinite(percent) ? percent : 0), 0, TOTAL);
  if (backends.length === 1) return withWeights(backends, [TOTAL]);
  const current = percentages(backends);
  const others = current.filter((_, i) => i !== index);
  const shares = others.some((s) => s > 0) ? others : others.map(() => 1);
  const rest = apportion(shares, TOTAL - value);
  const weights = current.map((_, i) => (i === index ? value : rest.shift()!));
  return withWeights(backends, weights);
}

/** Everything to one version (promote the newest, roll back to the oldest), 0 to the others. */
export function allTo(backends: readonly Backend[], version: string): Backend[] {
  return backends.map((b) => ({ version: b.version, weight: b.version === version ? TOTAL : 0 }));
}

/** Orders versions oldest first: v2 before v10, then by name. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * The backends the editor shows: the split's own, plus a 0-weight row for each version of the service the
 * split does not list yet, oldest first (a version the service no longer has stays, so it can be set to 0).
 */
export function backendsForVersions(backends: readonly Backend[], versions: readonly string[]): Backend[] {
  const listed = new Map(backends.map((b) => [b.version, b.weight]));
  const all = [...new Set([...versions, ...backends.map((b) => b.version)])].sort(compareVersions);
  return all.map((version) => ({ version, weight: listed.get(version) ?? 0 }));
}

/** The oldest and newest version of a list (oldest first), for "Roll back to" and "Promote". */
export function oldestAndNewest(versions: readonly string[]): { oldest?: string; newest?: string } {
  const sorted = [...versions].sort(compareVersions);
  return { oldest: sorted[0], newest: sorted[sorted.length - 1] };
}
