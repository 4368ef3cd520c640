import type { GoldenSignals, SignalPoint } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { EJECTION_SERIES, OVERLAY_SERIES, seriesWithData, toChartPoints } from './signalPoints.ts';

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
