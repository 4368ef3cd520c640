import { describe, expect, it } from 'vitest';
import {
  allTo,
  apportion,
  backendsForVersions,
  moveSplitPoint,
  oldestAndNewest,
  percentages,
  setShare,
  splitPoints,
  weightsFromPoints,
  type Backend,
} from './weights.ts';

const split = (...weights: number[]): Backend[] =>
  weights.map((weight, i) => ({ version: `v${i + 1}`, weight }));
const weights = (backends: readonly Backend[]) => backends.map((b) => b.weight);
const sum = (backends: readonly Backend[]) => backends.reduce((a, b) => a + b.weight, 0);

describe('percentages', () => {
  it('shows relative weights as whole percentages summing to 100', () => {
    expect(percentages(split(9, 1))).toEqual([90, 10]);
    expect(percentages(split(1, 1, 1))).toEqual([34, 33, 33]);
    expect(percentages(split(0, 100))).toEqual([0, 100]);
  });

  it('is 0 for every version when all weights are 0 (WEFT2001 says why)', () => {
    expect(percentages(split(0, 0))).toEqual([0, 0]);
  });
});

describe('apportion', () => {
  it('keeps the total exact', () => {
    for (const shares of [
      [1, 1, 1],
      [2, 3, 5],
      [0, 0, 7],
      [0.5, 0.25, 0.25],
    ]) {
      expect(apportion(shares, 100).reduce((a, b) => a + b, 0)).toBe(100);
    }
  });
});

describe('split points (one slider per point)', () => {
  it('are the cumulative percentages, N−1 for N versions', () => {
    expect(splitPoints(split(90, 10))).toEqual([90]);
    expect(splitPoints(split(50, 30, 20))).toEqual([50, 80]);
    expect(weightsFromPoints([50, 80])).toEqual([50, 30, 20]);
  });

  it('moving the one slider of two versions to 50 gives 50/50', () => {
    expect(weights(moveSplitPoint(split(100, 0), 0, 50))).toEqual([50, 50]);
  });

  it('moving a middle point trades share between its two neighbours only', () => {
    const moved = moveSplitPoint(split(50, 30, 20), 1, 60);
    expect(weights(moved)).toEqual([50, 10, 40]);
    expect(sum(moved)).toBe(100);
  });

  it('cannot cross a neighbouring point: no version goes below 0', () => {
    expect(weights(moveSplitPoint(split(50, 30, 20), 1, 10))).toEqual([50, 0, 50]);
    expect(weights(moveSplitPoint(split(50, 30, 20), 0, 95))).toEqual([80, 0, 20]);
    expect(weights(moveSplitPoint(split(50, 50), 0, 140))).toEqual([100, 0]);
  });

  it('normalizes relative weights to percentages once the user moves a slider', () => {
    expect(weights(moveSplitPoint(split(9, 1), 0, 80))).toEqual([80, 20]);
  });
});

describe("setShare (a version's number input)", () => {
  it('gives the other version the rest with two versions', () => {
    expect(weights(setShare(split(100, 0), 1, 25))).toEqual([75, 25]);
  });

  it('shares the rest among the others in their proportions with N versions', () => {
    const set = setShare(split(50, 30, 20), 0, 20);
    expect(weights(set)).toEqual([20, 48, 32]);
    expect(sum(set)).toBe(100);
  });

  it('shares the rest equally when the others all had 0', () => {
    expect(weights(setShare(split(100, 0, 0), 0, 40))).toEqual([40, 30, 30]);
  });

  it('clamps to 0–100 and rounds', () => {
    expect(weights(setShare(split(50, 50), 0, 150))).toEqual([100, 0]);
    expect(weights(setShare(split(50, 50), 0, -5))).toEqual([0, 100]);
    expect(weights(setShare(split(50, 50), 0, 33.4))).toEqual([33, 67]);
    expect(weights(setShare(split(50, 50), 0, Number.NaN))).toEqual([0, 100]);
  });
});

describe('promote and roll back', () => {
  it('send 100% to one version and 0 to the others', () => {
    const three = split(80, 15, 5);
    const { oldest, newest } = oldestAndNewest(three.map((b) => b.version));
    expect(weights(allTo(three, newest!))).toEqual([0, 0, 100]);
    expect(weights(allTo(three, oldest!))).toEqual([100, 0, 0]);
  });

  it('know v10 is newer than v2', () => {
    expect(oldestAndNewest(['v10', 'v2', 'v1'])).toEqual({ oldest: 'v1', newest: 'v10' });
  });
});

describe('backendsForVersions', () => {
  it('adds a 0 row for each version the split does not list, oldest first, and keeps listed ones', () => {
    expect(backendsForVersions([{ version: 'v2', weight: 100 }], ['v1', 'v2', 'v3'])).toEqual([
      { version: 'v1', weight: 0 },
      { version: 'v2', weight: 100 },
      { version: 'v3', weight: 0 },
    ]);
    expect(backendsForVersions([{ version: 'v0', weight: 5 }], ['v1'])).toEqual([
      { version: 'v0', weight: 5 },
      { version: 'v1', weight: 0 },
    ]);
  });
});
