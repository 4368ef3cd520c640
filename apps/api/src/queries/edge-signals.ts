/**
 * Golden signals of one edge of the graph (`signals.edge`): the calls from a caller (a service, or one
 * version of it) to a destination (a service, or one version of it), one point per step, plus the total over
 * the window. The caller's outbound proxies are the witness, as on the graph's edges: they also count calls
 * that never reached the destination. Callers outside the mesh have no proxy, so their edge is read from the
 * destination's inbound proxies, as the graph draws it.
 */
import { UNKNOWN_SERVICE, type EdgeSignalPoint, type EdgeSignals, type TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { chooseStep } from './signals.ts';
import { TrafficAccumulator, forEachRollupPage, rateSeconds, type RollupFilter } from './traffic.ts';

export interface EdgeEnd {
  namespace: string;
  service: string;
  version?: string | undefined;
}

/** The rollups that make up the edge: whose view, and which source and destination columns must match. */
export function edgeFilter(source: EdgeEnd, destination: EdgeEnd): RollupFilter {
  const outside = source.service === UNKNOWN_SERVICE;
  return {
    reporter: outside ? 'inbound' : 'outbound',
    ...(outside
      ? { sourceService: UNKNOWN_SERVICE }
      : {
          sourceNamespace: source.namespace,
          sourceService: source.service,
          ...(source.version !== undefined ? { sourceVersion: source.version } : {}),
        }),
    destNamespace: destination.namespace,
    destService: destination.service,
    ...(destination.version !== undefined ? { destVersion: destination.version } : {}),
  };
}

export async function edgeSignals(
  db: Db,
  input: { source: EdgeEnd; destination: EdgeEnd },
  window: TimeWindow,
  nowMs: number,
  stepMs?: number,
): Promise<EdgeSignals> {
  const step = chooseStep(window, stepMs);
  const start = Math.floor(window.fromMs / step) * step;
  const filter = edgeFilter(input.source, input.destination);
  const steps = new Map<number, TrafficAccumulator>();
  // The total covers the window asked for; the series covers whole steps from the aligned start.
  const total = new TrafficAccumulator();
  await forEachRollupPage(db, { fromMs: start, toMs: window.toMs }, filter, (rows) => {
    for (const row of rows) {
      const at = Number(row.windowStartMs);
      if (at >= window.fromMs) total.add(row);
      const t = Math.floor(at / step) * step;
      let acc = steps.get(t);
      if (!acc) {
        acc = new TrafficAccumulator();
        steps.set(t, acc);
      }
      acc.add(row);
    }
  });
  const points: EdgeSignalPoint[] = [];
  // Only whole steps: a step still in progress would show a falsely low rate.
  for (let t = start; t + step <= window.toMs; t += step) {
    const acc = steps.get(t) ?? new TrafficAccumulator();
    points.push({ t, ...acc.stats(step / 1000), rateLimited: acc.rateLimited, unavailable: acc.unavailable });
  }
  return {
    window,
    stepMs: step,
    reporter: filter.reporter === 'inbound' ? 'inbound' : 'outbound',
    total: total.stats(rateSeconds(window, total, nowMs)),
    points,
  };
}
