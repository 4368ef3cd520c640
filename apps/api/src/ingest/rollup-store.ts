/**
 * Adds request telemetry (EdgePoints) to the pre-aggregated rollups: one SeriesRollup row per series, time bucket
 * and resolution, summed over every proxy and flush window, with the latency histogram in columns that SQL can
 * add up. Queries read these rows, never one row per proxy flush. All resolutions are written at ingest, so
 * every resolution holds the newest data; retention (retention.ts) trims each resolution on its own schedule.
 *
 * A data point is counted once: its identity is recorded as a RollupReceipt in the same transaction, and a
 * point whose receipt exists (a retried export) is skipped.
 */
import { createHash } from 'node:crypto';
import { LATENCY_BOUNDS_MS, LATENCY_BUCKET_COUNT, ROLLUP_RESOLUTIONS, isFailedRequest } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { dialectOf } from '../db/dialect.ts';
import type { Provider } from '../db/layout.ts';
import { Prisma } from '../generated/sqlite/client.ts';
import type { EdgePoint } from './edge-point.ts';
import { InvalidInputError } from './validation.ts';
import { dataRefusal } from './store.ts';
import { yieldToEventLoop } from './write-queue.ts';

/** What runs SQL: the client itself or an interactive transaction's client. */
export type SqlExecutor = Pick<Db, '$queryRaw' | '$executeRaw'>;

/** b0 … b29: one column per latency bucket. */
export const BUCKET_COLUMNS: readonly string[] = Array.from(
  { length: LATENCY_BUCKET_COUNT },
  (_, i) => `b${i}`,
);

/**
 * Most bound parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535, large enough that a
 * batch's rollup rows take few statements.
 */
const MAX_PARAMETERS = 16_000;
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 60_000 } as const;

const SERIES_FIELDS = [
  'reporter',
  'sourceNamespace',
  'sourceService',
  'sourceVersion',
  'destNamespace',
  'destService',
  'destVersion',
] as const;
type SeriesFields = Pick<EdgePoint, (typeof SERIES_FIELDS)[number]>;

function seriesKey(p: SeriesFields): string {
  return SERIES_FIELDS.map((f) => p[f]).join('\u0000');
}

/** The receipt key of a data point: 128 bits of SHA-256 over its identity (collisions are negligible). */
export function receiptKey(identity: string): string {
  return createHash('sha256').update(identity).digest().subarray(0, 16).toString('base64url');
}

/** Series ids never change and series rows are never deleted, so each database's ids are cached. */
const seriesIdCache = new WeakMap<object, Map<string, number>>();

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The ids of the points' series, creating the missing ones (committed on their own, before the points'
 * transaction: an unused series row is harmless, a cached id from a rolled-back insert would not be).
 */
async function seriesIds(db: Db, points: readonly SeriesFields[]): Promise<Map<string, number>> {
  let cache = seriesIdCache.get(db);
  if (!cache) {
    cache = new Map();
    seriesIdCache.set(db, cache);
  }
  const missing = new Map<string, SeriesFields>();
  for (const p of points) {
    const key = seriesKey(p);
    if (!cache.has(key) && !missing.has(key)) missing.set(key, p);
  }
  for (const chunk of chunks([...missing.values()], Math.floor(MAX_PARAMETERS / SERIES_FIELDS.length))) {
    const values = chunk.map(
      (s) =>
        Prisma.sql`(${s.reporter}, ${s.sourceNamespace}, ${s.sourceService}, ${s.sourceVersion}, ${s.destNamespace}, ${s.destService}, ${s.destVersion})`,
    );
    // DO UPDATE (a no-op) rather than DO NOTHING: RETURNING then gives the id of existing rows too.
    const rows = await db.$queryRaw<(SeriesFields & { id: number | bigint })[]>`
      INSERT INTO "TelemetrySeries" ("reporter", "sourceNamespace", "sourceService", "sourceVersion", "destNamespace", "destService", "destVersion")
      VALUES ${Prisma.join(values)}
      ON CONFLICT ("reporter", "destNamespace", "destService", "destVersion", "sourceNamespace", "sourceService", "sourceVersion")
      DO UPDATE SET "reporter" = excluded."reporter"
      RETURNING "id", "reporter", "sourceNamespace", "sourceService", "sourceVersion", "destNamespace", "destService", "destVersion"`;
    for (const row of rows) cache.set(seriesKey(row), Number(row.id));
  }
  return cache;
}

