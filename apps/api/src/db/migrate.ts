/**
 * `prisma migrate deploy`, in-process and offline: applies the checked-in migrations that the database has not
 * seen yet, recording them in `_prisma_migrations` exactly as the CLI does (same rows, same checksums), so the
 * stock CLI and this path can take turns on one database.
 */
import { readFile } from 'node:fs/promises';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { DatabaseError } from './errors.ts';
import { layout, type Provider } from './layout.ts';
import { NO_EXTERNAL_ENTITIES, readMigrationList, withSchemaEngine } from './schema-engine.ts';

/** The engine's message without the Rust span trace it appends ("   0: sql_schema_connector::…"). */
export function engineMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines: string[] = [];
  for (const line of message.split('\n')) {
    if (/^\s+\d+: /.test(line) || /^\s+(at|with) /.test(line)) break;
    lines.push(line);
  }
  return lines.join('\n').trim();
}

export interface MigrateOptions {
  provider: Provider;
  /** How the database is reached; its connections are closed before this returns. */
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** For messages: where the database is. */
  location: string;
  /** Defaults to the checked-in folder for `provider`. */
  migrationsDir?: string;
}

/** Applies pending migrations; returns the names of those applied now (none when the database is current). */
export async function applyPendingMigrations(options: MigrateOptions): Promise<string[]> {
  const { provider, adapterFactory, location } = options;
  const { schemaPath, migrationsDir: defaultDir } = layout.providers[provider];
  const migrationsDir = options.migrationsDir ?? defaultDir;
  const migrationsList = await readMigrationList(migrationsDir);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new DatabaseError(
      `no ${provider} migrations found in ${migrationsDir}; the installation is incomplete`,
    );
  }
  const schema = await readFile(schemaPath, 'utf8');

  return withSchemaEngine(adapterFactory, [[schemaPath, schema]], async (engine) => {
    try {
      const { appliedMigrationNames } = await engine.applyMigrations({
        migrationsList,
        filters: NO_EXTERNAL_ENTITIES,
      });
      return appliedMigrationNames;
    } catch (err) {
      // The engine does not say which migration broke; the migrations table does (a failed row stays there).
      const failed = await engine
        .diagnoseMigrationHistory({
          migrationsList,
          optInToShadowDatabase: false,
          filters: NO_EXTERNAL_ENTITIES,
        })
        .then(
          (d) => d.failedMigrationNames,
          () => [],
        );
      const name = failed[0];
      const reason = engineMessage(err);
      if (name === undefined) {
        throw new DatabaseError(`could not apply ${provider} migrations to ${location}: ${reason}`);
      }
      throw new DatabaseError(
        `database migration "${name}" failed on ${location}: ${reason}\n` +
          `The migration is recorded as failed in _prisma_migrations. Repair the database (or restore a backup), ` +
          `then mark it with \`npx prisma migrate resolve --rolled-back ${name}\` (or \`--applied\`) and start again.`,
      );
    }
  });
}

/**
 * True when `_prisma_migrations` already records every checked-in migration as finished and holds no failed one,
 * i.e. when the engine would apply nothing. Any doubt (no table, an unknown layout, an error) answers false and
 * leaves the decision to the engine. Saves loading the engine on a normal restart (~70 MB and a few hundred ms).
 */
async function isUpToDate(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  migrationsList: MigrationList,
): Promise<boolean> {
  let adapter;
  try {
    adapter = await adapterFactory.connect();
  } catch {
    return false;
  }
  try {
    const result = await adapter.queryRaw({
      sql: 'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations',
      args: [],
      argTypes: [],
    });
    const finished = new Set<string>();
    for (const [name, finishedAt, rolledBackAt] of result.rows as [unknown, unknown, unknown][]) {
      if (rolledBackAt !== null) continue;
      if (finishedAt === null) return false; // a failed migration: let the engine report it
      finished.add(String(name));
    }
    return migrationsList.migrationDirectories.every((dir) => finished.has(dir.path));
  } catch {
    return false;
  } finally {
    await adapter.dispose().catch(() => {});
  }
}

/**
 * Migrations in flight per database, so that two opens in one process run one after the other. (PostgreSQL also
 * takes an advisory lock across processes; SQLite has no such lock, so separate processes sharing one SQLite
 * file should not start at the same moment on a fresh database.)
 */
const inFlight = new Map<string, Promise<unknown>>();

/**
 * Brings the database up to date at start: returns at once when nothing is pending, otherwise runs the engine
 * (applyPendingMigrations). Returns the names of the migrations applied now.
 */
export async function migrateToLatest(options: MigrateOptions): Promise<string[]> {
  const migrationsDir = options.migrationsDir ?? layout.providers[options.provider].migrationsDir;
  const previous = inFlight.get(options.location) ?? Promise.resolve();
  const run = previous
    .catch(() => {})
    .then(async () => {
      const migrationsList = await readMigrationList(migrationsDir);
      if (
        migrationsList.migrationDirectories.length > 0 &&
        (await isUpToDate(options.adapterFactory, migrationsList))
      ) {
        return [];
      }
      return applyPendingMigrations({ ...options, migrationsDir });
    });
  inFlight.set(options.location, run);
  try {
    return await run;
  } finally {
    if (inFlight.get(options.location) === run) inFlight.delete(options.location);
  }
}
