import type { GoldenSignals, SignalPoint } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { EJECTION_SERIES, OVERLAY_SERIES, seriesWithData, toChartPoints } from './signalPoints.ts';

const HOUR = 3_600_000;

function point(overrides: Partial<SignalPoint> = {}): SignalPoint {
  return {
    t: 0,
    requests: 100,
    errors: 10,
    rps: 10,
    successRate: 0.9,
    p50: 5,
    p95: 9,
    p99: 12,
    rateLimited: 0,
    unavailable: 0,
    retries: 0,
    ejections: 0,
    ejectedEndpoints: 0,
    ...overrides,
  };
}

const signals = (points: SignalPoint[]): GoldenSignals => ({
  window: { fromMs: 0, toMs: 20_000 },
  stepMs: 10_000,
  points,
});

describe('toChartPoints', () => {
  it('turns counts per step into rates, except ejections which stay events per step', () => {
    const [p] = toChartPoints(
      signals([point({ rateLimited: 20, unavailable: 5, retries: 30, ejections: 2, ejectedEndpoints: 1 })]),
    );
    expect(p).toMatchObject({
      errorRps: 1,
      rateLimitedRps: 2,
      unavailableRps: 0.5,
      retriesRps: 3,
      ejections: 2,
      ejectedEndpoints: 1,
      success: 90,
    });
  });

  it('shows retries, refusals and ejections only when the window has some', () => {
    const quiet = toChartPoints(signals([point(), point({ t: 10_000 })]));
    expect(seriesWithData(OVERLAY_SERIES, quiet)).toEqual([]);
    expect(seriesWithData(EJECTION_SERIES, quiet)).toEqual([]);
    const busy = toChartPoints(signals([point({ retries: 3 }), point({ t: 10_000, ejections: 1 })]));
    expect(seriesWithData(OVERLAY_SERIES, busy).map((s) => s.key)).toEqual(['retriesRps']);
    expect(seriesWithData(EJECTION_SERIES, busy).map((s) => s.key)).toEqual(['ejections']);
  });
});

describe('long windows', () => {
  it('counts a step as data by its requests, not by a rate the API rounded to zero', () => {
    // 7 days in 60 steps of 2.8 h: 20 requests in a step is 0.002 rps, which the API rounds to 0.
    const stepMs = 10_080_000;
    const fromMs = 100 * stepMs;
    const points = toChartPoints({
      window: { fromMs, toMs: fromMs + 60 * stepMs },
      stepMs,
      points: [point({ t: fromMs, requests: 20, errors: 0, rps: 0 })],
    });
    const withData = points.filter((p) => p.requests > 0);
    expect(withData).toHaveLength(1);
    expect(withData[0]!.rps).toBeCloseTo(20 / 10_080, 6);
  });

  it('draws the newest, still filling step at its rate so far, and leaves it out while it is empty', () => {
    const window = { fromMs: 6 * HOUR, toMs: 12 * HOUR + 90_000 };
    const stepMs = 360_000;
    const newest = 12 * HOUR;
    const filling = toChartPoints({
      window,
      stepMs,
      points: [point({ t: newest - stepMs, requests: 360 }), point({ t: newest, requests: 180, errors: 9 })],
    });
    // 180 requests in the 90 s elapsed of that step: 2 rps, not 0.5.
    expect(filling.at(-1)).toMatchObject({ t: newest, requests: 180, rps: 2, errorRps: 0.1 });
    expect(filling.at(-2)).toMatchObject({ t: newest - stepMs, rps: 1 });

    // With the end of its data given, the rate is over the time that data covers (60 s of the 90 s elapsed).
    const flushed = toChartPoints({
      window,
      stepMs,
      dataUntilMs: newest + 60_000,
      points: [point({ t: newest - stepMs, requests: 360 }), point({ t: newest, requests: 180 })],
    });
    expect(flushed.at(-1)).toMatchObject({ t: newest, rps: 3 });
    expect(flushed.at(-2)).toMatchObject({ rps: 1 });

    const notYetFlushed = toChartPoints({ window, stepMs, points: [point({ t: newest - stepMs })] });
    expect(notYetFlushed.at(-1)!.t).toBe(newest - stepMs);
  });

  it('fills the steps an answer leaves out with zeros, on the answer’s own grid', () => {
    const stepMs = 60_000;
    const points = toChartPoints({
      window: { fromMs: 30_000, toMs: 5 * stepMs },
      stepMs,
      points: [point({ t: stepMs, requests: 60 }), point({ t: 4 * stepMs, requests: 120 })],
    });
    expect(points.map((p) => [p.t / stepMs, p.requests])).toEqual([
      [0, 0],
      [1, 60],
      [2, 0],
      [3, 0],
      [4, 120],
    ]);
    expect(points[2]).toMatchObject({ rps: 0, success: null, p50: null });
  });
});
