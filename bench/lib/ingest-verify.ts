/**
 * What the API really stored, read straight from its database after the API has stopped (read-only: a
 * read-only SQLite handle; a PostgreSQL session whose transactions are read-only).
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { ROLLUP_RESOLUTIONS } from '@weft/schema';

export interface StoredCounts {
  spans: number;
  /**
   * Histogram data points counted into the rollups: one RollupReceipt each (the dedup record the API writes in
   * the same transaction; kept for an hour, longer than a bench run).
   */
  rollups: number;
  /** Sum of `count` over the finest resolution's rollup rows: requests the stored histograms describe. */
  rollupRequests: number;
  /** Rollup rows of the finest resolution: what the data points were aggregated into. */
  rollupRows: number;
}

const FINEST_MS = ROLLUP_RESOLUTIONS[0]?.ms ?? 10_000;
const SPANS = 'SELECT COUNT(*) AS n FROM "Span"';
const ROLLUPS = 'SELECT COUNT(*) AS n FROM "RollupReceipt"';
const ROWS = `SELECT COUNT(*) AS n, COALESCE(SUM("count"), 0) AS requests FROM "SeriesRollup" WHERE "resolutionMs" = ${FINEST_MS}`;

export function countSqlite(file: string): StoredCounts {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const spans = db.prepare(SPANS).get() as { n: number };
    const rollups = db.prepare(ROLLUPS).get() as { n: number };
    const rows = db.prepare(ROWS).get() as { n: number; requests: number };
    return {
      spans: Number(spans.n),
      rollups: Number(rollups.n),
      rollupRequests: Number(rows.requests),
      rollupRows: Number(rows.n),
    };
  } finally {
    db.close();
  }
}

export async function countPostgres(url: string): Promise<StoredCounts> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    // COUNT and SUM of bigint come back as strings (int8/numeric).
    const spans = await client.query<{ n: string }>(SPANS);
    const rollups = await client.query<{ n: string }>(ROLLUPS);
    const rows = await client.query<{ n: string; requests: string }>(ROWS);
    return {
      spans: Number(spans.rows[0]?.n ?? Number.NaN),
      rollups: Number(rollups.rows[0]?.n ?? Number.NaN),
      rollupRequests: Number(rows.rows[0]?.requests ?? Number.NaN),
      rollupRows: Number(rows.rows[0]?.n ?? Number.NaN),
    };
  } finally {
    await client.end().catch(() => {});
  }
}