interface RollupDraft {
  resolutionMs: number;
  bucketMs: number;
  seriesId: number;
  count: number;
  failed: number;
  rateLimited: number;
  unavailable: number;
  sumMs: number;
  maxMs: number;
  firstMs: number;
  lastMs: number;
  buckets: number[];
}

/** The largest latency a point can hold: its max when sent, else its highest non-empty bucket's upper bound. */
export function pointMaxMs(p: Pick<EdgePoint, 'maxMs' | 'buckets'>): number {
  if (p.maxMs !== null && Number.isFinite(p.maxMs)) return p.maxMs;
  for (let i = p.buckets.length - 1; i >= 0; i--) {
    if ((p.buckets[i] ?? 0) > 0) {
      return (LATENCY_BOUNDS_MS[Math.min(i, LATENCY_BOUNDS_MS.length - 1)] as number) ?? 0;
    }
  }
  return 0;
}

/** Sums the points into one draft row per resolution, bucket and series. */
export function draftRollups(points: readonly EdgePoint[], ids: Map<string, number>): RollupDraft[] {
  const drafts = new Map<string, RollupDraft>();
  for (const p of points) {
    const seriesId = ids.get(seriesKey(p));
    if (seriesId === undefined) throw new Error('series id missing for a data point');
    const failed = isFailedRequest(p.statusCode, p.grpcStatus) ? p.count : 0;
    const max = pointMaxMs(p);
    for (const r of ROLLUP_RESOLUTIONS) {
      const bucketMs = Math.floor(p.windowStartMs / r.ms) * r.ms;
      const key = `${r.ms}:${bucketMs}:${seriesId}`;
      let d = drafts.get(key);
      if (!d) {
        d = {
          resolutionMs: r.ms,
          bucketMs,
          seriesId,
          count: 0,
          failed: 0,
          rateLimited: 0,
          unavailable: 0,
          sumMs: 0,
          maxMs: 0,
          firstMs: p.windowStartMs,
          lastMs: p.windowEndMs,
          buckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
        };
        drafts.set(key, d);
      }
      d.count += p.count;
      d.failed += failed;
      if (p.statusCode === 429) d.rateLimited += p.count;
      else if (p.statusCode === 503) d.unavailable += p.count;
      d.sumMs += p.sumMs;
      if (p.count > 0) d.maxMs = Math.max(d.maxMs, max);
      d.firstMs = Math.min(d.firstMs, p.windowStartMs);
      d.lastMs = Math.max(d.lastMs, p.windowEndMs);
      for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) d.buckets[i] = (d.buckets[i] ?? 0) + (p.buckets[i] ?? 0);
    }
  }
  return [...drafts.values()];
}

const ROLLUP_INSERT_COLUMNS = [
  'resolutionMs',
  'bucketMs',
  'seriesId',
  'count',
  'failed',
  'rateLimited',
  'unavailable',
  'sumMs',
  'maxMs',
  'firstMs',
  'lastMs',
  ...BUCKET_COLUMNS,
];
/** PostgreSQL types of the columns, in order, to cast the JSON values to. */
const PG_TYPES = ROLLUP_INSERT_COLUMNS.map((c) =>
  c === 'resolutionMs' || c === 'seriesId'
    ? 'integer'
    : c === 'sumMs' || c === 'maxMs'
      ? 'double precision'
      : 'bigint',
);
const quoted = (c: string) => `"${c}"`;
const ADD = ['count', 'failed', 'rateLimited', 'unavailable', 'sumMs', ...BUCKET_COLUMNS]
  .map((c) => `${quoted(c)} = "SeriesRollup".${quoted(c)} + excluded.${quoted(c)}`)
  .join(', ');
