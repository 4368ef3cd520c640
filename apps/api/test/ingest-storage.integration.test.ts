/**
 * The storage half of ingest against real SQLite and PostgreSQL databases: batches far larger than one
 * statement's parameters are written in one transaction, and a value the database refuses becomes a 400-type
 * InvalidInputError with nothing of the batch stored (a retry could never succeed), not a 500.
 */
import { LATENCY_BUCKET_COUNT, ROLLUP_RESOLUTIONS } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../src/db/client.ts';
import type { EdgePoint } from '../src/ingest/edge-point.ts';
import { storeEdgePoints } from '../src/ingest/rollup-store.ts';
import { storeSpans, type SpanRow } from '../src/ingest/traces.ts';
import { InvalidInputError } from '../src/ingest/validation.ts';
import { sqliteDatabase, type TestDatabase } from './support/databases.ts';
import { startPostgres } from './support/postgres.ts';

interface Backend {
  name: string;
  start: () => Promise<TestDatabase>;
  /** A row this database cannot hold although its type allows it. */
  unstorable: (row: EdgePoint) => EdgePoint;
  refusal: RegExp;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    start: sqliteDatabase,
    // SQLite integers are 64-bit: a window start beyond that cannot be bound.
    unstorable: (row) => ({ ...row, windowStartMs: 2 ** 70 }),
    refusal: /^a value is out of range for the database: /,
  },
  {
    name: 'PostgreSQL',
    start: startPostgres,
    // Timestamps are BIGINT: a window start beyond int64 cannot be stored.
    unstorable: (row) => ({ ...row, windowStartMs: 2 ** 70 }),
    refusal: /^a value (cannot be stored|is out of range for the database): /,
  },
];

function rollup(i: number, proxyId = 'storage-1'): EdgePoint {
  const buckets = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  buckets[3] = 2;
  return {
    identity: `${proxyId}/${i}`,
    windowStartMs: 1_764_000_000_000 + i * 5000,
    windowEndMs: 1_764_000_005_000 + i * 5000,
    reporter: 'inbound',
    sourceService: 'web',
    sourceNamespace: 'shop',
    sourceVersion: 'v1',
    destService: 'api',
    destNamespace: 'shop',
    destVersion: 'v1',
    statusCode: 200,
    grpcStatus: -1,
    count: 2,
    sumMs: 5,
    maxMs: 2.5,
    buckets,
  };
}

/** Requests counted in one resolution's rollups of the test's service. */
async function counted(db: OpenDatabase['db'], resolutionMs: number): Promise<number> {
  const sum = await db.seriesRollup.aggregate({ _sum: { count: true }, where: { resolutionMs } });
  return Number(sum._sum.count ?? 0);
}

function spanRow(i: number): SpanRow {
  return {
    traceId: `${'d'.repeat(24)}${i.toString(16).padStart(8, '0')}`,
    spanId: (i + 1).toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: 'GET /',
    kind: 2,
    service: 'api',
    namespace: 'shop',
    version: 'v1',
    startUs: 1_764_000_000_000_000n + BigInt(i),
    durationUs: 10n,
    statusCode: 0,
    statusMessage: null,
    httpStatus: 200,
    attributes: '{}',
    traceState: '',
    flags: 1,
    events: '[]',
    links: '[]',
    resource: '{}',
    scope: '{}',
  };
}

describe.each(backends)('ingest storage on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let opened: OpenDatabase;

  beforeAll(async () => {
    database = await backend.start();
    opened = await openDatabase(database.url);
  });

  afterAll(async () => {
    await opened?.close();
    await database?.stop();
  });

  it('writes 10,000 data points and 10,000 spans, each in one call, and counts repeats once', async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => rollup(i, 'many-1'));
    expect(await storeEdgePoints(opened.db, rows)).toEqual({ stored: 10_000, duplicates: 0 });
    expect(await storeEdgePoints(opened.db, [...rows.slice(0, 10), rollup(10_000, 'many-1')])).toEqual({
      stored: 1,
      duplicates: 10,
    });
    // Every resolution holds every request, once: 10,001 points of 2 requests.
    for (const r of ROLLUP_RESOLUTIONS) expect(await counted(opened.db, r.ms)).toBe(20_002);
    // One row per bucket, not per point: 10,001 five-second windows make 5,001 ten-second buckets.
    expect(await opened.db.seriesRollup.count({ where: { resolutionMs: 10_000 } })).toBe(5_001);

    const spans = Array.from({ length: 10_000 }, (_, i) => spanRow(i));
    expect(await storeSpans(opened.db, spans)).toEqual({ accepted: 10_000, duplicates: 0 });
    expect(await storeSpans(opened.db, spans)).toEqual({ accepted: 0, duplicates: 10_000 });
    expect(await opened.db.span.count()).toBe(10_000);
  });

  it('turns a value the database refuses into an InvalidInputError and stores none of the batch', async () => {
    // The bad row is in the last statement: the statements before it must be rolled back.
    const before = await counted(opened.db, 60_000);
    const rows = Array.from({ length: 3000 }, (_, i) => rollup(20_000 + i, 'refused-1'));
    rows.push(backend.unstorable(rollup(rows.length, 'refused-1')));
    const error = await storeEdgePoints(opened.db, rows).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toBe('the database refused this metrics batch');
    expect((error as InvalidInputError).issues).toEqual([
      { path: '(batch)', message: expect.stringMatching(backend.refusal) as unknown },
    ]);
    expect(await counted(opened.db, 60_000)).toBe(before);
    expect(await opened.db.rollupReceipt.count()).toBe(10_001);

    // The database is fine afterwards: the same batch without the bad row is stored.
    expect(await storeEdgePoints(opened.db, rows.slice(0, -1))).toEqual({
      stored: rows.length - 1,
      duplicates: 0,
    });
  });
});
