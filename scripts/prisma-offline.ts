/**
 * The offline Prisma workflow, in one place (run with tsx):
 *
 *   generate             render prisma/postgresql/schema.prisma from prisma/schema.prisma, then generate both
 *                        clients into apps/api/src/generated/{sqlite,postgresql}. Root `postinstall`.
 *   diff --name <name>   write a new migration for both providers (prisma/migrations/<ts>_<name>/ and
 *                        prisma/postgresql/migrations/<ts>_<name>/) from the model changes since the last one.
 *
 * Why: the Prisma CLI downloads a native schema engine at start-up, so without internet `migrate dev/diff/deploy`
 * fail. `generate` never uses that engine; it only insists on finding one, so we point it at any executable.
 * Migrations are diffs of schema files computed by the WASM schema engine (no shadow database); the API applies
 * them at start (apps/api/src/db/migrate.ts). The folders keep the standard layout, so with internet
 * `npx prisma migrate deploy` (schema and folder picked by prisma.config.ts from DATABASE_URL) works on them too.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  layout,
  migrationLockContent,
  PROVIDERS,
  renderPostgresSchema,
  type Provider,
} from '../apps/api/src/db/layout.ts';
import { diffSchemas } from '../apps/api/src/db/schema-engine.ts';

const require = createRequire(import.meta.url);
const relative = (file: string) => path.relative(layout.repoRoot, file);

class UsageError extends Error {}

/** Source of the schema for `provider`, rendered from the SQLite source. */
function schemaFor(provider: Provider, sqliteSource: string): string {
  return provider === 'sqlite' ? sqliteSource : renderPostgresSchema(sqliteSource);
}

async function writePostgresSchema(): Promise<void> {
  const source = await readFile(layout.sourceSchemaPath, 'utf8');
  const target = layout.providers.postgresql.schemaPath;
  const rendered = renderPostgresSchema(source);
  const current = await readFile(target, 'utf8').catch(() => null);
  if (current !== rendered) {
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, rendered);
    console.log(`wrote ${relative(target)}`);
  }
}

/**
 * `prisma generate` needs no schema engine but the CLI looks for (and otherwise downloads) one. Point it at an
 * existing executable unless the caller chose one or a native engine is already installed.
 */
function cliEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
  if (env.PRISMA_SCHEMA_ENGINE_BINARY) return env;
  let hasNativeEngine = false;
  try {
    const enginesDir = path.dirname(path.dirname(require.resolve('@prisma/engines')));
    hasNativeEngine = readdirSync(enginesDir).some((name) => name.startsWith('schema-engine-'));
  } catch {
    // No @prisma/engines package to look in: treat as "no native engine".
  }
  if (!hasNativeEngine) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
  return env;
}

function prismaGenerate(schemaPath: string): Promise<void> {
  const cli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build/index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'generate', '--schema', schemaPath], {
      cwd: layout.repoRoot,
      env: cliEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        const done = output.split('\n').find((line) => line.includes('Generated Prisma Client'));
        console.log(done?.replace(/^✔\s*/, '').trim() ?? `generated ${relative(schemaPath)}`);
        resolve();
      } else {
        reject(
          new Error(`prisma generate --schema ${relative(schemaPath)} failed (exit ${code}):\n${output}`),
        );
      }
    });
  });
}

async function generate(): Promise<void> {
  await writePostgresSchema();
  await Promise.all(PROVIDERS.map((provider) => prismaGenerate(layout.providers[provider].schemaPath)));
}

/** `prisma migrate dev` names folders <UTC yyyymmddhhmmss>_<name>. */
function migrationFolderName(name: string, now = new Date()): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (slug === '') throw new UsageError(`migration name "${name}" has no letters or digits`);
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  return `${stamp}_${slug}`;
}

function migrationFolders(provider: Provider): string[] {
  const dir = layout.providers[provider].migrationsDir;
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
}

async function diff(name: string): Promise<void> {
  await writePostgresSchema();
  const current = await readFile(layout.sourceSchemaPath, 'utf8');
  const snapshot = await readFile(layout.snapshotPath, 'utf8').catch(() => null);
  const existing = PROVIDERS.map((provider) => migrationFolders(provider));
  if (snapshot === null && existing.some((folders) => folders.length > 0)) {
    throw new Error(
      `${relative(layout.snapshotPath)} is missing but migrations exist; restore it from version control ` +
        `(it is the schema as of the newest migration)`,
    );
  }
  const [sqliteFolders = [], postgresFolders = []] = existing;
  if (sqliteFolders.join() !== postgresFolders.join()) {
    throw new Error(
      'prisma/migrations and prisma/postgresql/migrations hold different migrations; fix that first',
    );
  }

  const folder = migrationFolderName(name);
  const diffs = await Promise.all(
    PROVIDERS.map((provider) =>
      diffSchemas(snapshot === null ? null : schemaFor(provider, snapshot), schemaFor(provider, current)),
    ),
  );
  if (!diffs.some((d) => d.changed)) {
    console.log('no model changes since the last migration; nothing written');
    return;
  }
  for (const [i, provider] of PROVIDERS.entries()) {
    const { migrationsDir } = layout.providers[provider];
    const target = path.join(migrationsDir, folder);
    if (existsSync(target)) throw new Error(`${relative(target)} already exists`);
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, 'migration.sql'), diffs[i]?.script ?? '');
    await writeFile(path.join(migrationsDir, 'migration_lock.toml'), migrationLockContent(provider));
    console.log(`wrote ${relative(path.join(target, 'migration.sql'))}`);
  }
  await writeFile(layout.snapshotPath, current);
  console.log(`updated ${relative(layout.snapshotPath)}; review the SQL, then commit all three`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'generate') return generate();
  if (command === 'diff') {
    const { values } = parseArgs({ args: rest, options: { name: { type: 'string' } } });
    if (!values.name) throw new UsageError('diff needs --name <migration_name>');
    return diff(values.name);
  }
  throw new UsageError(`unknown command ${command ?? '(none)'}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(
      `prisma-offline: ${err.message}\nusage: tsx scripts/prisma-offline.ts generate | diff --name <name>`,
    );
    process.exit(2);
  }
  console.error(`prisma-offline: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