// CASE rather than MAX()/GREATEST(): the same SQL on SQLite and PostgreSQL.
const EXTREMES = [
  `"maxMs" = CASE WHEN excluded."maxMs" > "SeriesRollup"."maxMs" THEN excluded."maxMs" ELSE "SeriesRollup"."maxMs" END`,
  `"firstMs" = CASE WHEN excluded."firstMs" < "SeriesRollup"."firstMs" THEN excluded."firstMs" ELSE "SeriesRollup"."firstMs" END`,
  `"lastMs" = CASE WHEN excluded."lastMs" > "SeriesRollup"."lastMs" THEN excluded."lastMs" ELSE "SeriesRollup"."lastMs" END`,
].join(', ');
const INSERT_INTO = `INSERT INTO "SeriesRollup" (${ROLLUP_INSERT_COLUMNS.map(quoted).join(', ')}) `;
const ON_CONFLICT = ` ON CONFLICT ("resolutionMs", "bucketMs", "seriesId") DO UPDATE SET ${ADD}, ${EXTREMES}`;
/**
 * The rows travel as one JSON array parameter that the database unpacks: binding tens of thousands of separate
 * parameters cost the client far more than the database's work.
 */
const UPSERT_FROM_JSON: Record<Provider, [string, string]> = {
  // "WHERE true": SQLite's parser needs it between a SELECT and an upsert's ON CONFLICT.
  sqlite: [
    `${INSERT_INTO}SELECT ${ROLLUP_INSERT_COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(', ')} FROM json_each(`,
    `) WHERE true${ON_CONFLICT}`,
  ],
  postgresql: [
    `${INSERT_INTO}SELECT ${PG_TYPES.map((t, i) => `(e->>${i})::${t}`).join(', ')} FROM jsonb_array_elements(CAST(`,
    ` AS jsonb)) AS e${ON_CONFLICT}`,
  ],
};

function upsertStatement(dialect: Provider, rows: readonly RollupDraft[]): Prisma.Sql {
  const json = JSON.stringify(
    rows.map((d) => [
      d.resolutionMs,
      d.bucketMs,
      d.seriesId,
      d.count,
      d.failed,
      d.rateLimited,
      d.unavailable,
      d.sumMs,
      d.maxMs,
      d.firstMs,
      d.lastMs,
      ...d.buckets,
    ]),
  );
  const [head, tail] = UPSERT_FROM_JSON[dialect];
  return Prisma.sql`${Prisma.raw(head)}${json}${Prisma.raw(tail)}`;
}

/** Series ids of a batch, and the dialect to write in: what addEdgePointsInTransaction needs. */
export interface PreparedSeries {
  ids: Map<string, number>;
  dialect: Provider;
}

/**
 * Adds points to the rollups inside the caller's transaction, without receipts: for callers that know the
 * points are new (e.g. span-metrics of spans the same transaction just inserted). Series must exist first:
 * call `prepareSeries(db, points)` before opening the transaction.
 */
export async function addEdgePointsInTransaction(
  tx: SqlExecutor,
  points: readonly EdgePoint[],
  prepared: PreparedSeries,
): Promise<void> {
  const drafts = draftRollups(points, prepared.ids);
  for (const chunk of chunks(drafts, ROWS_PER_UPSERT)) {
    await tx.$executeRaw(upsertStatement(prepared.dialect, chunk));
    await yieldToEventLoop();
  }
}

/**
 * Buckets older than this are taken as final by the queries (which cache totals over them): exporters deliver
 * within seconds and retry within about a minute. A write older than that (a backfill, a proxy that was cut off
 * for a while) moves the database's late-write generation, which drops those caches.
 */
export const SETTLED_AFTER_MS = 2 * 60_000;
const lateWrites = new WeakMap<Db, number>();

