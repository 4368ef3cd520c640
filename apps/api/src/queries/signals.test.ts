import { emptyBuckets, QueryLimits } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { chooseStep } from './signals.ts';
import { TrafficAccumulator, type RollupRow } from './traffic.ts';

const DAY = 24 * 3600 * 1000;

describe('chooseStep', () => {
  it('aims at about 120 points, never finer than 10 s', () => {
    expect(chooseStep({ fromMs: 0, toMs: 5 * 60_000 })).toBe(10_000);
    expect(chooseStep({ fromMs: 0, toMs: 3600_000 })).toBe(30_000);
    expect(chooseStep({ fromMs: 0, toMs: 90 * DAY })).toBe(18 * 3600_000);
  });

  it('uses a requested step unless it would give more points than a series may hold', () => {
    expect(chooseStep({ fromMs: 0, toMs: 7 * DAY }, 3600_000)).toBe(3600_000);
    expect(chooseStep({ fromMs: 0, toMs: 7 * DAY }, 1000)).toBe(840_000);
    for (const span of [1, 60_000, DAY, 7 * DAY + 1, 90 * DAY]) {
      for (const requested of [undefined, 1000, 10_000, 60_000]) {
        const step = chooseStep({ fromMs: 1_764_000_000_123, toMs: 1_764_000_000_123 + span }, requested);
        expect(Math.ceil(span / step)).toBeLessThanOrEqual(QueryLimits.maxPointsPerSeries);
      }
    }
  });
});

describe('TrafficAccumulator', () => {
  const row = (statusCode: number, count: number): RollupRow => ({
    windowStartMs: 0n,
    windowEndMs: 5000n,
    reporter: 'inbound',
    sourceService: 'catalog',
    sourceNamespace: 'shop',
    sourceVersion: 'v1',
    destService: 'pricing',
    destNamespace: 'shop',
    destVersion: 'v1',
    statusCode,
    grpcStatus: -1,
    count,
    sumMs: count,
    buckets: JSON.stringify(emptyBuckets().map((_, i) => (i === 0 ? count : 0))),
  });

  it('counts what rate limits (429) and shedding (503) refused among the errors', () => {
    const a = new TrafficAccumulator();
    a.add(row(200, 90));
    a.add(row(429, 6));
    a.add(row(503, 3));
    const b = new TrafficAccumulator();
    b.add(row(503, 1));
    b.add(row(500, 2));
    a.merge(b);
    expect({
      requests: a.requests,
      errors: a.errors,
      rateLimited: a.rateLimited,
      unavailable: a.unavailable,
    }).toEqual({ requests: 102, errors: 6, rateLimited: 6, unavailable: 4 });
  });

  it('counts gRPC answers with a non-OK grpc-status as errors although HTTP said 200', () => {
    const a = new TrafficAccumulator();
    a.add({ ...row(200, 8), grpcStatus: 0 });
    a.add({ ...row(200, 2), grpcStatus: 14 });
    a.add(row(200, 10));
    expect(a.stats(10)).toMatchObject({ requests: 20, errors: 2, successRate: 0.9 });
  });
});
