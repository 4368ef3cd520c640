/**
 * Prisma CLI configuration (with internet, `npx prisma migrate deploy` / `migrate status` use it). DATABASE_URL
 * picks the provider: postgres:// or postgresql:// → prisma/postgresql/, anything else → the SQLite source.
 * Without DATABASE_URL it targets the API's default SQLite file. Relative SQLite paths are made absolute against
 * the working directory, as the API does (apps/api/src/db/database-url.ts).
 * Offline, use `npm run db:generate` / `npm run db:diff` instead (scripts/prisma-offline.ts); the API applies
 * migrations itself at start.
 */
import path from 'node:path';
import { defineConfig } from 'prisma/config';

const rawUrl =
  process.env.DATABASE_URL ||
  `file:${path.join(path.resolve(process.env.WEFT_DATA_DIR || '.weft'), 'weft.db')}`;
const isPostgres = /^postgres(ql)?:\/\//.test(rawUrl);
const url =
  rawUrl.startsWith('file:') && !rawUrl.startsWith('file://')
    ? `file:${path.resolve(rawUrl.slice('file:'.length))}`
    : rawUrl;

export default defineConfig({
  schema: isPostgres ? 'prisma/postgresql/schema.prisma' : 'prisma/schema.prisma',
  migrations: { path: isPostgres ? 'prisma/postgresql/migrations' : 'prisma/migrations' },
  datasource: { url },
});
