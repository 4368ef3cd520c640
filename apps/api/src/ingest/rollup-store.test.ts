import { LATENCY_BOUNDS_MS, NO_GRPC_STATUS, ROLLUP_RESOLUTIONS, emptyBuckets } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import type { EdgePoint } from './edge-point.ts';
import { draftRollups, pointMaxMs, receiptKey } from './rollup-store.ts';

const series = ['inbound', 'shop', 'catalog', 'v1', 'shop', 'pricing', 'v1'].join('\u0000');

function point(statusCode: number, grpcStatus: number, count: number, at = 1_764_000_012_000): EdgePoint {
  const buckets = emptyBuckets();
  buckets[3] = count;
  return {
    identity: `${statusCode}/${grpcStatus}/${at}`,
    windowStartMs: at,
    windowEndMs: at + 5000,
    reporter: 'inbound',
    sourceNamespace: 'shop',
    sourceService: 'catalog',
    sourceVersion: 'v1',
    destNamespace: 'shop',
    destService: 'pricing',
    destVersion: 'v1',
    statusCode,
    grpcStatus,
    count,
    sumMs: count * 2.5,
    maxMs: 2.9,
    buckets,
  };
}

describe('draftRollups', () => {
  it('sums a series into one row per bucket of every resolution, classifying failures once', () => {
    const drafts = draftRollups(
      [
        point(200, NO_GRPC_STATUS, 90),
        point(429, NO_GRPC_STATUS, 6),
        point(503, NO_GRPC_STATUS, 3),
        point(500, NO_GRPC_STATUS, 2),
        // gRPC: HTTP 200 with a non-OK grpc-status is a failure; OK is not.
        point(200, 14, 2),
        point(200, 0, 8),
      ],
      new Map([[series, 7]]),
    );
    expect(drafts).toHaveLength(ROLLUP_RESOLUTIONS.length);
    for (const d of drafts) {
      expect(d).toMatchObject({
        seriesId: 7,
        count: 111,
        failed: 3 + 2 + 2,
        rateLimited: 6,
        unavailable: 3,
        maxMs: 2.9,
      });
      expect(d.bucketMs % d.resolutionMs).toBe(0);
      expect(d.buckets[3]).toBe(111);
    }
  });

  it('puts windows into the bucket they start in', () => {
    const drafts = draftRollups(
      [point(200, NO_GRPC_STATUS, 1, 1_764_000_005_000), point(200, NO_GRPC_STATUS, 1, 1_764_000_010_000)],
      new Map([[series, 1]]),
    );
    const tenSeconds = drafts.filter((d) => d.resolutionMs === 10_000).map((d) => d.bucketMs);
    expect(tenSeconds.sort()).toEqual([1_764_000_000_000, 1_764_000_010_000]);
    const minute = drafts.filter((d) => d.resolutionMs === 60_000);
    expect(minute).toHaveLength(1);
    expect(minute[0]).toMatchObject({ count: 2, firstMs: 1_764_000_005_000, lastMs: 1_764_000_015_000 });
  });
});

describe('pointMaxMs', () => {
  it('uses the max a sender gave, else the upper bound of the highest non-empty bucket', () => {
    const buckets = emptyBuckets();
    buckets[5] = 1;
    expect(pointMaxMs({ maxMs: 4.2, buckets })).toBe(4.2);
    expect(pointMaxMs({ maxMs: null, buckets })).toBe(LATENCY_BOUNDS_MS[5]);
  });
});

describe('receiptKey', () => {
  it('is short, stable and differs between identities', () => {
    expect(receiptKey('a')).toHaveLength(22);
    expect(receiptKey('a')).toBe(receiptKey('a'));
    expect(receiptKey('a')).not.toBe(receiptKey('b'));
  });
});
