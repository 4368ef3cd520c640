/**
 * Where the API's heavy read queries (telemetry aggregation) run. PostgreSQL: through Prisma, whose driver is
 * asynchronous. SQLite: in worker threads with their own read-only connections (sqlite-read-worker.mjs),
 * because better-sqlite3 runs each statement on the calling thread and a large aggregation would stall
 * `/healthz`, config streams and every other request for its whole duration.
 */
import { Worker } from 'node:worker_threads';
import type { Prisma } from '../generated/sqlite/client.ts';
import type { Db } from './client.ts';

export type Row = Record<string, unknown>;

/** Rows as arrays, in the order of `columns`. */
export interface Table {
  columns: string[];
  rows: unknown[][];
}

export interface SqlReader {
  /** Rows as arrays: for wide results (thousands of rows, dozens of columns). */
  table(sql: Prisma.Sql): Promise<Table>;
  query(sql: Prisma.Sql): Promise<Row[]>;
  close(): Promise<void>;
}

interface Pending {
  resolve(table: Table): void;
  reject(err: Error): void;
}

function toObjects(table: Table): Row[] {
  return table.rows.map((values) => {
    const row: Row = {};
    table.columns.forEach((c, i) => (row[c] = values[i]));
    return row;
  });
}

/** One worker per core is plenty: two keeps one long query from queueing every other one behind it. */
const SQLITE_READ_WORKERS = 2;

class SqliteWorkerReader implements SqlReader {
  private readonly workers: { worker: Worker; pending: Map<number, Pending> }[] = [];
  private nextId = 1;
  private turn = 0;

  constructor(file: string, busyTimeoutMs: number) {
    for (let i = 0; i < SQLITE_READ_WORKERS; i++) {
      const worker = new Worker(new URL('./sqlite-read-worker.mjs', import.meta.url), {
        workerData: { file, busyTimeoutMs },
      });
      const pending = new Map<number, Pending>();
      worker.on(
        'message',
        (message: { id: number; columns?: string[]; rows?: unknown[][]; error?: string }) => {
          const waiting = pending.get(message.id);
          if (!waiting) return;
          pending.delete(message.id);
          if (pending.size === 0) worker.unref();
          if (message.error !== undefined) waiting.reject(new Error(message.error));
          else waiting.resolve({ columns: message.columns ?? [], rows: message.rows ?? [] });
        },
      );
      worker.on('error', (err) => {
        for (const waiting of pending.values()) waiting.reject(err);
        pending.clear();
      });
      // An idle reader must not keep the process alive (a query in flight does: see query()).
      worker.unref();
      this.workers.push({ worker, pending });
    }
  }

  async query(sql: Prisma.Sql): Promise<Row[]> {
    return toObjects(await this.table(sql));
  }

  table(sql: Prisma.Sql): Promise<Table> {
    const slot = this.workers[this.turn++ % this.workers.length] as (typeof this.workers)[number];
    const id = this.nextId++;
    return new Promise<Table>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, sql: sql.sql, values: sql.values });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}

class PrismaReader implements SqlReader {
  constructor(private readonly db: Db) {}
  query(sql: Prisma.Sql): Promise<Row[]> {
    return this.db.$queryRaw<Row[]>(sql);
  }
  async table(sql: Prisma.Sql): Promise<Table> {
    const rows = await this.query(sql);
    const columns = rows[0] ? Object.keys(rows[0]) : [];
    return { columns, rows: rows.map((r) => columns.map((c) => r[c])) };
  }
  async close(): Promise<void> {}
}

const readers = new WeakMap<Db, SqlReader>();

export function openSqliteReader(db: Db, file: string, busyTimeoutMs: number): SqlReader {
  const reader = new SqliteWorkerReader(file, busyTimeoutMs);
  readers.set(db, reader);
  return reader;
}

/** The reader for `db`: its SQLite workers when it has them, else Prisma itself. */
export function readerFor(db: Db): SqlReader {
  let reader = readers.get(db);
  if (!reader) {
    reader = new PrismaReader(db);
    readers.set(db, reader);
  }
  return reader;
}
