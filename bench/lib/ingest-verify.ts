/**
 * What the API really stored, read straight from its database after the API has stopped (read-only: a
 * read-only SQLite handle; a PostgreSQL session whose transactions are read-only).
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

export interface StoredCounts {
  spans: number;
  rollups: number;
  /** Sum of `count` over the stored rollups: requests the histograms describe. */
  rollupRequests: number;
  /** Distinct (proxyId, window) pairs among the rollups: one per metrics POST stored. */
  rollupWindows: number;
}

const SPANS = 'SELECT COUNT(*) AS n FROM "Span"';
const ROLLUPS = 'SELECT COUNT(*) AS n, COALESCE(SUM("count"), 0) AS requests FROM "EdgeRollup"';
const WINDOWS =
  'SELECT COUNT(*) AS n FROM (SELECT DISTINCT "proxyId", "windowStartMs", "windowEndMs" FROM "EdgeRollup") AS w';

export function countSqlite(file: string): StoredCounts {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const spans = db.prepare(SPANS).get() as { n: number };
    const rollups = db.prepare(ROLLUPS).get() as { n: number; requests: number };
    const windows = db.prepare(WINDOWS).get() as { n: number };
    return {
      spans: Number(spans.n),
      rollups: Number(rollups.n),
      rollupRequests: Number(rollups.requests),
      rollupWindows: Number(windows.n),
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
    const rollups = await client.query<{ n: string; requests: string }>(ROLLUPS);
    const windows = await client.query<{ n: string }>(WINDOWS);
    return {
      spans: Number(spans.rows[0]?.n ?? Number.NaN),
      rollups: Number(rollups.rows[0]?.n ?? Number.NaN),
      rollupRequests: Number(rollups.rows[0]?.requests ?? Number.NaN),
      rollupWindows: Number(windows.rows[0]?.n ?? Number.NaN),
    };
  } finally {
    await client.end().catch(() => {});
  }
}
