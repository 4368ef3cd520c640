/** Turns DATABASE_URL into what the drivers need, without ever echoing a password back. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseError } from './errors.ts';

export type DatabaseTarget =
  | { provider: 'sqlite'; /** Absolute path of the database file. */ filePath: string }
  | {
      provider: 'postgresql';
      connectionString: string;
      host: string;
      port: number;
      database: string;
      user: string;
    };

const SUPPORTED =
  'use file:<path> for SQLite (e.g. file:.weft/weft.db) or postgresql://user:password@host:5432/database for PostgreSQL';

function parseSqlite(url: string, cwd: string): DatabaseTarget {
  // file:///abs/path is a real file URL; file:rel/path and file:/abs/path are Prisma's SQLite forms.
  const withoutQuery = url.replace(/[?#].*$/, '');
  const rawPath = withoutQuery.startsWith('file://')
    ? fileURLToPath(withoutQuery)
    : withoutQuery.slice('file:'.length);
  if (rawPath === '') {
    throw new DatabaseError(`DATABASE_URL "file:" names no file; ${SUPPORTED}`);
  }
  if (rawPath === ':memory:') {
    throw new DatabaseError(
      `DATABASE_URL "${url}": an in-memory SQLite database is not supported; ${SUPPORTED}`,
    );
  }
  return { provider: 'sqlite', filePath: path.resolve(cwd, rawPath) };
}

function parsePostgres(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseError(`DATABASE_URL is not a valid PostgreSQL URL; ${SUPPORTED}`);
  }
  const user = decodeURIComponent(parsed.username) || 'postgres';
  // libpq's ?host= (often a unix socket directory) wins over the authority part.
  const host =
    parsed.searchParams.get('host') ?? (parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost');
  const port = Number(parsed.searchParams.get('port') ?? parsed.port) || 5432;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || user;
  return { provider: 'postgresql', connectionString: url, host, port, database, user };
}

/** Relative SQLite paths are resolved against `cwd` (the process's working directory by default). */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): DatabaseTarget {
  const trimmed = url.trim();
  if (trimmed.startsWith('file:')) return parseSqlite(trimmed, cwd);
  if (/^postgres(ql)?:\/\//.test(trimmed)) return parsePostgres(trimmed);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  throw new DatabaseError(
    scheme
      ? `DATABASE_URL scheme "${scheme}:" is not supported; ${SUPPORTED}`
      : `DATABASE_URL has no scheme; ${SUPPORTED}`,
  );
}

/** Where the data lives, for logs and messages: the file, or host:port/database (never credentials). */
export function describeTarget(target: DatabaseTarget): string {
  if (target.provider === 'sqlite') return target.filePath;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}/${target.database}`;
}
