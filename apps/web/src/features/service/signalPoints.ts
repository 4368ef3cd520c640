/**
 * The service page's signal series as the charts draw them: counts per step turned into rates per second,
 * success in percent, and which of the optional series (refusals, retries, ejections) the window has any of.
 *
 * Rates are computed here from each step's counts and the time the step covers, not taken from the API's
 * rounded `rps`: over a week a step is hours long and a busy step's rate still rounds to a few thousandths,
 * so "has data" is decided by request counts, never by a rate. The newest step is still filling: its rate is
 * over the part that has elapsed. Steps the answer leaves out are drawn as zero so a line never bridges a gap.
 */
import type { GoldenSignals, SignalPoint, TimeWindow, TrafficStats } from '@weft/schema';

export interface ChartPoint {
  t: number;
  /** Requests in the step (what "the window has data" is decided on). */
  requests: number;
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

/** What every series (service or edge) shares: counts per step over a window. */
/** How a series' steps sit in time (GoldenSignals and EdgeSignals alike). */
export interface StepTiming {
  window: TimeWindow;
  stepMs: number;
  dataUntilMs?: number;
}

export interface StepSeries<P extends TrafficStats & { t: number }> extends StepTiming {
  points: readonly P[];
}

/**
 * Seconds of data a step holds: the whole step, except the newest one, which is still filling: it ends where
 * the answer's data ends (`dataUntilMs`, else the window's end). Never less than one second, so a step that
 * just began doesn't show a huge rate.
 */
export function stepSeconds(t: number, series: StepTiming): number {
  const end = Math.min(t + series.stepMs, series.window.toMs, series.dataUntilMs ?? Infinity);
  return Math.max(1, (end - t) / 1000);
}

/**
 * The steps of the window in order, one per step: the answer's points, and an empty step (`empty(t)`) where the
 * answer has none. Steps line up on the answer's own grid (its first point), whatever alignment the API chose.
 * A newest step that is still filling and has no requests yet is left out: its data may not have been flushed,
 * and a drop to zero at the right edge would read as an outage.
 */
export function stepsOfWindow<P extends TrafficStats & { t: number }>(
  series: StepSeries<P>,
  empty: (t: number) => P,
): P[] {
  const { stepMs, window } = series;
  const sorted = [...series.points].sort((a, b) => a.t - b.t);
  if (stepMs <= 0 || sorted.length === 0) return sorted;
  const byT = new Map(sorted.map((p) => [p.t, p]));
  const anchor = sorted[0]!.t;
  // The grid step that holds the window's start (or the first point, if the API started earlier).
  const first = Math.min(anchor, anchor - Math.ceil((anchor - window.fromMs) / stepMs) * stepMs);
  const last = Math.max(sorted.at(-1)!.t, window.toMs - 1);
  const steps: P[] = [];
  for (let t = first; t <= last; t += stepMs) {
    const point = byT.get(t) ?? empty(t);
    const filling = t + stepMs > window.toMs;
    if (filling && point.requests === 0) continue;
    steps.push(point);
  }
  // Points off the grid (an API that changed its alignment mid-answer): keep them rather than lose data.
  for (const p of sorted) if ((p.t - anchor) % stepMs !== 0) steps.push(p);
  return steps.sort((a, b) => a.t - b.t);
}

const NO_TRAFFIC: TrafficStats = {
  requests: 0,
  errors: 0,
  rps: 0,
  successRate: null,
  p50: null,
  p95: null,
  p99: null,
};

function emptySignalPoint(t: number): SignalPoint {
  return {
    t,
    ...NO_TRAFFIC,
    rateLimited: 0,
    unavailable: 0,
    retries: 0,
    ejections: 0,
    ejectedEndpoints: 0,
  };
}

export function emptyTrafficPoint(t: number): TrafficStats & { t: number } {
  return { t, ...NO_TRAFFIC };
}

export function toChartPoints(signals: GoldenSignals): ChartPoint[] {
  return stepsOfWindow(signals, emptySignalPoint).map((p) => {
    const seconds = stepSeconds(p.t, signals);
    return {
      t: p.t,
      requests: p.requests,
      rps: p.requests / seconds,
      errorRps: p.errors / seconds,
      rateLimitedRps: p.rateLimited / seconds,
      unavailableRps: p.unavailable / seconds,
      retriesRps: p.retries / seconds,
      ejections: p.ejections,
      ejectedEndpoints: p.ejectedEndpoints,
      success: p.successRate === null ? null : p.successRate * 100,
      p50: p.p50,
      p95: p.p95,
      p99: p.p99,
    };
  });
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
