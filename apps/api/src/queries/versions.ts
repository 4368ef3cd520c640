/**
 * Golden signals per service and version, as the destination's inbound proxies saw them: what `weft stat`
 * and the canary view show. Versions with live instances and no traffic are listed as idle, so a canary that
 * got 0% shows up as 0 rps rather than disappearing.
 */
import type { ServiceVersionStats, TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { allInstances, isLive } from './instances.ts';
import { readTotals } from './rollup-reader.ts';
import { rateSeconds, TrafficAccumulator } from './traffic.ts';

export async function versionStats(
  db: Db,
  window: TimeWindow,
  nowMs: number,
  namespace?: string,
): Promise<ServiceVersionStats[]> {
  const rows = new Map<
    string,
    { namespace: string; service: string; version: string; acc: TrafficAccumulator }
  >();
  const row = (ns: string, service: string, version: string) => {
    const key = `${ns}/${service}/${version}`;
    let entry = rows.get(key);
    if (!entry) {
      entry = { namespace: ns, service, version, acc: new TrafficAccumulator() };
      rows.set(key, entry);
    }
    return entry;
  };
  const observed = new TrafficAccumulator();
  const totals = await readTotals(db, window, nowMs, {
    reporter: 'inbound',
    ...(namespace !== undefined ? { destNamespace: namespace } : {}),
  });
  for (const r of totals.rows) {
    row(r.destNamespace, r.destService, r.destVersion).acc.add(r);
    observed.firstMs = Math.min(observed.firstMs, r.firstMs);
    observed.lastMs = Math.max(observed.lastMs, r.lastMs);
  }
  const instances = new Map<string, number>();
  for (const inst of await allInstances(db)) {
    if (!isLive(inst, nowMs) || (namespace !== undefined && inst.namespace !== namespace)) continue;
    const entry = row(inst.namespace, inst.service, inst.version);
    const key = `${entry.namespace}/${entry.service}/${entry.version}`;
    instances.set(key, (instances.get(key) ?? 0) + 1);
  }
  const seconds = rateSeconds(totals.window, observed, nowMs);
  return [...rows.entries()]
    .map(([key, e]) => ({
      namespace: e.namespace,
      service: e.service,
      version: e.version,
      instances: instances.get(key) ?? 0,
      traffic: e.acc.stats(seconds),
    }))
    .sort((a, b) =>
      `${a.namespace}/${a.service}/${a.version}`.localeCompare(`${b.namespace}/${b.service}/${b.version}`),
    );
}
