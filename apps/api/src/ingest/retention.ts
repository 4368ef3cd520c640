/**
 * Retention: every minute, deletes what is older than its retention (WEFT_RETENTION): each rollup resolution on
 * its own, spans, receipts and resilience counters. Deletes go oldest first, a few thousand rows per statement
 * with the event loop free in between, so that catching up after a long stop never holds the database or the
 * API for long; a run uses at most MAX_STATEMENTS_PER_RUN statements and the next run continues.
 */
import { ROLLUP_RESOLUTIONS, type RetentionSettings } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { Prisma } from '../generated/sqlite/client.ts';
import { yieldToEventLoop } from './write-queue.ts';

const RUN_EVERY_MS = 60_000;
const MAX_STATEMENTS_PER_RUN = 500;

interface Target {
  what: string;
  table: string;
  column: string;
  /** Extra condition (e.g. one resolution). */
  where?: Prisma.Sql;
  /** The column's unit per millisecond (1000 for epoch microseconds). */
  perMs: number;
  cutoffMs: number;
}

export interface RetentionRun {
  deleted: Record<string, number>;
  /** True when a run stopped at its statement cap with more to delete. */
  behind: boolean;
}

function targets(settings: RetentionSettings, nowMs: number): Target[] {
  const list: Target[] = ROLLUP_RESOLUTIONS.map((r) => ({
    what: `rollups ${r.name}`,
    table: 'SeriesRollup',
    column: 'bucketMs',
    where: Prisma.sql`"resolutionMs" = ${r.ms}`,
    perMs: 1,
    // A bucket goes once all of it is older than the retention.
    cutoffMs: nowMs - (settings[r.name] ?? r.defaultRetentionMs) - r.ms,
  }));
  const other = (name: string, fallback: number) => settings[name] ?? fallback;
  list.push(
    {
      what: 'spans',
      table: 'Span',
      column: 'startUs',
      perMs: 1000,
      cutoffMs: nowMs - other('spans', 3 * 86_400_000),
    },
    {
      what: 'receipts',
      table: 'RollupReceipt',
      column: 'atMs',
      perMs: 1,
      cutoffMs: nowMs - other('receipts', 3_600_000),
    },
    {
      what: 'resilience counters',
      table: 'ResilienceRollup',
      column: 'windowStartMs',
      perMs: 1,
      cutoffMs: nowMs - other('resilience', 7 * 86_400_000),
    },
  );
  return list;
}

/** Rows one DELETE removes, about (rows sharing the boundary value go with it). */
const ROWS_PER_DELETE = 1000;

/** Deletes one target's expired rows, oldest first, ROWS_PER_DELETE at a time; returns rows deleted and statements used. */
async function trim(db: Db, t: Target, budget: number): Promise<{ deleted: number; statements: number }> {
  const table = Prisma.raw(`"${t.table}"`);
  const column = Prisma.raw(`"${t.column}"`);
  const extra = t.where ? Prisma.sql` AND ${t.where}` : Prisma.empty;
  const cutoff = BigInt(Math.floor(t.cutoffMs)) * BigInt(t.perMs);
  let deleted = 0;
  let statements = 0;
  while (statements < budget) {
    // The value of the ROWS_PER_DELETE-th oldest expired row: everything up to it goes in this statement.
    const boundary = await db.$queryRaw<{ v: bigint | number }[]>`
      SELECT ${column} AS "v" FROM ${table} WHERE ${column} < ${cutoff}${extra}
      ORDER BY ${column} LIMIT 1 OFFSET ${ROWS_PER_DELETE - 1}`;
    const last = boundary[0]?.v;
    const removed =
      last === undefined
        ? await db.$executeRaw`DELETE FROM ${table} WHERE ${column} < ${cutoff}${extra}`
        : await db.$executeRaw`DELETE FROM ${table} WHERE ${column} <= ${BigInt(last)}${extra}`;
    deleted += removed;
    statements += 2;
    await yieldToEventLoop();
    if (last === undefined) break;
  }
  return { deleted, statements };
}

/** One pass over every target. */
export async function applyRetention(
  db: Db,
  settings: RetentionSettings,
  nowMs: number = Date.now(),
): Promise<RetentionRun> {
  const run: RetentionRun = { deleted: {}, behind: false };
  let budget = MAX_STATEMENTS_PER_RUN;
  for (const target of targets(settings, nowMs)) {
    if (budget <= 0) {
      run.behind = true;
      break;
    }
    const { deleted, statements } = await trim(db, target, budget);
    budget -= statements;
    if (deleted > 0) run.deleted[target.what] = deleted;
  }
  if (budget <= 0) run.behind = true;
  return run;
}

/** Runs applyRetention every minute (first run right away) until stopped; failures are logged, not thrown. */
export function startRetention(
  db: Db,
  settings: RetentionSettings,
  log: (line: string) => void,
): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = applyRetention(db, settings)
      .then((run) => {
        const parts = Object.entries(run.deleted).map(([what, n]) => `${n} ${what}`);
        if (parts.length > 0)
          log(`weft-api: retention deleted ${parts.join(', ')}${run.behind ? ' (more next run)' : ''}`);
      })
      .catch((err: unknown) => {
        if (!stopped)
          log(`weft-api: retention run failed: ${err instanceof Error ? err.message : String(err)}`);
      });
  };
  tick();
  const timer = setInterval(tick, RUN_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
