// @ts-check
/**
 * A worker thread with its own read-only SQLite connection: the API's heavy aggregation queries run here, so
 * that better-sqlite3 (which runs a statement on the calling thread) never holds the API's event loop. WAL mode
 * lets it read while the main connection writes. Plain JavaScript: a worker thread gets no TypeScript loader.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.file, {
  readonly: true,
  fileMustExist: true,
  timeout: workerData.busyTimeoutMs,
});
/** Prepared statements by SQL text: queries repeat with different bound values. */
const statements = new Map();

parentPort?.on('message', (/** @type {{ id: number; sql: string; values: unknown[] }} */ message) => {
  try {
    let statement = statements.get(message.sql);
    if (!statement) {
      statement = db.prepare(message.sql);
      if (statements.size > 200) statements.clear();
      statements.set(message.sql, statement);
    }
    // Arrays, not objects: far cheaper to copy to the main thread for thousands of wide rows.
    const columns = statement.columns().map((c) => c.name);
    parentPort?.postMessage({ id: message.id, columns, rows: statement.raw(true).all(...message.values) });
  } catch (err) {
    parentPort?.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) });
  }
});
