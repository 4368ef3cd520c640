/**
 * Writing an ingest batch: chunked multi-row INSERTs in one transaction, and telling a batch the database
 * refuses because of its data (a 400: retrying cannot help) from a database that is failing (a 5xx).
 */
import type { Db } from '../db/client.ts';
import type { Prisma } from '../generated/sqlite/client.ts';
import { InvalidInputError } from './validation.ts';

/**
 * Most bound parameters in one statement. SQLite allows 32,766 and PostgreSQL 65,535; staying far below both
 * keeps statements small whatever the batch size.
 */
export const MAX_PARAMETERS_PER_STATEMENT = 4000;

/** Rows per INSERT for a table written with `columns` parameters per row. */
export function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMETERS_PER_STATEMENT / columns));
}

/**
 * Runs one INSERT per chunk of `rowsPerChunk` rows, all in one transaction, and returns how many rows the
 * database stored (affected rows: with ON CONFLICT DO NOTHING, rows already present are not counted).
 */
export async function insertInChunks<R>(
  db: Db,
  rows: readonly R[],
  rowsPerChunk: number,
  statement: (chunk: readonly R[]) => Prisma.Sql,
  what: string,
): Promise<number> {
  const [stored = 0] = await insertInOneTransaction(db, [chunked(rows, rowsPerChunk, statement)], what);
  return stored;
}

/** The INSERTs that write `rows`, `rowsPerChunk` at a time. */
export function chunked<R>(
  rows: readonly R[],
  rowsPerChunk: number,
  statement: (chunk: readonly R[]) => Prisma.Sql,
): Prisma.Sql[] {
  const statements: Prisma.Sql[] = [];
  for (let i = 0; i < rows.length; i += rowsPerChunk)
    statements.push(statement(rows.slice(i, i + rowsPerChunk)));
  return statements;
}

/**
 * Runs the INSERTs of several tables (each a list from `chunked`) in one transaction, all stored or none, and
 * returns the rows stored per table, in the order given.
 */
export async function insertInOneTransaction(
  db: Db,
  tables: readonly (readonly Prisma.Sql[])[],
  what: string,
): Promise<number[]> {
  const stored = tables.map(() => 0);
  const statements = tables.flatMap((sqls, t) => sqls.map((sql) => ({ t, run: db.$executeRaw(sql) })));
  if (statements.length === 0) return stored;
  try {
    // A batch (not interactive) transaction: no client-side timeout that a large batch could outlast.
    const counts = await db.$transaction(statements.map((s) => s.run));
    counts.forEach((n, i) => {
      const t = (statements[i] as { t: number }).t;
      stored[t] = (stored[t] as number) + n;
    });
    return stored;
  } catch (err) {
    const refusal = dataRefusal(err);
    if (refusal) {
      throw new InvalidInputError(`the database refused this ${what}`, [
        { path: '(batch)', message: refusal },
      ]);
    }
    throw err;
  }
}

interface AdapterCause {
  kind?: string;
  originalCode?: string;
  code?: string;
  extendedCode?: number;
  message?: string;
  originalMessage?: string;
  cause?: string;
}

/** Driver adapter error kinds that are about the values sent, not about the database's health. */
const DATA_KINDS = new Set([
  'ValueOutOfRange',
  'InvalidInputValue',
  'LengthMismatch',
  'NullConstraintViolation',
  'InconsistentColumnData',
]);

/** SQLite primary result codes caused by the data: SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH. */
const SQLITE_DATA_CODES = new Set([18, 19, 20]);

/**
 * PostgreSQL SQLSTATEs caused by the data: class 22 (data exception: out of range, bad encoding, …),
 * class 23 (integrity constraint) and 54000 (a value too large for an index).
 */
function isPostgresDataCode(code: string): boolean {
  return code.startsWith('22') || code.startsWith('23') || code === '54000';
}

/**
 * When the database refused the statement because of a value in it, a message saying so (without SQL);
 * otherwise null (connection lost, server down, lock timeout, …: a retry may succeed).
 */
export function dataRefusal(err: unknown): string | null {
  if (err instanceof RangeError && /too big|out of range/i.test(err.message)) {
    // better-sqlite3 refuses to bind a BigInt beyond int64, or a string/buffer beyond its limits.
    return `a value is out of range for the database: ${err.message}`;
  }
  const meta = (err as { meta?: { driverAdapterError?: { cause?: AdapterCause } } } | null)?.meta;
  const cause = meta?.driverAdapterError?.cause;
  if (!cause) return null;
  const code = cause.originalCode ?? cause.code;
  const detail = cause.originalMessage ?? cause.message ?? cause.cause ?? cause.kind ?? 'invalid value';
  const byKind = cause.kind !== undefined && DATA_KINDS.has(cause.kind);
  const byPostgresCode = cause.kind !== 'sqlite' && typeof code === 'string' && isPostgresDataCode(code);
  const bySqliteCode =
    cause.kind === 'sqlite' &&
    typeof cause.extendedCode === 'number' &&
    SQLITE_DATA_CODES.has(cause.extendedCode & 0xff);
  return byKind || byPostgresCode || bySqliteCode ? `a value cannot be stored: ${detail}` : null;
}