/** Changes whenever points older than SETTLED_AFTER_MS are written to `db`. */
export function lateWriteGeneration(db: Db): number {
  return lateWrites.get(db) ?? 0;
}

/** Creates the series of `points` that do not exist yet; returns what addEdgePointsInTransaction needs. */
export async function prepareSeries(db: Db, points: readonly EdgePoint[]): Promise<PreparedSeries> {
  checkStorable(points);
  const settled = Date.now() - SETTLED_AFTER_MS;
  if (points.some((p) => p.windowStartMs < settled)) lateWrites.set(db, lateWriteGeneration(db) + 1);
  return { ids: await seriesIds(db, points), dialect: dialectOf(db) };
}

/** Rows per upsert statement: a few milliseconds of database work each, with the event loop free between. */
const ROWS_PER_UPSERT = 500;

/**
 * Times and counts must be exact integers in JSON: a value beyond that (only a caller that skipped ingest's
 * bounds could send one) is refused like a value the database cannot hold, before anything is written.
 */
function checkStorable(points: readonly EdgePoint[]): void {
  for (const p of points) {
    for (const [field, value] of [
      ['windowStartMs', p.windowStartMs],
      ['windowEndMs', p.windowEndMs],
      ['count', p.count],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new InvalidInputError('the database refused this metrics batch', [
          {
            path: '(batch)',
            message: `a value is out of range for the database: ${field} ${value} is not an integer between 0 and 2^53`,
          },
        ]);
      }
    }
  }
}

/** Records the points' receipts; returns the points not counted before (the first of any repeated identity). */
async function claimReceipts(
  tx: SqlExecutor,
  dialect: Provider,
  points: readonly EdgePoint[],
  nowMs: number,
): Promise<EdgePoint[]> {
  const byKey = new Map<string, EdgePoint>();
  for (const p of points) {
    const key = receiptKey(p.identity);
    if (!byKey.has(key)) byKey.set(key, p);
  }
  const fresh: EdgePoint[] = [];
  for (const chunk of chunks([...byKey.keys()], ROWS_PER_UPSERT * 5)) {
    const json = JSON.stringify(chunk);
    const at = BigInt(nowMs);
    const inserted = await tx.$queryRaw<{ key: string }[]>(
      dialect === 'postgresql'
        ? Prisma.sql`INSERT INTO "RollupReceipt" ("key", "atMs")
            SELECT e, ${at} FROM jsonb_array_elements_text(CAST(${json} AS jsonb)) AS e
            ON CONFLICT DO NOTHING RETURNING "key"`
        : Prisma.sql`INSERT INTO "RollupReceipt" ("key", "atMs")
            SELECT value, ${at} FROM json_each(${json}) WHERE true
            ON CONFLICT DO NOTHING RETURNING "key"`,
    );
    for (const row of inserted) fresh.push(byKey.get(row.key) as EdgePoint);
    await yieldToEventLoop();
  }
  return fresh;
}

/**
 * Stores points in one transaction, each counted once however often it is sent. A batch the database refuses
 * because of a value in it is an InvalidInputError (400), nothing stored.
 */
export async function storeEdgePoints(
  db: Db,
  points: readonly EdgePoint[],
  nowMs: number = Date.now(),
): Promise<{ stored: number; duplicates: number }> {
  if (points.length === 0) return { stored: 0, duplicates: 0 };
  try {
    const prepared = await prepareSeries(db, points);
    const stored = await db.$transaction(async (tx) => {
      const fresh = await claimReceipts(tx, prepared.dialect, points, nowMs);
      await addEdgePointsInTransaction(tx, fresh, prepared);
      return fresh.length;
    }, TRANSACTION_OPTIONS);
    return { stored, duplicates: points.length - stored };
  } catch (err) {
    const refusal = dataRefusal(err);
    if (refusal) {
      throw new InvalidInputError('the database refused this metrics batch', [
        { path: '(batch)', message: refusal },
      ]);
    }
    throw err;
  }
}
