/**
 * The service page's signal series as the charts draw them: counts per step turned into rates per second,
 * success in percent, and which of the optional series (refusals, retries, ejections) the window has any of.
 */
import type { GoldenSignals } from '@weft/schema';

export interface ChartPoint {
  t: number;
  rps: number;
  errorRps: number;
  rateLimitedRps: number;
  unavailableRps: number;
  /** Tries beyond the first that callers' proxies made to this service. */
  retriesRps: number;
  /** Outlier ejections of this service's endpoints in the step (events, not a rate: they are rare). */
  ejections: number;
  /** The most endpoints any caller held ejected at a flush in the step. */
  ejectedEndpoints: number;
  success: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export function toChartPoints(signals: GoldenSignals): ChartPoint[] {
  const stepS = signals.stepMs / 1000;
  const perSecond = (n: number) => (stepS > 0 ? n / stepS : 0);
  return signals.points.map((p) => ({
    t: p.t,
    rps: p.rps,
    errorRps: perSecond(p.errors),
    rateLimitedRps: perSecond(p.rateLimited),
    unavailableRps: perSecond(p.unavailable),
    retriesRps: perSecond(p.retries),
    ejections: p.ejections,
    ejectedEndpoints: p.ejectedEndpoints,
    success: p.successRate === null ? null : p.successRate * 100,
    p50: p.p50,
    p95: p.p95,
    p99: p.p99,
  }));
}

/**
 * Shown only when the window has some, dashed over requests per second: what rate limits (429) and load
 * shedding (503) refused, and the retries callers made.
 */
export const OVERLAY_SERIES = [
  { key: 'rateLimitedRps', name: '429/s (rate limited)', color: '#8f4700' },
  { key: 'unavailableRps', name: '503/s (shed / unavailable)', color: '#6753ac' },
  { key: 'retriesRps', name: 'retries/s', color: '#009596' },
] as const;

/** Shown only when the window has ejections, on their own axis (counts per step, right). */
export const EJECTION_SERIES = [
  { key: 'ejections', name: 'ejections', color: '#4d5258' },
  { key: 'ejectedEndpoints', name: 'endpoints ejected', color: '#f0ab00' },
] as const;

type SeriesKey = (typeof OVERLAY_SERIES)[number]['key'] | (typeof EJECTION_SERIES)[number]['key'];

/** The series of `series` with a non-zero value somewhere in the window. */
export function seriesWithData<S extends { key: SeriesKey }>(
  series: readonly S[],
  points: readonly ChartPoint[],
): S[] {
  return series.filter(({ key }) => points.some((p) => p[key] > 0));
}
