/**
 * The checked-in Prisma files agree with the one model source: the PostgreSQL schema is rendered from the SQLite
 * one, every model change has a migration for both providers, and both migration folders hold the same history.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layout, migrationLockContent, PROVIDERS, renderPostgresSchema } from './layout.ts';
import { diffSchemas } from './schema-engine.ts';

const source = readFileSync(layout.sourceSchemaPath, 'utf8');

function migrationFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
}

describe('prisma/postgresql/schema.prisma', () => {
  it('is up to date with prisma/schema.prisma (run `npm run db:generate` if not)', () => {
    const checkedIn = readFileSync(layout.providers.postgresql.schemaPath, 'utf8');
    expect(checkedIn, 'prisma/postgresql/schema.prisma is stale: run `npm run db:generate`').toBe(
      renderPostgresSchema(source),
    );
  });

  it('differs from the source only in the header, the provider and the client output', () => {
    const rendered = renderPostgresSchema(source);
    expect(rendered).toMatch(/^\/\/ GENERATED from prisma\/schema\.prisma/);
    expect(rendered).toMatch(/^\s*provider\s*=\s*"postgresql"$/m);
    expect(rendered).toMatch(/^\s*output\s*=\s*"\.\.\/\.\.\/apps\/api\/src\/generated\/postgresql"$/m);
    expect(rendered).not.toContain('"sqlite"');
    const models = (schema: string) => schema.slice(schema.indexOf('\nmodel ') >>> 0);
    expect(models(rendered)).toBe(models(source));
  });

  it('refuses a source it cannot render faithfully', () => {
    expect(() => renderPostgresSchema(source.replace('provider = "sqlite"', 'provider = "mysql"'))).toThrow(
      /expected exactly one datasource line/,
    );
    expect(() => renderPostgresSchema(source.replace('generated/sqlite', 'generated/other'))).toThrow(
      /expected exactly one generator line/,
    );
  });
});

describe('migrations', () => {
  it('exist for both providers with the same names, each with a migration.sql and the right lock file', () => {
    const [sqliteDir, postgresDir] = PROVIDERS.map((p) => layout.providers[p].migrationsDir);
    const names = migrationFolders(sqliteDir!);
    expect(names.length).toBeGreaterThan(0);
    expect(migrationFolders(postgresDir!)).toEqual(names);
    for (const provider of PROVIDERS) {
      const dir = layout.providers[provider].migrationsDir;
      expect(readFileSync(path.join(dir, 'migration_lock.toml'), 'utf8')).toBe(
        migrationLockContent(provider),
      );
      for (const name of names) {
        expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
        expect(existsSync(path.join(dir, name, 'migration.sql')), `${provider}/${name}/migration.sql`).toBe(
          true,
        );
      }
    }
  });

  it.each(PROVIDERS)(
    'cover every model change for %s (run `npm run db:diff -- --name <change>` if not)',
    async (provider) => {
      const snapshot = readFileSync(layout.snapshotPath, 'utf8');
      const render = (schema: string) => (provider === 'sqlite' ? schema : renderPostgresSchema(schema));
      const pending = await diffSchemas(render(snapshot), render(source));
      expect(pending.changed, `model changes without a migration:\n${pending.script}`).toBe(false);
    },
  );

  it('are detected as missing when the model changes', async () => {
    const changed = source.replace(/^(\s*maxMs\s+Float)$/m, '$1\n  p99Ms Float?');
    expect(changed).not.toBe(source);
    const pending = await diffSchemas(source, changed);
    expect(pending.changed).toBe(true);
    expect(pending.script).toContain('ALTER TABLE "SeriesRollup" ADD COLUMN "p99Ms" REAL');
  });
});
