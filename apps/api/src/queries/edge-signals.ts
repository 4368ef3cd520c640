/**
 * Golden signals of one edge of the graph (`signals.edge`): the calls from a caller (a service, or one
 * version of it) to a destination (a service, or one version of it), one point per step, plus the total over
 * the window. The caller's outbound proxies are the witness, as on the graph's edges: they also count calls
 * that never reached the destination. Callers outside the mesh have no proxy, so their edge is read from the
 * destination's inbound proxies, as the graph draws it.
 */
import { UNKNOWN_SERVICE, type EdgeSignalPoint, type EdgeSignals, type TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { readTotals, type RollupFilter } from './rollup-reader.ts';
import { readSeries, seriesSteps } from './signals.ts';
import { TrafficAccumulator, rateSeconds } from './traffic.ts';

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
  const filter = edgeFilter(input.source, input.destination);
  const [series, totals] = await Promise.all([
    readSeries(db, window, filter, nowMs, stepMs),
    readTotals(db, window, nowMs, filter),
  ]);
  const total = new TrafficAccumulator();
  for (const row of totals.rows) total.add(row);
  const points: EdgeSignalPoint[] = [];
  for (const { t, acc, seconds } of seriesSteps(series, window, nowMs, series.steps)) {
    points.push({ t, ...acc.stats(seconds), rateLimited: acc.rateLimited, unavailable: acc.unavailable });
  }
  return {
    window,
    stepMs: series.stepMs,
    reporter: filter.reporter === 'inbound' ? 'inbound' : 'outbound',
    total: total.stats(rateSeconds(totals.window, total, nowMs)),
    ...(series.dataUntilMs !== undefined ? { dataUntilMs: Math.min(series.dataUntilMs, nowMs) } : {}),
    points,
  };
}
