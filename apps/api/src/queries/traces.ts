import type { TimeWindow, TraceDetail, TraceSummary } from '@weft/schema';
import type { Db } from '../db/client.ts';

export interface TraceSearch {
  window: TimeWindow;
  namespace?: string;
  service?: string;
  minDurationMs?: number;
  errorsOnly: boolean;
  limit: number;
}

export async function searchTraces(db: Db, search: TraceSearch): Promise<TraceSummary[]> {
  throw new Error('not implemented yet');
}

export async function getTrace(db: Db, traceId: string): Promise<TraceDetail> {
  throw new Error('not implemented yet');
}
