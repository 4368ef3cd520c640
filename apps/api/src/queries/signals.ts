import type { GoldenSignals, SignalPoint, TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { TrafficAccumulator, rollupsInWindow } from './traffic.ts';

/** Proxies report every few seconds; steps finer than this would show empty gaps. */
const MIN_STEP_MS = 10_000;
const TARGET_POINTS = 120;

export function chooseStep(window: TimeWindow, requested?: number): number {
  const span = window.toMs - window.fromMs;
  const step = requested ?? Math.ceil(span / TARGET_POINTS / 5000) * 5000;
  return Math.max(MIN_STEP_MS, step);
}

/** Golden signals of one service as its proxies saw them (server side), one point per step. */
export async function serviceSignals(
  db: Db,
  ref: { namespace: string; service: string },
  window: TimeWindow,
  stepMs?: number,
): Promise<GoldenSignals> {
  const step = chooseStep(window, stepMs);
  const start = Math.floor(window.fromMs / step) * step;
  const aligned = { fromMs: start, toMs: window.toMs };
  const rows = await rollupsInWindow(db, aligned, {
    reporter: 'inbound',
    destNamespace: ref.namespace,
    destService: ref.service,
  });
  const steps = new Map<number, TrafficAccumulator>();
  for (const row of rows) {
    const t = Math.floor(Number(row.windowStartMs) / step) * step;
    let acc = steps.get(t);
    if (!acc) {
      acc = new TrafficAccumulator();
      steps.set(t, acc);
    }
    acc.add(row);
  }
  const points: SignalPoint[] = [];
  // Only whole steps: a step still in progress would show a falsely low rate.
  for (let t = start; t + step <= window.toMs; t += step) {
    const acc = steps.get(t) ?? new TrafficAccumulator();
    points.push({ t, ...acc.stats(step / 1000) });
  }
  return { window, stepMs: step, points };
}
