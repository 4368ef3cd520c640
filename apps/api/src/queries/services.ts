import type { ServiceDetail, ServiceSummary, TimeWindow } from '@weft/schema';
import type { Db } from '../db/client.ts';

export async function listServices(db: Db, window: TimeWindow, nowMs: number): Promise<ServiceSummary[]> {
  throw new Error('not implemented yet');
}

export async function serviceDetail(
  db: Db,
  ref: { namespace: string; service: string },
  window: TimeWindow,
  nowMs: number,
): Promise<ServiceDetail> {
  throw new Error('not implemented yet');
}
