/**
 * Writes a generated mesh's rollups (mesh-rollups.ts) straight into a fresh, migrated Weft database, fast:
 * - SQLite: better-sqlite3 prepared statements (16 rows each) in transactions of 100k rows, journal off while
 *   loading, secondary indexes dropped first and created again at the end (one sort instead of 100M random
 *   B-tree inserts), WAL mode again afterwards as the API leaves it;
 * - PostgreSQL: `INSERT … SELECT FROM unnest($1::int[], …)` of 20k rows per statement, indexes likewise.
 * The schema comes from the API's own migrations (`openDatabase`), so the tables are exactly the API's.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../../apps/api/src/db/client.ts';
import { ROLLUP_COLUMNS, ROW_WIDTH, type RollupSink, type SeriesRow } from './mesh-rollups.ts';

/** Applies the API's migrations to an empty database (SQLite file or PostgreSQL URL). */
export async function migrateFresh(databaseUrl: string): Promise<void> {
  const db = await openDatabase(databaseUrl);
  await db.close();
}

const SERIES_COLUMNS = [
  'id',
  'reporter',
  'sourceNamespace',
  'sourceService',
  'sourceVersion',
  'destNamespace',
  'destService',
  'destVersion',
] as const;
const q = (c: string) => `"${c}"`;
const ROWS_PER_STATEMENT = 16;

export class SqliteRollupSink implements RollupSink {
  readonly #db: BetterSqlite3.Database;
  readonly #many: BetterSqlite3.Statement;
  readonly #one: BetterSqlite3.Statement;
  readonly #indexes: string[];
  readonly #pending: Float64Array;
  #pendingRows = 0;
  readonly #maxPending = 100_000;
  readonly #values = new Array<number>(ROW_WIDTH * ROWS_PER_STATEMENT).fill(0);
  readonly #oneValues = new Array<number>(ROW_WIDTH).fill(0);

  constructor(file: string) {
    this.#db = new BetterSqlite3(file);
    this.#db.pragma('journal_mode = OFF');
    this.#db.pragma('synchronous = OFF');
    this.#db.pragma('cache_size = -262144'); // 256 MiB
    const indexes = this.#db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'SeriesRollup' AND sql IS NOT NULL`,
      )
      .all() as { name: string; sql: string }[];
    this.#indexes = indexes.map((i) => i.sql);
    for (const i of indexes) this.#db.exec(`DROP INDEX ${q(i.name)}`);
    const row = `(${ROLLUP_COLUMNS.map(() => '?').join(', ')})`;
    const head = `INSERT INTO "SeriesRollup" (${ROLLUP_COLUMNS.map(q).join(', ')}) VALUES `;
    this.#many = this.#db.prepare(head + Array.from({ length: ROWS_PER_STATEMENT }, () => row).join(', '));
    this.#one = this.#db.prepare(head + row);
    this.#pending = new Float64Array(this.#maxPending * ROW_WIDTH);
  }

  addSeries(rows: readonly SeriesRow[]): Promise<void> {
    const insert = this.#db.prepare(
      `INSERT INTO "TelemetrySeries" (${SERIES_COLUMNS.map(q).join(', ')}) VALUES (${SERIES_COLUMNS.map(() => '?').join(', ')})`,
    );
    this.#db.transaction(() => {
      for (const r of rows) insert.run(SERIES_COLUMNS.map((c) => r[c]));
    })();
    return Promise.resolve();
  }

  addRollup(row: Float64Array): void {
    this.#pending.set(row, this.#pendingRows * ROW_WIDTH);
    this.#pendingRows++;
    if (this.#pendingRows === this.#maxPending) this.#flush();
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  #flush(): void {
    const rows = this.#pendingRows;
    const data = this.#pending;
    const values = this.#values;
    const one = this.#oneValues;
    this.#db.transaction(() => {
      let r = 0;
      for (; r + ROWS_PER_STATEMENT <= rows; r += ROWS_PER_STATEMENT) {
        const base = r * ROW_WIDTH;
        for (let i = 0; i < ROW_WIDTH * ROWS_PER_STATEMENT; i++) values[i] = data[base + i] as number;
        this.#many.run(values);
      }
      for (; r < rows; r++) {
        for (let i = 0; i < ROW_WIDTH; i++) one[i] = data[r * ROW_WIDTH + i] as number;
        this.#one.run(one);
      }
    })();
    this.#pendingRows = 0;
  }

  /** Writes the rest, builds the indexes, leaves the file as the API expects it (WAL). */
  finish(): void {
    this.#flush();
    for (const sql of this.#indexes) this.#db.exec(sql);
    this.#db.pragma('journal_mode = WAL');
    this.#db.close();
  }

  abort(): void {
    if (this.#db.open) this.#db.close();
  }
}

const PG_ROWS_PER_STATEMENT = 20_000;
const PG_TYPES = ROLLUP_COLUMNS.map((c) =>
  c === 'resolutionMs' || c === 'seriesId' ? 'int4' : c === 'sumMs' || c === 'maxMs' ? 'float8' : 'int8',
);

export class PostgresRollupSink implements RollupSink {
  readonly #client: pg.Client;
  #indexes: string[] = [];
  readonly #columns: number[][] = ROLLUP_COLUMNS.map(() => []);
  #pendingRows = 0;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async open(url: string): Promise<PostgresRollupSink> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const sink = new PostgresRollupSink(client);
    await client.query('SET synchronous_commit = off');
    const { rows } = await client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'SeriesRollup' AND indexname NOT LIKE '%_pkey'`,
    );
    sink.#indexes = rows.map((r) => r.indexdef);
    for (const r of rows) await client.query(`DROP INDEX ${q(r.indexname)}`);
    return sink;
  }

  async addSeries(rows: readonly SeriesRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 5_000) {
      const chunk = rows.slice(i, i + 5_000);
      await this.#client.query(
        `INSERT INTO "TelemetrySeries" (${SERIES_COLUMNS.map(q).join(', ')})
         SELECT * FROM unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
        SERIES_COLUMNS.map((c) => chunk.map((r) => r[c])),
      );
    }
    await this.#client.query(
      `SELECT setval(pg_get_serial_sequence('"TelemetrySeries"', 'id'), (SELECT MAX("id") FROM "TelemetrySeries"))`,
    );
  }

  addRollup(row: Float64Array): void {
    for (let c = 0; c < ROW_WIDTH; c++) (this.#columns[c] as number[]).push(row[c] as number);
    this.#pendingRows++;
  }

  async drain(): Promise<void> {
    if (this.#pendingRows >= PG_ROWS_PER_STATEMENT) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingRows === 0) return;
    const params = this.#columns.map((values) => values.splice(0));
    this.#pendingRows = 0;
    await this.#client.query(
      `INSERT INTO "SeriesRollup" (${ROLLUP_COLUMNS.map(q).join(', ')})
       SELECT * FROM unnest(${PG_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`,
      params,
    );
  }

  async finish(): Promise<void> {
    await this.#flush();
    for (const sql of this.#indexes) await this.#client.query(sql);
    await this.#client.query('ANALYZE "SeriesRollup"');
    await this.#client.end();
  }

  async abort(): Promise<void> {
    await this.#client.end().catch(() => {});
  }
}
