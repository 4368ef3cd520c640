/**
 * Reads pre-aggregated rollups (ingest/rollup-store.ts): the database sums the rows of one resolution over a
 * window — per series, per step, or both — so a query costs (series × buckets in the window) row reads at the
 * resolution it picks, never one row per proxy flush, and hands back one row per group.
 *
 * Which resolution: totals over a window (graph, services, versions) use the finest resolution that keeps the
 * rows read within ROW_BUDGET, never coarser than a fifth of the window; the window's start is moved to the
 * nearest bucket boundary of that resolution and the answer says which window it covers. A series (signals) uses
 * the coarsest resolution that divides its step. Both skip resolutions whose retention no longer holds the
 * window's start. Every resolution is written at ingest, so the newest bucket always holds the newest data.
 */
import {
  EXTERNAL_NAMESPACE,
  LATENCY_BUCKET_COUNT,
  ROLLUP_RESOLUTIONS,
  defaultRetention,
  type RetentionSettings,
  type RollupResolution,
  type TimeWindow,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { dialectOf } from '../db/dialect.ts';
import type { Provider } from '../db/layout.ts';
import { readerFor, type Table } from '../db/sql-reader.ts';
import { Prisma } from '../generated/sqlite/client.ts';
import { externalAlias } from '../ingest/external-aliases.ts';
import { SETTLED_AFTER_MS, lateWriteGeneration } from '../ingest/rollup-store.ts';
import type { RollupRow } from './traffic.ts';

export interface RollupFilter {
  reporter?: string;
  destNamespace?: string;
  destService?: string;
  sourceNamespace?: string;
  sourceService?: string;
  destVersion?: string;
  sourceVersion?: string;
}

/** Rows one totals query may read before a coarser resolution is used (~0.1 s of SQLite work). */
export const ROW_BUDGET = 120_000;

/** Retention settings the queries honour (set from WEFT_RETENTION at start). */
let retention: RetentionSettings = defaultRetention();
export function useRetention(settings: RetentionSettings): void {
  retention = settings;
}

function kept(r: RollupResolution): number {
  return retention[r.name] ?? r.defaultRetentionMs;
}

/** Resolutions that still hold data from `fromMs`. */
function holding(fromMs: number, nowMs: number): RollupResolution[] {
  const usable = ROLLUP_RESOLUTIONS.filter((r) => nowMs - fromMs <= kept(r));
  return usable.length > 0 ? usable : [ROLLUP_RESOLUTIONS.at(-1) as RollupResolution];
}

/** Series ever seen: an upper bound on the series a query over any window reads. */
async function seriesCount(db: Db): Promise<number> {
  const rows = await readerFor(db).query(Prisma.sql`SELECT COUNT(*) AS "n" FROM "TelemetrySeries"`);
  return Number(rows[0]?.n ?? 0);
}

export interface TotalsPlan {
  resolution: RollupResolution;
  /** The window the totals cover: the start moved to the nearest bucket boundary. */
  window: TimeWindow;
}

/** The resolution and effective window for totals over `window`. */
export async function planTotals(db: Db, window: TimeWindow, nowMs: number): Promise<TotalsPlan> {
  const span = Math.max(1, window.toMs - window.fromMs);
  const candidates = holding(window.fromMs, nowMs);
  const series = Math.max(1, await seriesCount(db));
  const coarsest = candidates.filter((r) => r.ms <= span / 5).at(-1) ?? candidates[0];
  if (!coarsest) throw new Error('no rollup resolution is configured');
  let chosen = coarsest;
  for (const r of candidates) {
    if (r.ms > coarsest.ms) break;
    if ((Math.ceil(span / r.ms) + 1) * series <= ROW_BUDGET) {
      chosen = r;
      break;
    }
  }
  let fromMs = Math.round(window.fromMs / chosen.ms) * chosen.ms;
  // Rounded back past the resolution's retention: the next boundary instead.
  if (nowMs - fromMs > kept(chosen) && fromMs < window.fromMs) fromMs += chosen.ms;
  return { resolution: chosen, window: { fromMs, toMs: window.toMs } };
}

/**
 * The smallest step of at least `minStepMs` that a resolution divides: a whole number of 10 s up to a minute, of
 * minutes up to an hour, of hours beyond (so a series over days reads hourly rollups, not minutes).
 */
export function niceStep(minStepMs: number): number {
  const unit = minStepMs <= 60_000 ? 10_000 : minStepMs <= 3_600_000 ? 60_000 : 3_600_000;
  return Math.max(unit, Math.ceil(minStepMs / unit) * unit);
}

/** The coarsest resolution that divides `stepMs` and still holds `fromMs`, and the step it allows. */
export function planSeries(
  stepMs: number,
  fromMs: number,
  nowMs: number,
): { resolution: RollupResolution; stepMs: number } {
  const candidates = holding(fromMs, nowMs);
  const dividing = candidates.filter((r) => r.ms <= stepMs && stepMs % r.ms === 0);
  const resolution = dividing.at(-1);
  if (resolution) return { resolution, stepMs };
  // The finest resolution still holding the start is coarser than the step: the step grows to it.
  const finest = candidates[0] as RollupResolution;
  return { resolution: finest, stepMs: Math.ceil(stepMs / finest.ms) * finest.ms };
}

const SERIES_COLUMNS = [
  'reporter',
  'sourceNamespace',
  'sourceService',
  'sourceVersion',
  'destNamespace',
  'destService',
  'destVersion',
] as const;
const SUMMED = ['count', 'failed', 'rateLimited', 'unavailable'];
const BUCKETS = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => `b${i}`);
/** The sums per group. PostgreSQL's SUM over BIGINT is NUMERIC: cast back to a plain integer there. */
function aggregates(dialect: Provider): Prisma.Sql {
  const sum = (c: string) =>
    dialect === 'postgresql' ? `CAST(SUM(r."${c}") AS BIGINT) AS "${c}"` : `SUM(r."${c}") AS "${c}"`;
  return Prisma.raw(
    [
      ...[...SUMMED, ...BUCKETS].map(sum),
      `SUM(r."sumMs") AS "sumMs"`,
      `MAX(r."maxMs") AS "maxMs"`,
      `MIN(r."firstMs") AS "firstMs"`,
      `MAX(r."lastMs") AS "lastMs"`,
    ].join(', '),
  );
}
const AGGREGATES: Record<Provider, Prisma.Sql> = {
  sqlite: aggregates('sqlite'),
  postgresql: aggregates('postgresql'),
};
const SERIES_SELECT = Prisma.raw(SERIES_COLUMNS.map((c) => `s."${c}"`).join(', '));

