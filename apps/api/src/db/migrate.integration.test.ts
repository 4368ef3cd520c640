/**
 * Migrations applied in-process, offline, on a fresh SQLite file and on a real (embedded) PostgreSQL server:
 * the bookkeeping matches `prisma migrate deploy`, a restart applies nothing, and the models round-trip.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/ports.ts';
import { startPostgres } from '../../test/support/postgres.ts';
import { DatabaseError, openDatabase, type Db } from './client.ts';
import { layout, type Provider } from './layout.ts';
import { applyPendingMigrations, migrateToLatest } from './migrate.ts';

interface Backend {
  provider: Provider;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
  adapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory;
}

const backends: Backend[] = [
  {
    provider: 'sqlite',
    start: () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-sqlite-'));
      // A directory that does not exist yet: openDatabase must create it.
      const file = path.join(dir, 'nested', 'weft.db');
      return Promise.resolve({
        url: `file:${file}`,
        stop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
      });
    },
    adapterFactory: (url) => new PrismaBetterSqlite3({ url: url.slice('file:'.length) }),
  },
  {
    provider: 'postgresql',
    start: async () => {
      const started = performance.now();
      const server = await startPostgres();
      console.log(`embedded PostgreSQL ready in ${(performance.now() - started).toFixed(0)} ms`);
      return server;
    },
    adapterFactory: (url) => new PrismaPg({ connectionString: url }),
  },
];

interface MigrationRow {
  migration_name: string;
  checksum: string;
  started_at: unknown;
  finished_at: unknown;
  rolled_back_at: unknown;
  applied_steps_count: number | bigint;
}

const migrationRows = (db: Db) =>
  db.$queryRawUnsafe<MigrationRow[]>(
    'SELECT migration_name, checksum, started_at, finished_at, rolled_back_at, applied_steps_count ' +
      'FROM _prisma_migrations ORDER BY migration_name',
  );

function checkedInMigrations(provider: Provider): { name: string; checksum: string }[] {
  const dir = layout.providers[provider].migrationsDir;
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({
      name,
      checksum: createHash('sha256')
        .update(readFileSync(path.join(dir, name, 'migration.sql')))
        .digest('hex'),
    }));
}

// Beyond 2^53: only survives as a real 64-bit integer, not through a JS number.
const BIG_START_US = 9_007_199_254_740_993n;

describe.each(backends)('migrations on $provider', (backend) => {
  let server: { url: string; stop(): Promise<void> };
  const expected = checkedInMigrations(backend.provider);

  beforeAll(async () => {
    server = await backend.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('has an init migration checked in', () => {
    expect(expected.map((m) => m.name)).toContainEqual(expect.stringMatching(/^\d{14}_init$/));
  });

  it('applies every migration to an empty database, recorded as prisma migrate deploy records them', async () => {
    const started = performance.now();
    const database = await openDatabase(server.url);
    const elapsed = performance.now() - started;
    console.log(
      `${backend.provider}: openDatabase with ${expected.length} migration(s) applied in ${elapsed.toFixed(0)} ms`,
    );
    try {
      expect(database.provider).toBe(backend.provider);
      expect(database.location).not.toContain('@');
      expect(database.appliedMigrations).toEqual(expected.map((m) => m.name));

      const rows = await migrationRows(database.db);
      expect(rows.map((r) => ({ name: r.migration_name, checksum: r.checksum }))).toEqual(expected);
      for (const row of rows) {
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(Number(row.applied_steps_count)).toBe(1);
      }

      await database.db.span.create({
        data: {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          parentSpanId: null,
          name: 'GET /checkout',
          kind: 2,
          service: 'checkout',
          namespace: 'shop',
          version: 'v1',
          startUs: BIG_START_US,
          durationUs: 1_250n,
          statusCode: 2,
          statusMessage: 'upstream 503',
          httpStatus: 503,
          attributes: JSON.stringify({ 'http.route': '/checkout' }),
        },
      });
      const series = await database.db.telemetrySeries.create({
        data: {
          reporter: 'inbound',
          sourceService: 'frontend',
          sourceNamespace: 'shop',
          sourceVersion: 'v1',
          destService: 'checkout',
          destNamespace: 'shop',
          destVersion: 'v1',
        },
      });
      const rollup = await database.db.seriesRollup.create({
        data: {
          resolutionMs: 60_000,
          bucketMs: 1_764_000_000_000n,
          seriesId: series.id,
          count: 42n,
          failed: 1n,
          rateLimited: 0n,
          unavailable: 0n,
          sumMs: 123.5,
          maxMs: 30,
          firstMs: 1_764_000_000_000n,
          lastMs: 1_764_000_010_000n,
          b0: 1n,
          b1: 2n,
          b2: 39n,
        },
      });
      expect(rollup.seriesId).toBe(series.id);
    } finally {
      await database.close();
    }
  });

  it('applies nothing on the next start and keeps the data', async () => {
    const before = await (async () => {
      const first = await openDatabase(server.url);
      try {
        return await migrationRows(first.db);
      } finally {
        await first.close();
      }
    })();

    const started = performance.now();
    const database = await openDatabase(server.url);
    console.log(
      `${backend.provider}: openDatabase on a current database in ${(performance.now() - started).toFixed(0)} ms`,
    );
    try {
      expect(database.appliedMigrations).toEqual([]);
      expect(await migrationRows(database.db)).toEqual(before);

      const span = await database.db.span.findUniqueOrThrow({
        where: {
          traceId_spanId: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
        },
      });
      expect(span.startUs).toBe(BIG_START_US);
      expect(span.durationUs).toBe(1_250n);
      expect(span.parentSpanId).toBeNull();
      expect(span.httpStatus).toBe(503);

      const rollups = await database.db.seriesRollup.findMany({
        where: { resolutionMs: 60_000, bucketMs: { gte: 1_764_000_000_000n } },
      });
      expect(rollups).toHaveLength(1);
      expect(rollups[0]).toMatchObject({
        bucketMs: 1_764_000_000_000n,
        lastMs: 1_764_000_010_000n,
        count: 42n,
        sumMs: 123.5,
        b2: 39n,
      });
    } finally {
      await database.close();
    }
  });

  it('agrees with the engine that nothing is pending', async () => {
    // openDatabase skips the engine when _prisma_migrations is complete; the engine itself must concur.
    const applied = await applyPendingMigrations({
      provider: backend.provider,
      adapterFactory: backend.adapterFactory(server.url),
      location: 'the test database',
    });
    expect(applied).toEqual([]);
  });

  it('applies a migration added after the first start, once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-migrations-'));
    try {
      cpSync(layout.providers[backend.provider].migrationsDir, dir, { recursive: true });
      mkdirSync(path.join(dir, '29991231235958_upgrade_probe'));
      writeFileSync(
        path.join(dir, '29991231235958_upgrade_probe', 'migration.sql'),
        'CREATE TABLE "UpgradeProbe" ("id" INTEGER NOT NULL PRIMARY KEY);\n',
      );
      const options = {
        provider: backend.provider,
        adapterFactory: backend.adapterFactory(server.url),
        location: 'the test database',
        migrationsDir: dir,
      };
      expect(await migrateToLatest(options)).toEqual(['29991231235958_upgrade_probe']);
      expect(await migrateToLatest(options)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the migration that fails', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-migrations-'));
    try {
      cpSync(layout.providers[backend.provider].migrationsDir, dir, { recursive: true });
      mkdirSync(path.join(dir, '29991231235959_broken'));
      writeFileSync(
        path.join(dir, '29991231235959_broken', 'migration.sql'),
        'CREATE TABLE "Fine" ("id" INTEGER);\nINSERT INTO "NoSuchTable" VALUES (1);\n',
      );
      const attempt = applyPendingMigrations({
        provider: backend.provider,
        adapterFactory: backend.adapterFactory(server.url),
        location: 'the test database',
        migrationsDir: dir,
      });
      await expect(attempt).rejects.toThrow(DatabaseError);
      await expect(attempt).rejects.toThrow(
        /migration "29991231235959_broken" failed on the test database: .*NoSuchTable/s,
      );
      await expect(attempt).rejects.toThrow(/prisma migrate resolve --rolled-back 29991231235959_broken/);
      // The failure is remembered: the next start refuses to go on, and says why.
      await expect(openDatabase(server.url)).rejects.toThrow(
        /migration "29991231235959_broken" failed on .*failed migrations in the target database/s,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('unusable database URLs', () => {
  it('says which PostgreSQL host:port is unreachable and what to check', async () => {
    const closedPort = await freePort();
    const attempt = openDatabase(`postgresql://weft:secret@127.0.0.1:${closedPort}/weft`);
    await expect(attempt).rejects.toThrow(DatabaseError);
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closedPort} \\(ECONNREFUSED\\): check DATABASE_URL and that the server is running`,
      ),
    );
    await expect(attempt).rejects.not.toThrow(/secret/);
  });

  it('lists the schemes that work', async () => {
    await expect(openDatabase('mysql://root@127.0.0.1/weft')).rejects.toThrow(
      'DATABASE_URL scheme "mysql:" is not supported; use file:<path> for SQLite',
    );
  });
});
