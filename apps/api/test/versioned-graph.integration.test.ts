/**
 * The canary's read side through the real API on SQLite and PostgreSQL, from stored rollups: per-version
 * signals (`signals.service` with a version), per-edge signals (`signals.edge`) and the versioned graph
 * (`topology.graph` with `granularity: 'version'`), where a 90/10 split of productpage's calls to reviews
 * shows as edges with shares 0.9 and 0.1. The service graph stays as it was.
 */
import type { EdgeSignals, GoldenSignals, TopologyGraph } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../src/app.ts';
import {
  bearer,
  createToken,
  signIn,
  testApiOptions,
  trpcCall,
  trpcQuery,
  type Session,
} from './support/auth.ts';
import { BACKENDS } from './support/databases.ts';
import { metricsRequest, type HistogramPointSpec } from './support/otlp.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const productpage = { service: 'productpage', namespace: 'shop', version: 'v1' };
const reviewsV1 = { service: 'reviews', namespace: 'shop', version: 'v1' };
const reviewsV2 = { service: 'reviews', namespace: 'shop', version: 'v2' };
const ratings = { service: 'ratings', namespace: 'shop', version: 'v1' };

/**
 * One minute of traffic starting at `at`: 100 calls from outside to productpage, which sends 90 to reviews
 * v1 and 10 to reviews v2 (2 of them answered 503); reviews v2 calls ratings 10 times, v1 never does.
 */
function traffic(at: number) {
  const w = { startMs: at, endMs: at + 5000 };
  const point = (p: Omit<HistogramPointSpec, 'startMs' | 'endMs' | 'buckets'>, bucket: number) => ({
    ...p,
    ...w,
    sum: p.count * 10,
    buckets: { [bucket]: p.count },
  });
  return [
    metricsRequest({
      resource: { service: 'productpage', instance: 'productpage-1' },
      points: [
        point({ destination: productpage, status: 200, count: 100 }, 3),
        point(
          { reporter: 'outbound', source: productpage, destination: reviewsV1, status: 200, count: 90 },
          3,
        ),
        point(
          { reporter: 'outbound', source: productpage, destination: reviewsV2, status: 200, count: 8 },
          6,
        ),
        point(
          { reporter: 'outbound', source: productpage, destination: reviewsV2, status: 503, count: 2 },
          6,
        ),
      ],
    }),
    metricsRequest({
      resource: { service: 'reviews', instance: 'reviews-v1-1' },
      points: [point({ source: productpage, destination: reviewsV1, status: 200, count: 90 }, 3)],
    }),
    metricsRequest({
      resource: { service: 'reviews', instance: 'reviews-v2-1' },
      points: [
        point({ source: productpage, destination: reviewsV2, status: 200, count: 8 }, 6),
        point({ source: productpage, destination: reviewsV2, status: 503, count: 2 }, 6),
        point({ reporter: 'outbound', source: reviewsV2, destination: ratings, status: 200, count: 10 }, 2),
      ],
    }),
    metricsRequest({
      resource: { service: 'ratings', instance: 'ratings-1' },
      points: [point({ source: reviewsV2, destination: ratings, status: 200, count: 10 }, 2)],
    }),
  ];
}

const sum = (points: { requests: number }[]) => points.reduce((n, p) => n + p.requests, 0);

