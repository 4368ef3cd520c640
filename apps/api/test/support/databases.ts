/** The databases every storage-touching integration test runs on: a SQLite file and a real PostgreSQL server. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres } from './postgres.ts';

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface Backend {
  name: string;
  start(): Promise<TestDatabase>;
}

/** A fresh SQLite file in its own temporary directory, removed by stop(). */
export function sqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-test-db-'));
  return Promise.resolve({
    url: `file:${path.join(dir, 'weft.db')}`,
    stop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
}

/** For `describe.each(BACKENDS)('… on $name', (backend) => …)`. */
export const BACKENDS: readonly Backend[] = [
  { name: 'SQLite', start: sqliteDatabase },
  { name: 'PostgreSQL', start: startPostgres },
];
