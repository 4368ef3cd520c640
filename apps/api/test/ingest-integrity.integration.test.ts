/**
 * Ingest integrity through the real API on SQLite and PostgreSQL: every data point of a metrics window is
 * stored exactly once however the batches are split, retried or sized, and numbers the database could not
 * hold are refused with the field's path (400, never 500) with nothing stored.
 */
import { IngestLimits, type TopologyGraph, type TraceSummary } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../src/app.ts';
import { bearer, createToken, signIn, testApiOptions, trpcQuery, type Session } from './support/auth.ts';
import { BACKENDS } from './support/databases.ts';
import { metricsRequest, span, tracesRequest, type HistogramPointSpec, type Span } from './support/otlp.ts';

const WINDOW_MS = 5000;
/** The start of the first flush window: an hour and a half ago, so 1,000 windows of 5 s end before now. */
const firstWindowMs = Date.now() - 90 * 60_000;
const queryWindow = { lastMs: 24 * 3600 * 1000 };

interface Point {
  namespace: string;
  status?: number;
  count: number;
  window?: number;
  source?: string;
}

/** One delta histogram data point for inbound traffic to `ingest/<namespace>`'s service "api". */
function dataPoint(p: Point): HistogramPointSpec {
  const startMs = firstWindowMs + (p.window ?? 0) * WINDOW_MS;
  return {
    source: { service: p.source ?? 'web', namespace: p.namespace },
    destination: { service: 'api', namespace: p.namespace },
    status: p.status ?? 200,
    count: p.count,
    sum: p.count * 2,
    buckets: { 4: p.count },
    startMs,
    endMs: startMs + WINDOW_MS,
  };
}

/** Counts sent as decimal strings, as the proxy sends them. */
function apiMetrics(points: HistogramPointSpec[], proxyId = 'api-1') {
  return metricsRequest({ resource: { service: 'api', instance: proxyId }, points, encoding: 'string' });
}

function apiSpan(spanId: string, startMs: number, traceId = 'aaaabbbbccccddddeeeeffff00001111') {
  return span({ traceId, spanId, startMs, endMs: startMs + 2 });
}

function apiTraces(namespace: string, spans: Span[]) {
  return tracesRequest({ service: 'api', namespace, spans });
}

interface IngestAnswer {
  error?: string;
  partialSuccess?: { rejectedSpans?: string; rejectedDataPoints?: string; errorMessage?: string };
  issues?: { path: string; message: string }[];
  stored?: number;
  accepted?: number;
  duplicates?: number;
}