describe.each(BACKENDS)('versioned graph and edge signals on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let api: RunningApi;
  let admin: Session;
  // Whole minutes, well inside the windows asked for below.
  const dataAtMs = Math.floor((Date.now() - 10 * MINUTE) / MINUTE) * MINUTE;
  const window = { fromMs: dataAtMs - 5 * MINUTE, toMs: dataAtMs + 5 * MINUTE };

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url), () => undefined);
    admin = await signIn(api.url);
    const token = await createToken(api.url, admin, { kind: 'ingest', name: 'canary' });
    for (const body of traffic(dataAtMs)) {
      const res = await fetch(`${api.url}/v1/metrics`, {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    }
  });

  afterAll(async () => {
    await api?.close();
    await database?.stop();
  });

  it('answers signals of one version of a service, and of the whole service without one', async () => {
    const of = (version?: string) =>
      trpcQuery<GoldenSignals>(api.url, admin, 'signals.service', {
        namespace: 'shop',
        service: 'reviews',
        ...(version ? { version } : {}),
        window,
        stepMs: MINUTE,
      });
    const [whole, v1, v2, v3] = await Promise.all([of(), of('v1'), of('v2'), of('v3')]);
    expect([sum(whole.points), sum(v1.points), sum(v2.points), sum(v3.points)]).toEqual([100, 90, 10, 0]);
    const v2Step = v2.points.find((p) => p.requests > 0);
    expect(v2Step).toMatchObject({ t: dataAtMs, requests: 10, errors: 2, successRate: 0.8, unavailable: 2 });
    expect(v1.points.find((p) => p.requests > 0)).toMatchObject({ requests: 90, errors: 0, successRate: 1 });
  });

  it('refuses a version that is not a version name', async () => {
    const answer = await trpcCall(
      api.url,
      admin,
      'signals.service',
      { namespace: 'shop', service: 'reviews', version: 'v 2!', window },
      'query',
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toContain('letters, digits');
  });

  it('answers the signals of an edge, to a service or one of its versions, as the caller saw them', async () => {
    const edge = (input: object) =>
      trpcQuery<EdgeSignals>(api.url, admin, 'signals.edge', { ...input, window, stepMs: MINUTE });
    const source = { namespace: 'shop', service: 'productpage' };
    const reviews = { namespace: 'shop', service: 'reviews' };
    const [toService, toV1, toV2, fromV1] = await Promise.all([
      edge({ source, destination: reviews }),
      edge({ source, destination: { ...reviews, version: 'v1' } }),
      edge({ source: { ...source, version: 'v1' }, destination: { ...reviews, version: 'v2' } }),
      edge({ source: { ...reviews, version: 'v1' }, destination: { namespace: 'shop', service: 'ratings' } }),
    ]);
    expect(toService.reporter).toBe('outbound');
    expect(toService.stepMs).toBe(MINUTE);
    expect(toService.points).toHaveLength(10);
    expect([toService.total.requests, toV1.total.requests, toV2.total.requests]).toEqual([100, 90, 10]);
    expect([sum(toService.points), sum(toV1.points), sum(toV2.points)]).toEqual([100, 90, 10]);
    expect(toV2.total).toMatchObject({ errors: 2, successRate: 0.8 });
    // Bucket 6 holds all of v2's calls, bucket 3 all of v1's: v2's percentiles are above v1's.
    expect(toV2.total.p50).toBeGreaterThan(toV1.total.p99 ?? Infinity);
    expect(toV2.points.find((p) => p.requests > 0)).toMatchObject({ t: dataAtMs, unavailable: 2 });
    // reviews v1 never calls ratings; v2 does.
    expect(fromV1.total.requests).toBe(0);
    const fromV2 = await edge({
      source: { ...reviews, version: 'v2' },
      destination: { namespace: 'shop', service: 'ratings' },
    });
    expect(fromV2.total.requests).toBe(10);
  });

  it('reads the edge from callers outside the mesh from the destination', async () => {
    const answer = await trpcQuery<EdgeSignals>(api.url, admin, 'signals.edge', {
      source: { namespace: '', service: 'unknown' },
      destination: { namespace: 'shop', service: 'productpage' },
      window,
    });
    expect(answer.reporter).toBe('inbound');
    expect(answer.total.requests).toBe(100);
  });

  it('refuses an edge series that would exceed the points per series', async () => {
    const answer = await trpcCall(
      api.url,
      admin,
      'signals.edge',
      {
        source: { namespace: 'shop', service: 'productpage' },
        destination: { namespace: 'shop', service: 'reviews' },
        window: { lastMs: 7 * 24 * HOUR },
        stepMs: MINUTE,
      },
      'query',
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toContain('QueryLimits.maxPointsPerSeries');
  });

  it('splits services with several versions into version nodes, with each edge’s share of the split', async () => {
    const graph = await trpcQuery<TopologyGraph>(api.url, admin, 'topology.graph', {
      window,
      granularity: 'version',
    });
    expect(graph.granularity).toBe('version');
    expect(graph.nodes.map((n) => [n.id, n.kind, n.parent ?? null, n.traffic.requests])).toEqual([
      ['shop/productpage', 'service', null, 100],
      ['shop/ratings', 'service', null, 10],
      ['shop/reviews', 'service', null, 100],
      ['shop/reviews@v1', 'version', 'shop/reviews', 90],
      ['shop/reviews@v2', 'version', 'shop/reviews', 10],
      ['unknown', 'unknown', null, 100],
    ]);
    const v2 = graph.nodes.find((n) => n.id === 'shop/reviews@v2');
    expect(v2).toMatchObject({ version: 'v2', versions: ['v2'], health: 'failing' });
    expect(graph.nodes.find((n) => n.id === 'shop/reviews@v1')?.health).toBe('healthy');
    expect(graph.edges.map((e) => [e.id, e.traffic.requests, e.share ?? null])).toEqual([
      ['shop/productpage->shop/reviews@v1', 90, 0.9],
      ['shop/productpage->shop/reviews@v2', 10, 0.1],
      ['shop/reviews@v2->shop/ratings', 10, null],
      ['unknown->shop/productpage', 100, null],
    ]);
  });

  it('keeps the service graph as it was', async () => {
    const graph = await trpcQuery<TopologyGraph>(api.url, admin, 'topology.graph', { window });
    expect(graph.nodes.map((n) => n.id)).toEqual([
      'shop/productpage',
      'shop/ratings',
      'shop/reviews',
      'unknown',
    ]);
    expect(graph.nodes.find((n) => n.id === 'shop/reviews')?.versions).toEqual(['v1', 'v2']);
    expect(graph.edges.map((e) => [e.id, e.traffic.requests, e.share ?? null])).toEqual([
      ['shop/productpage->shop/reviews', 100, null],
      ['shop/reviews->shop/ratings', 10, null],
      ['unknown->shop/productpage', 100, null],
    ]);
  });
});
