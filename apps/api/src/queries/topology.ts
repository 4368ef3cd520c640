import type { TimeWindow, TopologyGraph } from '@weft/schema';
import type { Db } from '../db/client.ts';

export async function buildTopology(
  db: Db,
  window: TimeWindow,
  nowMs: number,
  namespaces?: string[],
): Promise<TopologyGraph> {
  throw new Error('not implemented yet');
}
