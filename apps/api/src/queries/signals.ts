import { stepForWindow, type GoldenSignals, type SignalPoint, type TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { NO_RESILIENCE, resilienceByStep } from './resilience.ts';
import { TrafficAccumulator, forEachRollupPage } from './traffic.ts';

/** Proxies report every few seconds; steps finer than this would show empty gaps. */
const MIN_STEP_MS = 10_000;
const TARGET_POINTS = 120;

/**
 * The step of a series: the requested one, or about TARGET_POINTS points over the window; never finer than
 * MIN_STEP_MS, and always coarse enough that the window holds at most QueryLimits.maxPointsPerSeries steps
 * (the input schema refuses an explicit step finer than that; this keeps direct callers within it too).
 */
export function chooseStep(window: TimeWindow, requested?: number): number {
  const span = Math.max(0, window.toMs - window.fromMs);
  const step = requested ?? Math.ceil(span / TARGET_POINTS / 5000) * 5000;
  return Math.max(MIN_STEP_MS, step, stepForWindow(span));
}

/**
 * Golden signals of one service as its proxies saw them (server side), one point per step; `stepMs` in the
 * answer is the step used.
 */
export async function serviceSignals(
  db: Db,
  ref: { namespace: string; service: string; version?: string | undefined },
  window: TimeWindow,
  stepMs?: number,
): Promise<GoldenSignals> {
  const step = chooseStep(window, stepMs);
  const start = Math.floor(window.fromMs / step) * step;
  const aligned = { fromMs: start, toMs: window.toMs };
  const steps = new Map<number, TrafficAccumulator>();
  const filter = {
    reporter: 'inbound',
    destNamespace: ref.namespace,
    destService: ref.service,
    // With a version: only what that version's own proxies received (a canary's half of the traffic).
    ...(ref.version !== undefined ? { destVersion: ref.version } : {}),
  };
  await forEachRollupPage(db, aligned, filter, (rows) => {
    for (const row of rows) {
      const t = Math.floor(Number(row.windowStartMs) / step) * step;
      let acc = steps.get(t);
      if (!acc) {
        acc = new TrafficAccumulator();
        steps.set(t, acc);
      }
      acc.add(row);
    }
  });
  // What the callers' outbound proxies did for the service: retries, ejections (of the whole service, as
  // outlier detection sees endpoints, whatever the version asked for).
  const resilience = await resilienceByStep(db, ref, aligned, step);
  const points: SignalPoint[] = [];
  // Only whole steps: a step still in progress would show a falsely low rate.
  for (let t = start; t + step <= window.toMs; t += step) {
    const acc = steps.get(t) ?? new TrafficAccumulator();
    points.push({
      t,
      ...acc.stats(step / 1000),
      rateLimited: acc.rateLimited,
      unavailable: acc.unavailable,
      ...(resilience.get(t) ?? NO_RESILIENCE),
    });
  }
  return { window, stepMs: step, points };
}
