/**
 * Prisma's schema engine (what `prisma migrate` runs) as WebAssembly, driven through a driver adapter.
 *
 * The Prisma CLI downloads a native schema engine at start-up, which machines without internet cannot do.
 * `@prisma/schema-engine-wasm` is the same engine compiled to WASM: it applies migrations with the same
 * `_prisma_migrations` bookkeeping and checksums as `prisma migrate deploy`, and diffs schema files.
 * Node 20 cannot import a `.wasm` module bundler-style, so it is instantiated here by hand, once per process.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm';

export type { SchemaEngine } from '@prisma/schema-engine-wasm';

/** Nothing in the database is managed outside Prisma. */
export const NO_EXTERNAL_ENTITIES: SchemaFilter = { externalTables: [], externalEnums: [] };

/** The slice of the WebAssembly global used here (the Node 20 type definitions do not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: { __wbindgen_start(): void } & Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let loaded: Promise<void> | undefined;

function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmModule = await wasm.compile(await readFile(gluePath.replace(/\.js$/, '.wasm')));
    // The module imports its JS glue under the name wasm-bindgen gave it.
    const instance = new wasm.Instance(wasmModule, { './schema_engine_bg.js': { ...bindings } });
    bindings.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
  })();
  return loaded;
}

/**
 * Runs `work` with a schema engine connected through `adapterFactory`, then frees the engine and closes every
 * connection it opened (the engine itself does not close them, and an open SQLite handle would keep locks).
 */
export async function withSchemaEngine<T>(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  datamodels: [path: string, content: string][] | undefined,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await loadWasm();
  const opened: SqlDriverAdapter[] = [];
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    async connect() {
      const adapter = await adapterFactory.connect();
      opened.push(adapter);
      return adapter;
    },
    async connectToShadowDb() {
      const adapter = await adapterFactory.connectToShadowDb();
      opened.push(adapter);
      return adapter;
    },
  };
  try {
    const engine = await bindings.SchemaEngine.new(
      { datamodels },
      () => {},
      bindMigrationAwareSqlAdapterFactory(tracking),
    );
    try {
      return await work(engine);
    } finally {
      engine.free();
    }
  } finally {
    await Promise.allSettled(opened.map((adapter) => adapter.dispose()));
  }
}

/**
 * Reads a migrations folder exactly as the Prisma CLI does: every sub-folder is a migration whose
 * `migration.sql` is applied in name order; loose files (the lock file, the schema snapshot) are not.
 */
export async function readMigrationList(migrationsDir: string): Promise<MigrationList> {
  const lockfilePath = 'migration_lock.toml';
  const lockContent = await readFile(path.join(migrationsDir, lockfilePath), 'utf8').catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    },
  );
  const directories = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockfilePath, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (err: Error) => ({ tag: 'error' as const, value: err.message }),
          ),
        },
      })),
    ),
  };
}

export interface SchemaDiff {
  /** False when the two schemas describe the same database. */
  changed: boolean;
  /** The migration script, in the SQL dialect of the schemas' datasource provider. */
  script: string;
}

/**
 * The SQL that turns a database described by `from` (or an empty one) into one described by `to`. Pure
 * schema-file diff: no database is touched. The SQL flavour follows the schemas' datasource provider; an
 * in-memory SQLite connection only hosts the engine (a PostgreSQL host would need a live server and would add
 * `CREATE SCHEMA IF NOT EXISTS "public"`, which fails for roles without CREATE on the database).
 */
export async function diffSchemas(from: string | null, to: string): Promise<SchemaDiff> {
  const datamodel = (content: string) => ({
    tag: 'schemaDatamodel' as const,
    files: [{ path: 'schema.prisma', content }],
  });
  return withSchemaEngine(new PrismaBetterSqlite3({ url: ':memory:' }), undefined, async (engine) => {
    const result = await engine.diff({
      from: from === null ? { tag: 'empty' } : datamodel(from),
      to: datamodel(to),
      script: true,
      exitCode: true,
      filters: NO_EXTERNAL_ENTITIES,
    });
    return { changed: result.exitCode === 2, script: result.stdout ?? '' };
  });
}