describe.each(BACKENDS)('ingest integrity on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let api: RunningApi;
  let admin: Session;
  let token: string;

  async function post(pathname: string, body: unknown): Promise<{ status: number; body: IngestAnswer }> {
    const res = await fetch(`${api.url}${pathname}`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as IngestAnswer };
  }

  /** What the console shows for ingest/<namespace>'s "api": requests and errors it received. */
  async function received(namespace: string): Promise<{ requests: number; errors: number }> {
    const graph = await trpcQuery<TopologyGraph>(api.url, admin, 'topology.graph', { window: queryWindow });
    const node = graph.nodes.find((n) => n.id === `${namespace}/api`);
    return { requests: node?.traffic.requests ?? 0, errors: node?.traffic.errors ?? 0 };
  }

  async function traces(namespace: string): Promise<TraceSummary[]> {
    return trpcQuery<TraceSummary[]>(api.url, admin, 'traces.search', {
      window: queryWindow,
      namespace,
      limit: 500,
    });
  }

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url), () => undefined);
    admin = await signIn(api.url);
    token = await createToken(api.url, admin, { kind: 'ingest', name: 'integrity' });
  });

  afterAll(async () => {
    await api?.close();
    await database?.stop();
  });

  it('stores a flush window split over two export requests whole', async () => {
    const first = await post(
      '/v1/metrics',
      apiMetrics([
        dataPoint({ namespace: 'split', count: 40 }),
        dataPoint({ namespace: 'split', status: 503, count: 2 }),
      ]),
    );
    expect(first).toEqual({
      status: 200,
      body: expect.objectContaining({ stored: 2, duplicates: 0 }) as unknown,
    });
    // The same proxy and window, the other edges: the rest of what the proxy saw in that window.
    const second = await post(
      '/v1/metrics',
      apiMetrics([
        dataPoint({ namespace: 'split', status: 500, count: 3 }),
        dataPoint({ namespace: 'split', source: 'mobile', count: 15 }),
      ]),
    );
    expect(second).toEqual({
      status: 200,
      body: expect.objectContaining({ stored: 2, duplicates: 0 }) as unknown,
    });
    expect(await received('split')).toEqual({ requests: 60, errors: 5 });
  });

  it('stores a retried batch once, and a data point repeated within one batch once', async () => {
    const batch = apiMetrics([
      dataPoint({ namespace: 'retry', count: 7 }),
      dataPoint({ namespace: 'retry', count: 4, window: 1 }),
      dataPoint({ namespace: 'retry', count: 7 }),
    ]);
    expect((await post('/v1/metrics', batch)).body).toMatchObject({ stored: 2, duplicates: 1 });
    expect((await post('/v1/metrics', batch)).body).toMatchObject({ stored: 0, duplicates: 3 });
    expect(await received('retry')).toEqual({ requests: 11, errors: 0 });
  });

  it('stores a batch of 1,000 windows from one proxy, and reads them all back', async () => {
    // Six status codes per window: 6,000 rows, more than one page of the query side's reads.
    const statuses = [200, 201, 204, 404, 500, 503];
    const points = Array.from({ length: 1000 }, (_, i) =>
      statuses.map((status) => dataPoint({ namespace: 'big', status, count: 3, window: i })),
    ).flat();
    const res = await post('/v1/metrics', apiMetrics(points, 'big-1'));
    expect(res).toEqual({
      status: 200,
      body: expect.objectContaining({ stored: 6000, duplicates: 0 }) as unknown,
    });
    expect(await received('big')).toEqual({ requests: 18_000, errors: 6000 });
    // Retried after a lost answer: nothing more is stored.
    expect((await post('/v1/metrics', apiMetrics(points, 'big-1'))).body).toMatchObject({
      stored: 0,
      duplicates: 6000,
    });
    expect(await received('big')).toEqual({ requests: 18_000, errors: 6000 });
  });

  it('stores a batch of 3,000 spans in one request, and a retry of it once', async () => {
    const start = firstWindowMs;
    const spans = Array.from({ length: 3000 }, (_, i) =>
      apiSpan(
        (i + 1).toString(16).padStart(16, '0'),
        start + i,
        `${'b'.repeat(28)}${(i % 1000).toString(16).padStart(4, '0')}`,
      ),
    );
    expect((await post('/v1/traces', apiTraces('spans', spans))).body).toMatchObject({
      accepted: 3000,
      duplicates: 0,
    });
    expect((await post('/v1/traces', apiTraces('spans', spans))).body).toMatchObject({
      accepted: 0,
      duplicates: 3000,
    });
    const found = await traces('spans');
    expect(found).toHaveLength(500);
    expect(found.every((t) => t.spanCount === 3)).toBe(true);
  });

  it('refuses a span timestamp beyond int64 with the field path, and stores the rest of the batch', async () => {
    const good = apiSpan('1111111111111111', firstWindowMs, 'cccccccccccccccccccccccccccc0001');
    const bad = { ...apiSpan('2222222222222222', firstWindowMs), endTimeUnixNano: '9223372036854775808' };
    const res = await post('/v1/traces', apiTraces('range', [good, bad]));
    // OTLP partial success: only the bad span is refused, with its field and the limit.
    expect(res).toEqual({
      status: 200,
      body: {
        partialSuccess: {
          rejectedSpans: '1',
          errorMessage: `1 span refused: resourceSpans.0.scopeSpans.0.spans.1.endTimeUnixNano: a timestamp in unix nanoseconds must be at most ${IngestLimits.maxUnixNano}`,
        },
        accepted: 1,
        duplicates: 0,
      },
    });
    expect(await traces('range')).toEqual([
      expect.objectContaining({ traceId: 'cccccccccccccccccccccccccccc0001', spanCount: 1 }),
    ]);
    // Alone, the bad span is refused with 400 and nothing is stored.
    const alone = await post('/v1/traces', apiTraces('range', [bad]));
    expect(alone.status).toBe(400);
    expect(alone.body.issues).toEqual([
      {
        path: 'resourceSpans.0.scopeSpans.0.spans.0.endTimeUnixNano',
        message: `a timestamp in unix nanoseconds must be at most ${IngestLimits.maxUnixNano}`,
      },
    ]);
    // The largest timestamp that fits is stored, and the trace it ends is shown.
    const edge = {
      ...apiSpan('3333333333333333', firstWindowMs),
      endTimeUnixNano: String(IngestLimits.maxUnixNano),
    };
    expect((await post('/v1/traces', apiTraces('range', [edge]))).body).toMatchObject({ accepted: 1 });
    expect(await traces('range')).toContainEqual(
      expect.objectContaining({
        spanCount: 1,
        rootService: 'range/api',
        traceId: 'aaaabbbbccccddddeeeeffff00001111',
      }),
    );
  });

  it('refuses histogram counts beyond the 32-bit column and non-finite sums with the field path', async () => {
    const tooMany = {
      ...dataPoint({ namespace: 'range', count: 1 }),
      count: IngestLimits.maxCount + 1,
      buckets: { 4: IngestLimits.maxCount + 1 },
    };
    // Alone, the point is refused with 400 and every reason; beside a good point, only it is refused.
    const res = await post('/v1/metrics', apiMetrics([tooMany]));
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([
      {
        path: 'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0.count',
        message: 'a histogram count must be at most 2147483647',
      },
      {
        path: 'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0.bucketCounts.4',
        message: 'a histogram count must be at most 2147483647',
      },
    ]);

    const infinite = `{"resourceMetrics":[{"resource":{"attributes":[]},"scopeMetrics":[{"metrics":[{"name":"weft.request.duration","unit":"ms","histogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":"1","timeUnixNano":"2","count":"0","sum":1e999,"bucketCounts":[],"explicitBounds":[]}]}}]}]}]}`;
    const raw = await fetch(`${api.url}/v1/metrics`, {
      method: 'POST',
      headers: bearer(token),
      body: infinite,
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as IngestAnswer).issues).toContainEqual({
      path: 'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0.sum',
      message: 'sum must be a finite number',
    });
    expect(await received('range')).toEqual({ requests: 0, errors: 0 });
    const partial = await post(
      '/v1/metrics',
      apiMetrics([dataPoint({ namespace: 'range', count: 1, window: 1 }), tooMany]),
    );
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ partialSuccess: { rejectedDataPoints: '1' }, stored: 1 });
    expect(await received('range')).toEqual({ requests: 1, errors: 0 });
  });

  it('refuses strings the database could not index or hold, naming the field and the limit', async () => {
    const point = {
      ...dataPoint({ namespace: 'strings', count: 1 }),
      source: { service: '界'.repeat(100), namespace: 'strings' }, // 300 bytes of UTF-8, attribute 1
    };
    const long = await post('/v1/metrics', apiMetrics([point]));
    expect(long).toMatchObject({
      status: 400,
      body: {
        issues: [
          {
            path: 'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0.attributes.1.value',
            message: '"weft.source.service" must be at most 253 bytes (UTF-8)',
          },
        ],
      },
    });
    const nul = await post(
      '/v1/traces',
      apiTraces('strings', [{ ...apiSpan('4444444444444444', firstWindowMs), name: 'GET /\u0000' }]),
    );
    expect(nul.status).toBe(400);
    expect(nul.body.issues).toEqual([
      {
        path: 'resourceSpans.0.scopeSpans.0.spans.0.name',
        message: 'a span name must not contain NUL (\\u0000) characters',
      },
    ]);
    expect(await received('strings')).toEqual({ requests: 0, errors: 0 });
    expect(await traces('strings')).toEqual([]);
  });
});