export interface RollupRead {
  resolution: RollupResolution;
  /** Bucket starts in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  filter: RollupFilter;
  /** One row per series (else all matching series summed). */
  bySeries: boolean;
  /** One row per step of this length (a multiple of the resolution), `t` its start. */
  stepMs?: number;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Reads result rows (arrays) by column name. */
function columnReader(table: Table) {
  const index = new Map(table.columns.map((c, i) => [c, i]));
  return (values: unknown[], column: string): unknown => {
    const i = index.get(column);
    return i === undefined ? undefined : values[i];
  };
}

function toRow(
  values: unknown[],
  get: (values: unknown[], column: string) => unknown,
  names: SeriesFields | undefined,
  bySeries: boolean,
): RollupRow {
  const buckets = new Array<number>(LATENCY_BUCKET_COUNT);
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) buckets[i] = Number(get(values, `b${i}`) ?? 0);
  const text = (c: (typeof SERIES_COLUMNS)[number]) =>
    !bySeries ? '' : names ? names[c] : textOf(get(values, c));
  const t = get(values, 't');
  const num = (c: string, fallback: number) => {
    const v = get(values, c);
    return v === null || v === undefined ? fallback : Number(v);
  };
  return {
    reporter: text('reporter'),
    sourceNamespace: text('sourceNamespace'),
    sourceService: text('sourceService'),
    sourceVersion: text('sourceVersion'),
    destNamespace: text('destNamespace'),
    destService: text('destService'),
    destVersion: text('destVersion'),
    ...(t !== undefined && t !== null ? { t: Number(t) } : {}),
    count: num('count', 0),
    failed: num('failed', 0),
    rateLimited: num('rateLimited', 0),
    unavailable: num('unavailable', 0),
    sumMs: num('sumMs', 0),
    maxMs: num('maxMs', 0),
    firstMs: num('firstMs', Number.POSITIVE_INFINITY),
    lastMs: num('lastMs', Number.NEGATIVE_INFINITY),
    buckets,
  };
}

type SeriesFields = Pick<RollupRow, (typeof SERIES_COLUMNS)[number]>;

/** Most series ids put in one IN list; a filter matching more reads through a join instead. */
const MAX_IDS_IN_LIST = 2000;

