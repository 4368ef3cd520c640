/**
 * Query limits through the real API on SQLite and PostgreSQL: a query beyond a limit is answered 400 with a
 * message that names the limit, and a long window without an explicit step gets a coarser one instead.
 */
import { QueryLimits, type GoldenSignals, type TraceSummary } from '@weft/schema';
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
import { metricsRequest } from './support/otlp.ts';

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;

/** 12 requests to shop/catalog, seen by its inbound proxy in the 5 s window starting at `startMs`. */
function catalogTraffic(startMs: number) {
  return metricsRequest({
    resource: { service: 'catalog', instance: 'catalog-1' },
    points: [
      {
        destination: { service: 'catalog', namespace: 'shop' },
        status: 200,
        count: 12,
        sum: 60,
        buckets: { 3: 12 },
        startMs,
        endMs: startMs + 5000,
      },
    ],
  });
}

describe.each(BACKENDS)('query limits on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let api: RunningApi;
  let admin: Session;
  const dataAtMs = Date.now() - 10 * 60_000;

  /** A query that must be refused: its status, tRPC code and message. */
  async function refused(procedure: string, input: unknown) {
    const answer = await trpcCall(api.url, admin, procedure, input, 'query');
    return {
      status: answer.status,
      code: answer.body.error?.data?.code,
      message: answer.body.error?.message,
    };
  }

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url), () => undefined);
    admin = await signIn(api.url);
    const token = await createToken(api.url, admin, { kind: 'ingest', name: 'limits' });
    const res = await fetch(`${api.url}/v1/metrics`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify(catalogTraffic(dataAtMs)),
    });
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await api?.close();
    await database?.stop();
  });

  it('refuses a window that starts at the epoch, in every query, naming the window limit', async () => {
    const epoch = { fromMs: 0 };
    const ref = { namespace: 'shop', service: 'catalog' };
    for (const [procedure, input] of [
      ['topology.graph', { window: epoch }],
      ['services.list', { window: epoch }],
      ['services.detail', { ...ref, window: epoch }],
      ['signals.service', { ...ref, window: epoch }],
      ['traces.search', { window: epoch }],
    ] as const) {
      const answer = await refused(procedure, input);
      expect({ procedure, ...answer }).toEqual({
        procedure,
        status: 400,
        code: 'BAD_REQUEST',
        message: expect.stringContaining(
          'a query covers at most 90 days (QueryLimits.maxWindowMs = 7776000000 ms)',
        ) as unknown,
      });
    }
  });

  it('refuses lastMs beyond the window limit and answers at the limit', async () => {
    const over = await refused('services.list', { window: { lastMs: QueryLimits.maxWindowMs + 1 } });
    expect(over.status).toBe(400);
    expect(over.message).toContain('lastMs must be at most 7776000000');
    const services = await trpcQuery<{ id: string; traffic: { requests: number } }[]>(
      api.url,
      admin,
      'services.list',
      { window: { lastMs: QueryLimits.maxWindowMs } },
    );
    expect(services.map((s) => [s.id, s.traffic.requests])).toEqual([['shop/catalog', 12]]);
  });

  it('refuses a step that would exceed the points per series, saying the smallest step allowed', async () => {
    const answer = await refused('signals.service', {
      namespace: 'shop',
      service: 'catalog',
      window: { lastMs: 7 * DAY },
      stepMs: 60_000,
    });
    expect(answer).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
      message: expect.stringContaining(
        'stepMs 60000 would give 10080 points over a window of 7 days; a series has at most 720 points ' +
          '(QueryLimits.maxPointsPerSeries): use stepMs 840000 or more, or leave stepMs out',
      ) as unknown,
    });
  });

  it('picks a coarser step for a long window without one, and says which step it used', async () => {
    // A 90-day window ending on an 18-hour boundary after the data: the series stops at the newest step.
    const toMs = (Math.floor(Date.now() / (18 * HOUR)) + 1) * 18 * HOUR;
    /** Steps from the window's start up to the one holding now (the newest data). */
    const stepsUntilNow = (fromMs: number, stepMs: number, answeredAt: number) =>
      Math.floor(answeredAt / stepMs) - Math.floor(fromMs / stepMs) + 1;
    const signals = await trpcQuery<GoldenSignals>(api.url, admin, 'signals.service', {
      namespace: 'shop',
      service: 'catalog',
      window: { fromMs: toMs - QueryLimits.maxWindowMs, toMs },
    });
    // About 120 points (the default), far below the limit.
    expect(signals.stepMs).toBe(18 * HOUR);
    expect(signals.points).toHaveLength(
      stepsUntilNow(toMs - QueryLimits.maxWindowMs, signals.stepMs, signals.points.at(-1)?.t ?? 0),
    );
    expect(signals.points.length).toBeGreaterThanOrEqual(119);
    expect(signals.points.reduce((sum, p) => sum + p.requests, 0)).toBe(12);

    // The smallest step the limit allows for 90 days: exactly the most points a series may hold.
    const finest = await trpcQuery<GoldenSignals>(api.url, admin, 'signals.service', {
      namespace: 'shop',
      service: 'catalog',
      window: { fromMs: toMs - QueryLimits.maxWindowMs, toMs },
      stepMs: 3 * HOUR,
    });
    expect(finest.stepMs).toBe(3 * HOUR);
    expect(finest.points.length).toBeLessThanOrEqual(QueryLimits.maxPointsPerSeries);
    expect(finest.points.length).toBeGreaterThanOrEqual(QueryLimits.maxPointsPerSeries - 6);
    expect(finest.points.reduce((sum, p) => sum + p.requests, 0)).toBe(12);

    // A step the window allows is used as asked.
    const hourly = await trpcQuery<GoldenSignals>(api.url, admin, 'signals.service', {
      namespace: 'shop',
      service: 'catalog',
      window: { fromMs: toMs - 7 * DAY, toMs },
      stepMs: HOUR,
    });
    expect(hourly.stepMs).toBe(HOUR);
    expect(hourly.points.length).toBeLessThanOrEqual(7 * 24);
    expect(hourly.points.length).toBeGreaterThanOrEqual(7 * 24 - 18);
    expect(hourly.points.reduce((sum, p) => sum + p.requests, 0)).toBe(12);
  });

  it('refuses a trace search limit above the maximum and answers at it', async () => {
    const answer = await refused('traces.search', { limit: QueryLimits.maxTraceResults + 1 });
    expect(answer).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
      message: expect.stringContaining(
        'limit must be at most 500 traces (QueryLimits.maxTraceResults)',
      ) as unknown,
    });
    expect(
      await trpcQuery<TraceSummary[]>(api.url, admin, 'traces.search', {
        limit: QueryLimits.maxTraceResults,
      }),
    ).toEqual([]);
  });

  it('refuses too many namespaces and too long names in filters', async () => {
    const namespaces = Array.from({ length: QueryLimits.maxNamespacesFilter + 1 }, (_, i) => `ns-${i}`);
    const many = await refused('topology.graph', { namespaces });
    expect(many.status).toBe(400);
    expect(many.message).toContain(
      'namespaces may list at most 100 namespaces (QueryLimits.maxNamespacesFilter)',
    );

    const long = await refused('traces.search', { service: 's'.repeat(QueryLimits.maxNameLength + 1) });
    expect(long.status).toBe(400);
    expect(long.message).toContain('service must be at most 253 characters (QueryLimits.maxNameLength)');
  });

  it('refuses a tRPC batch larger than the batch limit, and answers one at the limit', async () => {
    const batch = async (size: number) => {
      const paths = Array.from({ length: size }, () => 'services.list').join(',');
      const input = Object.fromEntries(
        Array.from({ length: size }, (_, i) => [String(i), { window: { lastMs: HOUR } }]),
      );
      return fetch(`${api.url}/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`, {
        headers: { cookie: admin.cookie },
      });
    };
    const over = await batch(QueryLimits.maxBatchSize + 1);
    expect(over.status).toBe(400);
    expect(JSON.stringify(await over.json())).toMatch(/batch/i);
    const at = await batch(QueryLimits.maxBatchSize);
    expect(at.status).toBe(200);
    expect(((await at.json()) as unknown[]).length).toBe(QueryLimits.maxBatchSize);
  });
});
