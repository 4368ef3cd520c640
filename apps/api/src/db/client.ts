/**
 * The API's one Prisma client module: opens SQLite (default) or PostgreSQL from DATABASE_URL and brings the
 * schema up to date before anything else touches it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { PrismaClient } from '../generated/sqlite/client.ts';
import { describeTarget, parseDatabaseUrl, type DatabaseTarget } from './database-url.ts';
import { DatabaseError } from './errors.ts';
import type { Provider } from './layout.ts';
import { migrateToLatest } from './migrate.ts';
import { registerDialect } from './dialect.ts';
import { openSqliteReader } from './sql-reader.ts';

export { DatabaseError } from './errors.ts';

/**
 * The model API. Typed by the SQLite client; the PostgreSQL client is generated from the same models and has
 * the same API, so it is used through this type too.
 */
export type Db = PrismaClient;

export interface OpenDatabase {
  db: Db;
  provider: Provider;
  /** The SQLite file, or host:port/database for PostgreSQL (no credentials). */
  location: string;
  /** Migrations applied by this call; empty when the database was already current. */
  appliedMigrations: string[];
  close(): Promise<void>;
}

/** How long a SQLite writer waits for another connection's lock before failing with "database is locked". */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;
const PG_CONNECT_TIMEOUT_MS = 10_000;

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function openSqlite(target: Extract<DatabaseTarget, { provider: 'sqlite' }>): Promise<OpenDatabase> {
  const location = target.filePath;
  const directory = path.dirname(location);
  try {
    await mkdir(directory, { recursive: true });
  } catch (err) {
    throw new DatabaseError(
      `cannot create the directory ${directory} for the SQLite database: ${reason(err)}`,
    );
  }
  try {
    // WAL lets the console read while ingest writes; the mode is stored in the file, so one connection sets it.
    const probe = new BetterSqlite3(location, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    try {
      probe.pragma('journal_mode = WAL');
    } finally {
      probe.close();
    }
  } catch (err) {
    throw new DatabaseError(
      `cannot open the SQLite database ${location}: ${reason(err)}; check DATABASE_URL and the file's permissions`,
    );
  }

  const adapterFactory = new PrismaBetterSqlite3({ url: location, timeout: SQLITE_BUSY_TIMEOUT_MS });
  const appliedMigrations = await migrateToLatest({ provider: 'sqlite', adapterFactory, location });

  const { PrismaClient: SqliteClient } = await import('../generated/sqlite/client.ts');
  const db = new SqliteClient({ adapter: adapterFactory });
  try {
    // Per connection; with WAL, NORMAL stays consistent after a crash and only risks the last commits on power loss.
    await db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  } catch (err) {
    await db.$disconnect();
    throw new DatabaseError(`cannot use the SQLite database ${location}: ${reason(err)}`);
  }
  registerDialect(db, 'sqlite');
  const reader = openSqliteReader(db, location, SQLITE_BUSY_TIMEOUT_MS);
  return {
    db,
    provider: 'sqlite',
    location,
    appliedMigrations,
    close: async () => {
      await reader.close();
      await db.$disconnect();
    },
  };
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** Connects once by hand so that an unreachable or misconfigured server gets a message a person can act on. */
async function checkPostgresReachable(
  target: Extract<DatabaseTarget, { provider: 'postgresql' }>,
): Promise<void> {
  const where = `${target.host}:${target.port}`;
  const client = new pg.Client({
    connectionString: target.connectionString,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const message = reason(err);
    if (UNREACHABLE_CODES.has(code) || /timeout|terminated unexpectedly/i.test(message)) {
      throw new DatabaseError(
        `cannot reach PostgreSQL at ${where}${code ? ` (${code})` : ''}: check DATABASE_URL and that the server ` +
          `is running and accepts TCP connections on that address`,
      );
    }
    if (code === '28P01' || code === '28000') {
      throw new DatabaseError(
        `PostgreSQL at ${where} refused user "${target.user}": ${message}; check the user and password in DATABASE_URL`,
      );
    }
    if (code === '3D000') {
      throw new DatabaseError(
        `PostgreSQL at ${where} has no database "${target.database}"; create it (createdb ${target.database}) ` +
          `or fix the database name in DATABASE_URL`,
      );
    }
    throw new DatabaseError(`cannot connect to PostgreSQL at ${where}: ${message}; check DATABASE_URL`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function openPostgres(
  target: Extract<DatabaseTarget, { provider: 'postgresql' }>,
): Promise<OpenDatabase> {
  const location = describeTarget(target);
  await checkPostgresReachable(target);

  const poolConfig = {
    connectionString: target.connectionString,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
  };
  const appliedMigrations = await migrateToLatest({
    provider: 'postgresql',
    adapterFactory: new PrismaPg(poolConfig),
    location,
  });

  const { PrismaClient: PostgresClient } = await import('../generated/postgresql/client.ts');
  const db = new PostgresClient({ adapter: new PrismaPg(poolConfig) }) as unknown as Db;
  registerDialect(db, 'postgresql');
  return { db, provider: 'postgresql', location, appliedMigrations, close: () => db.$disconnect() };
}

/**
 * Opens the database named by `url` and applies pending migrations.
 * - `file:<path>`: SQLite (relative paths against the working directory; the directory is created), WAL mode.
 * - `postgres://…` / `postgresql://…`: PostgreSQL through node-postgres.
 * Rejects with a DatabaseError whose message says what is wrong and how to fix it.
 */
export async function openDatabase(url: string): Promise<OpenDatabase> {
  const target = parseDatabaseUrl(url);
  return target.provider === 'sqlite' ? openSqlite(target) : openPostgres(target);
}