/** The series matching a filter, by id (the unique key and source index make this an index lookup). */
async function matchingSeries(db: Db, filter: RollupFilter): Promise<Map<number, SeriesFields>> {
  const conditions = SERIES_COLUMNS.filter((c) => filter[c] !== undefined).map(
    (c) => Prisma.sql`${Prisma.raw(`"${c}"`)} = ${filter[c] as string}`,
  );
  const rows = await readerFor(db).query(
    Prisma.sql`SELECT "id", ${Prisma.raw(SERIES_COLUMNS.map((c) => `"${c}"`).join(', '))} FROM "TelemetrySeries"
      WHERE ${Prisma.join(conditions, ' AND ')} LIMIT ${MAX_IDS_IN_LIST + 1}`,
  );
  const series = new Map<number, SeriesFields>();
  for (const row of rows) {
    series.set(Number(row.id), {
      reporter: String(row.reporter),
      sourceNamespace: String(row.sourceNamespace),
      sourceService: String(row.sourceService),
      sourceVersion: String(row.sourceVersion),
      destNamespace: String(row.destNamespace),
      destService: String(row.destService),
      destVersion: String(row.destVersion),
    });
  }
  return series;
}

/**
 * Sums rollups as `read` says, in the database (off the event loop on SQLite). The rollups are summed before
 * the series' names are joined on, and a filtered read first looks up the few matching series and then reads
 * only their rows (through the seriesId index), whatever the planner would guess.
 */
export async function readRollups(db: Db, read: RollupRead): Promise<RollupRow[]> {
  const conditions: Prisma.Sql[] = [
    Prisma.sql`r."resolutionMs" = ${read.resolution.ms}`,
    Prisma.sql`r."bucketMs" >= ${BigInt(read.fromMs)}`,
    Prisma.sql`r."bucketMs" < ${BigInt(read.toMs)}`,
  ];
  const filtered = SERIES_COLUMNS.some((c) => read.filter[c] !== undefined);
  let series: Map<number, SeriesFields> | undefined;
  if (filtered) {
    series = await matchingSeries(db, read.filter);
    if (series.size === 0) return [];
    if (series.size <= MAX_IDS_IN_LIST) {
      conditions.push(Prisma.sql`r."seriesId" IN (${Prisma.join([...series.keys()])})`);
    } else {
      series = undefined;
    }
  }
  const step = read.stepMs;
  const inner: Prisma.Sql[] = [];
  const group: Prisma.Sql[] = [];
  if (read.bySeries) {
    inner.push(Prisma.sql`r."seriesId"`);
    group.push(Prisma.sql`r."seriesId"`);
  }
  if (step !== undefined) {
    inner.push(Prisma.sql`(r."bucketMs" / ${BigInt(step)}) * ${BigInt(step)} AS "t"`);
    group.push(Prisma.sql`"t"`);
  }
  inner.push(AGGREGATES[dialectOf(db)]);
  let where = Prisma.join(conditions, ' AND ');
  if (filtered && !series) {
    // Too many matching series for an IN list: filter through the series table.
    const names = SERIES_COLUMNS.filter((c) => read.filter[c] !== undefined).map(
      (c) => Prisma.sql`s.${Prisma.raw(`"${c}"`)} = ${read.filter[c] as string}`,
    );
    where = Prisma.sql`${where} AND r."seriesId" IN (SELECT s."id" FROM "TelemetrySeries" s WHERE ${Prisma.join(names, ' AND ')})`;
  }
  // With an id list, SQLite must read through the seriesId index: without statistics its planner would scan the
  // whole time range of every series instead.
  const from =
    series && dialectOf(db) === 'sqlite'
      ? Prisma.raw(`"SeriesRollup" r INDEXED BY "SeriesRollup_seriesId_resolutionMs_bucketMs_idx"`)
      : Prisma.raw(`"SeriesRollup" r`);
  const aggregate = Prisma.sql`SELECT ${Prisma.join(inner, ', ')} FROM ${from} WHERE ${where}
    ${group.length > 0 ? Prisma.sql`GROUP BY ${Prisma.join(group, ', ')}` : Prisma.empty}`;
  // Names are needed per series; join them on after summing (or from the lookup above).
  const sql =
    read.bySeries && !series
      ? Prisma.sql`SELECT ${SERIES_SELECT}, a.* FROM (${aggregate}) a JOIN "TelemetrySeries" s ON s."id" = a."seriesId"`
      : aggregate;
  const table = await readerFor(db).table(sql);
  const get = columnReader(table);
  // Without a GROUP BY, an empty match still yields one row of NULLs.
  return table.rows
    .filter((values) => get(values, 'count') !== null && get(values, 'count') !== undefined)
    .map((values) => toRow(values, get, series?.get(Number(get(values, 'seriesId'))), read.bySeries));
}

/**
 * The time the whole mesh's data covers in the plan's window: what rates are averaged over, the same for a
 * query that reads only some series (one service's detail) as for the whole graph, so their numbers agree.
 */
