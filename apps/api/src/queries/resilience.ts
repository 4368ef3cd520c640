/**
 * The resilience counters callers' outbound proxies pushed for a destination service (ingest/resilience.ts),
 * summed per step of a signals series: retries and ejections are delta counts and add up; the ejected-endpoint
 * gauge is each caller's own view (every caller runs its own outlier detection), so a step shows the most
 * endpoints any one caller held ejected rather than a sum that would count one endpoint once per caller.
 */
import { ResilienceMetric, type TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';

export interface ResilienceStep {
  retries: number;
  ejections: number;
  ejectedEndpoints: number;
}

export const NO_RESILIENCE: Readonly<ResilienceStep> = Object.freeze({
  retries: 0,
  ejections: 0,
  ejectedEndpoints: 0,
});

/** Rows read per query: memory stays bounded however many counters a window holds. */
const PAGE_ROWS = 5000;

/** Per step start (epoch ms, aligned to `stepMs`), what the callers of the service counted in it. */
export async function resilienceByStep(
  db: Db,
  ref: { namespace: string; service: string },
  window: TimeWindow,
  stepMs: number,
): Promise<Map<number, ResilienceStep>> {
  const steps = new Map<number, ResilienceStep>();
  let after: { windowStartMs: bigint; id: number } | undefined;
  for (;;) {
    const page = await db.resilienceRollup.findMany({
      where: {
        destNamespace: ref.namespace,
        destService: ref.service,
        windowStartMs: { gte: BigInt(window.fromMs), lt: BigInt(window.toMs) },
        ...(after
          ? {
              OR: [
                { windowStartMs: { gt: after.windowStartMs } },
                { windowStartMs: after.windowStartMs, id: { gt: after.id } },
              ],
            }
          : {}),
      },
      select: { id: true, windowStartMs: true, metric: true, value: true },
      orderBy: [{ windowStartMs: 'asc' }, { id: 'asc' }],
      take: PAGE_ROWS,
    });
    for (const row of page) {
      const t = Math.floor(Number(row.windowStartMs) / stepMs) * stepMs;
      let step = steps.get(t);
      if (step === undefined) {
        step = { ...NO_RESILIENCE };
        steps.set(t, step);
      }
      if (row.metric === ResilienceMetric.retries) step.retries += row.value;
      else if (row.metric === ResilienceMetric.outlierEjections) step.ejections += row.value;
      else if (row.metric === ResilienceMetric.ejectedEndpoints)
        step.ejectedEndpoints = Math.max(step.ejectedEndpoints, row.value);
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE_ROWS) return steps;
    after = { windowStartMs: last.windowStartMs, id: last.id };
  }
}
