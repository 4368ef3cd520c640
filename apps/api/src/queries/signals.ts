import { stepForWindow, type GoldenSignals, type SignalPoint, type TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { NO_RESILIENCE, resilienceByStep } from './resilience.ts';
import { niceStep, planSeries, readRollups, type RollupFilter } from './rollup-reader.ts';
import { TrafficAccumulator, type RollupRow } from './traffic.ts';

/** Proxies report every few seconds; steps finer than this would show empty gaps. */
const MIN_STEP_MS = 10_000;
const TARGET_POINTS = 120;

/**
 * The step of a series: the requested one, or about TARGET_POINTS points over the window; never finer than
 * MIN_STEP_MS, always coarse enough that the window holds at most QueryLimits.maxPointsPerSeries steps (the
 * input schema refuses an explicit step finer than that; this keeps direct callers within it too), and rounded
 * up to a length that the stored rollup resolutions divide (10 s, 1 min, 10 min, 1 h, 1 d multiples).
 */
export function chooseStep(window: TimeWindow, requested?: number): number {
  const span = Math.max(0, window.toMs - window.fromMs);
  const wanted = requested ?? span / TARGET_POINTS;
  return niceStep(Math.max(MIN_STEP_MS, wanted, stepForWindow(span)));
}

export interface SeriesPlan {
  stepMs: number;
  /** Start of the first step: the window's start rounded down to a whole step. */
  startMs: number;
}

/**
 * Reads one series: the rollups matching `filter`, summed per step, from the coarsest resolution that serves
 * the step. Returns the plan and one accumulator per step start that has data.
 */
export async function readSeries(
  db: Db,
  window: TimeWindow,
  filter: RollupFilter,
  nowMs: number,
  requestedStepMs?: number,
): Promise<SeriesPlan & { steps: Map<number, RollupRow>; dataUntilMs: number | undefined }> {
  const plan = planSeries(chooseStep(window, requestedStepMs), window.fromMs, nowMs);
  const startMs = Math.floor(window.fromMs / plan.stepMs) * plan.stepMs;
  const rows = await readRollups(db, {
    resolution: plan.resolution,
    fromMs: startMs,
    toMs: window.toMs,
    filter,
    bySeries: false,
    stepMs: plan.stepMs,
  });
  const steps = new Map<number, RollupRow>();
  let dataUntilMs: number | undefined;
  for (const row of rows) {
    if (row.t !== undefined) steps.set(row.t, row);
    if (Number.isFinite(row.lastMs)) dataUntilMs = Math.max(dataUntilMs ?? row.lastMs, row.lastMs);
  }
  return { stepMs: plan.stepMs, startMs, steps, dataUntilMs };
}

/**
 * Seconds a step's rate is averaged over: the whole step once it is over; for the step still in progress, the
 * part of it that telemetry has reached so far (so the newest point neither waits for the step to end nor reads
 * falsely low).
 */
export function stepSeconds(t: number, stepMs: number, row: RollupRow | undefined, nowMs: number): number {
  if (t + stepMs <= nowMs) return stepMs / 1000;
  const reached = Math.min(nowMs, Math.max(row?.lastMs ?? t, t + 1000));
  return Math.max(1, (reached - t) / 1000);
}

/** The steps of a series from its start to the window's end, the one in progress only when it has data. */
export function* seriesSteps(
  plan: SeriesPlan,
  window: TimeWindow,
  nowMs: number,
  steps: Map<number, RollupRow>,
): Generator<{ t: number; acc: TrafficAccumulator; seconds: number }> {
  for (let t = plan.startMs; t < window.toMs; t += plan.stepMs) {
    const row = steps.get(t);
    const inProgress = t + plan.stepMs > Math.min(window.toMs, nowMs);
    if (inProgress && !row) continue;
    const acc = new TrafficAccumulator();
    if (row) acc.add(row);
    yield { t, acc, seconds: stepSeconds(t, plan.stepMs, row, nowMs) };
  }
}

/**
 * Golden signals of one service as its proxies saw them (server side), one point per step, the newest step
 * included while it is in progress; `stepMs` in the answer is the step used.
 */
export async function serviceSignals(
  db: Db,
  ref: { namespace: string; service: string; version?: string | undefined },
  window: TimeWindow,
  stepMs?: number,
  nowMs: number = Date.now(),
): Promise<GoldenSignals> {
  const filter: RollupFilter = {
    reporter: 'inbound',
    destNamespace: ref.namespace,
    destService: ref.service,
    // With a version: only what that version's own proxies received (a canary's half of the traffic).
    ...(ref.version !== undefined ? { destVersion: ref.version } : {}),
  };
  const series = await readSeries(db, window, filter, nowMs, stepMs);
  // What the callers' outbound proxies did for the service: retries, ejections (of the whole service, as
  // outlier detection sees endpoints, whatever the version asked for).
  const resilience = await resilienceByStep(
    db,
    ref,
    { fromMs: series.startMs, toMs: window.toMs },
    series.stepMs,
  );
  const points: SignalPoint[] = [];
  for (const { t, acc, seconds } of seriesSteps(series, window, nowMs, series.steps)) {
    points.push({
      t,
      ...acc.stats(seconds),
      rateLimited: acc.rateLimited,
      unavailable: acc.unavailable,
      ...(resilience.get(t) ?? NO_RESILIENCE),
    });
  }
  return {
    window,
    stepMs: series.stepMs,
    points,
    ...(series.dataUntilMs !== undefined ? { dataUntilMs: Math.min(series.dataUntilMs, nowMs) } : {}),
  };
}