export async function readCoverage(db: Db, plan: TotalsPlan): Promise<{ firstMs: number; lastMs: number }> {
  const rows = await readerFor(db)
    .query(Prisma.sql`SELECT MIN(r."firstMs") AS "firstMs", MAX(r."lastMs") AS "lastMs"
    FROM "SeriesRollup" r
    WHERE r."resolutionMs" = ${plan.resolution.ms} AND r."bucketMs" >= ${BigInt(plan.window.fromMs)} AND r."bucketMs" < ${BigInt(plan.window.toMs)}`);
  const row = rows[0];
  return {
    firstMs: row?.firstMs === null || row?.firstMs === undefined ? Infinity : Number(row.firstMs),
    lastMs: row?.lastMs === null || row?.lastMs === undefined ? -Infinity : Number(row.lastMs),
  };
}

/** Cached totals kept per database (a few windows × namespaces filters); each is one row per series. */
const MAX_CACHED_TOTALS = 8;
const settledTotals = new WeakMap<Db, Map<string, RollupRow[]>>();

function cacheFor(db: Db): Map<string, RollupRow[]> {
  let cache = settledTotals.get(db);
  if (!cache) {
    cache = new Map();
    settledTotals.set(db, cache);
  }
  return cache;
}

const seriesKeyOf = (r: RollupRow) => SERIES_COLUMNS.map((c) => r[c]).join('\u0000');

/**
 * Calls a proxy made to an external host that is known to be a service sending its own telemetry
 * (ingest/external-aliases.ts) count as calls to that service.
 */
export function withAliases(db: Db, rows: RollupRow[], nowMs: number): RollupRow[] {
  return rows.map((row) => {
    if (row.destNamespace !== EXTERNAL_NAMESPACE) return row;
    const service = externalAlias(db, row.destService, nowMs);
    return service
      ? { ...row, destNamespace: service.namespace, destService: service.service, destVersion: '' }
      : row;
  });
}

/** Adds rows of the same series together. */
export function mergeBySeries(parts: readonly RollupRow[][]): RollupRow[] {
  const merged = new Map<string, RollupRow>();
  for (const rows of parts) {
    for (const row of rows) {
      const key = seriesKeyOf(row);
      const into = merged.get(key);
      if (!into) {
        merged.set(key, { ...row, buckets: [...row.buckets] });
        continue;
      }
      into.count += row.count;
      into.failed += row.failed;
      into.rateLimited += row.rateLimited;
      into.unavailable += row.unavailable;
      into.sumMs += row.sumMs;
      into.maxMs = Math.max(into.maxMs, row.maxMs);
      into.firstMs = Math.min(into.firstMs, row.firstMs);
      into.lastMs = Math.max(into.lastMs, row.lastMs);
      for (let i = 0; i < into.buckets.length; i++)
        into.buckets[i] = (into.buckets[i] as number) + (row.buckets[i] ?? 0);
    }
  }
  return [...merged.values()];
}

/**
 * Totals per series over `window` (topology, services, versions), with the window they cover. The settled
 * part of a long window (buckets that ended SETTLED_AFTER_MS ago) is summed once and cached until the window's
 * start moves to the next bucket; only the newest buckets are read on every call, so a graph over a day or a
 * week that the console refreshes every few seconds costs about as much as one over five minutes.
 */
export async function readTotals(
  db: Db,
  window: TimeWindow,
  nowMs: number,
  filter: RollupFilter = {},
): Promise<{ rows: RollupRow[]; window: TimeWindow; resolution: RollupResolution }> {
  const plan = await planTotals(db, window, nowMs);
  const { resolution } = plan;
  const { fromMs, toMs } = plan.window;
  const read = (from: number, to: number) =>
    readRollups(db, { resolution, fromMs: from, toMs: to, filter, bySeries: true });
  const settledUntil = Math.min(toMs, Math.floor((nowMs - SETTLED_AFTER_MS) / resolution.ms) * resolution.ms);
  // Short windows have little to cache: read them whole.
  if (settledUntil - fromMs < 4 * resolution.ms) {
    return { rows: withAliases(db, await read(fromMs, toMs), nowMs), window: plan.window, resolution };
  }
  const cache = cacheFor(db);
  // Totals over settled buckets are cached until the window's start moves or a late write lands.
  const key = `${lateWriteGeneration(db)}|${resolution.ms}|${fromMs}|${settledUntil}|${JSON.stringify(filter)}`;
  let settled = cache.get(key);
  if (!settled) {
    settled = await read(fromMs, settledUntil);
    cache.set(key, settled);
    while (cache.size > MAX_CACHED_TOTALS) cache.delete(cache.keys().next().value as string);
  }
  const fresh = settledUntil < toMs ? await read(settledUntil, toMs) : [];
  return { rows: withAliases(db, mergeBySeries([settled, fresh]), nowMs), window: plan.window, resolution };
}
