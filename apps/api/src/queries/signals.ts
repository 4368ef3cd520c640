import type { GoldenSignals, TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';

export async function serviceSignals(
  db: Db,
  ref: { namespace: string; service: string },
  window: TimeWindow,
  stepMs?: number,
): Promise<GoldenSignals> {
  throw new Error('not implemented yet');
}
