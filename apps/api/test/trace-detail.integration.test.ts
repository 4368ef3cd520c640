/**
 * `traces.get` on real SQLite and PostgreSQL databases: what OTLP carried beside the span (events, links, trace
 * state and flags, resource, scope) comes back for the waterfall, rows written before those columns existed
 * still read, and clock skew between hosts is corrected the way Jaeger does, with the recorded times kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../src/db/client.ts';
import { getTrace } from '../src/queries/traces.ts';
import { BACKENDS, type TestDatabase } from './support/databases.ts';

const T0 = 1_764_000_000_000_000n; // epoch µs
const TRACE = 'a1'.repeat(16);
const LINKED_STORED = 'b2'.repeat(16);
const LINKED_MISSING = 'c3'.repeat(16);

function row(fields: {
  traceId?: string;
  spanId: string;
  parentSpanId?: string | null;
  service: string;
  kind: number;
  startUs: bigint;
  durationUs: bigint;
  extra?: Partial<{
    traceState: string;
    flags: number;
    events: string;
    links: string;
    resource: string;
    scope: string;
  }>;
}) {
  return {
    traceId: fields.traceId ?? TRACE,
    spanId: fields.spanId,
    parentSpanId: fields.parentSpanId ?? null,
    name: `GET /${fields.spanId}`,
    kind: fields.kind,
    service: fields.service,
    namespace: 'shop',
    version: 'v1',
    startUs: fields.startUs,
    durationUs: fields.durationUs,
    statusCode: 0,
    statusMessage: null,
    httpStatus: 200,
    attributes: '{"http.request.method":"GET"}',
    ...fields.extra,
  };
}

describe.each(BACKENDS)('trace detail on $name', (backend) => {
  let database: TestDatabase;
  let open: OpenDatabase;

  beforeAll(async () => {
    database = await backend.start();
    open = await openDatabase(database.url);
    await open.db.span.createMany({
      data: [
        // The root, written the way rows were before the OTLP columns existed: every column at its default.
        row({ spanId: 'root000000000001', service: 'web', kind: 2, startUs: T0, durationUs: 10_000n }),
        row({
          spanId: 'client0000000001',
          parentSpanId: 'root000000000001',
          service: 'web',
          kind: 3,
          startUs: T0 + 1_000n,
          durationUs: 8_000n,
          extra: {
            traceState: 'weft=1,vendor=x',
            flags: 3,
            events: JSON.stringify([
              { name: 'retry', timeUs: String(T0 + 5_000n), attributes: { 'weft.retry.attempt': '2' } },
              { name: 'sent', timeUs: Number(T0 + 1_200n), attributes: {} },
            ]),
            links: JSON.stringify([
              {
                traceId: LINKED_STORED,
                spanId: 'd4'.repeat(8),
                traceState: '',
                attributes: { kind: 'batch' },
              },
              { traceId: LINKED_MISSING, spanId: 'e5'.repeat(8), traceState: '', attributes: {} },
            ]),
            resource: JSON.stringify({ 'service.name': 'web', 'service.instance.id': 'web-1' }),
            scope: JSON.stringify({ name: '@weft/proxy', version: '0.1.0', attributes: {} }),
          },
        }),
        // Recorded on another host whose clock is 20 ms behind: it seems to start before its client parent.
        row({
          spanId: 'server0000000001',
          parentSpanId: 'client0000000001',
          service: 'catalog',
          kind: 2,
          startUs: T0 - 19_000n,
          durationUs: 6_000n,
          extra: { resource: JSON.stringify({ 'service.instance.id': 'catalog-1' }) },
        }),
        // Same host as that server span: moves with it.
        row({
          spanId: 'db00000000000001',
          parentSpanId: 'server0000000001',
          service: 'catalog',
          kind: 1,
          startUs: T0 - 18_000n,
          durationUs: 2_000n,
          extra: { resource: JSON.stringify({ 'service.instance.id': 'catalog-1' }) },
        }),
        row({
          traceId: LINKED_STORED,
          spanId: 'd4'.repeat(8),
          service: 'batch',
          kind: 2,
          startUs: T0,
          durationUs: 1_000n,
        }),
      ],
    });
  });

  afterAll(async () => {
    await open?.close();
    await database?.stop();
  });

  it('returns events relative to the span start, links, trace state, flags, resource and scope', async () => {
    const trace = await getTrace(open.db, TRACE);
    const client = trace.spans.find((s) => s.spanId === 'client0000000001')!;
    expect(client.traceState).toBe('weft=1,vendor=x');
    expect(client.flags).toBe(3);
    expect(client.events).toEqual([
      { name: 'sent', offsetUs: 200, attributes: {} },
      { name: 'retry', offsetUs: 4_000, attributes: { 'weft.retry.attempt': '2' } },
    ]);
    expect(client.links).toEqual([
      {
        traceId: LINKED_STORED,
        spanId: 'd4'.repeat(8),
        traceState: '',
        attributes: { kind: 'batch' },
        traceStored: true,
      },
      { traceId: LINKED_MISSING, spanId: 'e5'.repeat(8), traceState: '', attributes: {}, traceStored: false },
    ]);
    expect(client.resource).toEqual({ 'service.name': 'web', 'service.instance.id': 'web-1' });
    expect(client.scope).toEqual({ name: '@weft/proxy', version: '0.1.0', attributes: {} });

    const root = trace.spans.find((s) => s.spanId === 'root000000000001')!;
    expect(root).toMatchObject({
      traceState: '',
      flags: 0,
      events: [],
      links: [],
      resource: {},
      scope: null,
    });
  });

  it('moves the skewed server span and its same-host child inside the client span, keeping recorded times', async () => {
    const trace = await getTrace(open.db, TRACE);
    const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
    const client = byId.get('client0000000001')!;
    const server = byId.get('server0000000001')!;
    const db = byId.get('db00000000000001')!;
    // Recorded: the server at T0-19ms. Client 1..9 ms after T0, gap 2 ms → the server is drawn from 2 ms.
    expect(server.offsetUs + server.skewAdjustmentUs).toBe(client.offsetUs + 1_000);
    expect(server.skewAdjustmentUs).toBe(21_000);
    expect(db.skewAdjustmentUs).toBe(21_000);
    expect(client.skewAdjustmentUs).toBe(0);
    // The recorded start is what the API answers in offsetUs/startMs; the trace starts at the earliest one.
    expect(server.offsetUs).toBe(0);
    expect(trace.clockSkew).toEqual({ adjustedSpans: 2, maxAdjustmentUs: 21_000, unadjustedSpans: 0 });
  });
});
