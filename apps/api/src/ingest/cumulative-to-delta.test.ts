import { describe, expect, it } from 'vitest';
import { CumulativeToDelta, type CumulativePoint } from './cumulative-to-delta.ts';

const S = 1_000_000_000n;
const started = 1000n * S;

function point(startS: bigint, timeS: bigint, values: number[], sum = 0): CumulativePoint {
  return { startNs: startS * S, timeNs: timeS * S, values, sum };
}

/** Converts one point in its own committed session. */
function feed(converter: CumulativeToDelta, key: string, p: CumulativePoint) {
  const session = converter.session();
  const result = session.convert(key, p);
  session.commit();
  return result;
}

describe('CumulativeToDelta', () => {
  it('counts the first point whole when its series started after the API, else keeps it as the baseline', () => {
    const converter = new CumulativeToDelta(started);
    expect(feed(converter, 'new', point(1001n, 1010n, [5], 2))).toEqual({
      kind: 'delta',
      startNs: 1001n * S,
      timeNs: 1010n * S,
      values: [5],
      sum: 2,
    });
    expect(feed(converter, 'old', point(900n, 1010n, [5], 2))).toEqual({ kind: 'baseline' });
  });

  it('counts the difference from the previous point, over the time between them', () => {
    const converter = new CumulativeToDelta(started);
    feed(converter, 'k', point(900n, 1010n, [5, 1, 4], 20));
    expect(feed(converter, 'k', point(900n, 1020n, [8, 2, 6], 26))).toEqual({
      kind: 'delta',
      startNs: 1010n * S,
      timeNs: 1020n * S,
      values: [3, 1, 2],
      sum: 6,
    });
  });

  it('counts nothing for a point not newer than the last (a retried export)', () => {
    const converter = new CumulativeToDelta(started);
    feed(converter, 'k', point(900n, 1010n, [5]));
    feed(converter, 'k', point(900n, 1020n, [8]));
    expect(feed(converter, 'k', point(900n, 1020n, [8]))).toEqual({ kind: 'stale' });
    expect(feed(converter, 'k', point(900n, 1030n, [9]))).toMatchObject({ values: [1] });
  });

  it('detects a restart by a new start time or a count that went down, and counts the new series whole', () => {
    const converter = new CumulativeToDelta(started);
    feed(converter, 'k', point(900n, 1010n, [50], 100));
    // The process restarted at 1015 s: everything since is new.
    expect(feed(converter, 'k', point(1015n, 1020n, [3], 1))).toMatchObject({
      kind: 'delta',
      values: [3],
      sum: 1,
    });
    expect(feed(converter, 'k', point(1015n, 1030n, [7], 2))).toMatchObject({ values: [4], sum: 1 });
    // Same start time but the count went down (a reset the sender did not date): a new baseline.
    expect(feed(converter, 'k', point(1015n, 1040n, [2], 3))).toEqual({ kind: 'baseline' });
    expect(feed(converter, 'k', point(1015n, 1050n, [6], 4))).toMatchObject({ values: [4], sum: 1 });
  });

  it('forgets nothing of a request that was not committed (a failed write is retried with the same result)', () => {
    const converter = new CumulativeToDelta(started);
    feed(converter, 'k', point(900n, 1010n, [5]));
    const failed = converter.session();
    expect(failed.convert('k', point(900n, 1020n, [8]))).toMatchObject({ values: [3] });
    expect(feed(converter, 'k', point(900n, 1020n, [8]))).toMatchObject({ values: [3] });
  });

  it('keeps at most maxSeries series, forgetting the least recently updated', () => {
    const converter = new CumulativeToDelta(started, 2);
    feed(converter, 'a', point(900n, 1010n, [1]));
    feed(converter, 'b', point(900n, 1010n, [1]));
    feed(converter, 'a', point(900n, 1020n, [2]));
    feed(converter, 'c', point(900n, 1010n, [1]));
    expect(converter.size).toBe(2);
    expect(feed(converter, 'b', point(900n, 1030n, [3]))).toEqual({ kind: 'baseline' });
    expect(feed(converter, 'c', point(900n, 1030n, [3]))).toMatchObject({ values: [2] });
  });
});
