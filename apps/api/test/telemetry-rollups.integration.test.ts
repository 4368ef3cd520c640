/**
 * Telemetry at mesh scale, the storage and query half, on SQLite and PostgreSQL: data points land in every
 * rollup resolution; the graph, the services list and detail, and signals read the rollups and agree with each
 * other at any window (5 min … 7 days), include the newest data, and report percentiles within one bucket of
 * the exact value and never above the largest latency observed; retention trims each resolution on its own.
 */
import {
  LATENCY_BOUNDS_MS,
  NO_GRPC_STATUS,
  ROLLUP_RESOLUTIONS,
  UNKNOWN_SERVICE,
  bucketIndex,
  defaultRetention,
  emptyBuckets,
} from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../src/db/client.ts';
import type { EdgePoint } from '../src/ingest/edge-point.ts';
import { applyRetention } from '../src/ingest/retention.ts';
import { storeEdgePoints } from '../src/ingest/rollup-store.ts';
import { planTotals } from '../src/queries/rollup-reader.ts';
import { listServices, serviceDetail } from '../src/queries/services.ts';
import { serviceSignals } from '../src/queries/signals.ts';
import { buildTopology } from '../src/queries/topology.ts';
import { BACKENDS, type TestDatabase } from './support/databases.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** "Now" for every query: a fixed instant, so windows and buckets are the same on every run. */
const NOW = Date.UTC(2026, 10, 20, 12, 0, 3);

/** A deterministic spread of latencies (ms) with a tail: what one proxy flush saw. */
function latencies(seed: number, n: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const u = x / 2147483648;
    // Mostly 5-60 ms, 3% between 400 and 650 ms.
    out.push(u < 0.97 ? 5 + (u / 0.97) * 55 : 400 + ((u - 0.97) / 0.03) * 250);
  }
  return out;
}

function point(
  at: number,
  values: number[],
  overrides: Partial<EdgePoint> = {},
  proxy = 'pricing-1',
): EdgePoint {
  const buckets = emptyBuckets();
  for (const v of values) buckets[bucketIndex(v)] = (buckets[bucketIndex(v)] ?? 0) + 1;
  const base = {
    windowStartMs: at,
    windowEndMs: at + 5000,
    reporter: 'inbound' as const,
    sourceNamespace: 'shop',
    sourceService: 'catalog',
    sourceVersion: 'v1',
    destNamespace: 'shop',
    destService: 'pricing',
    destVersion: 'v1',
    statusCode: 200,
    grpcStatus: NO_GRPC_STATUS,
    count: values.length,
    sumMs: values.reduce((a, b) => a + b, 0),
    maxMs: values.length > 0 ? Math.max(...values) : null,
    buckets,
    ...overrides,
  };
  return {
    ...base,
    identity: `${proxy}/${base.reporter}/${base.sourceService}/${base.destService}/${base.statusCode}/${at}`,
  };
}

/** The exact q-quantile of values (nearest rank). */
function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

describe.each(BACKENDS)('telemetry rollups on $name', (backend) => {
  let database: TestDatabase;
  let opened: OpenDatabase;
  /** Every latency pricing's inbound proxies saw in the last 5 minutes before NOW. */
  const recent: number[] = [];

  beforeAll(async () => {
    database = await backend.start();
    opened = await openDatabase(database.url);
    const points: EdgePoint[] = [];
    // The last 5 minutes, one flush every 5 s, up to the newest one (ending at NOW - 3 s).
    for (let at = NOW - 5 * MINUTE; at + 5000 <= NOW; at += 5000) {
      const values = latencies(at / 5000, 20);
      recent.push(...values);
      points.push(point(at, values));
      // The caller's view of the same calls, and a few failures.
      points.push(point(at, values, { reporter: 'outbound' }, 'catalog-1'));
      points.push(point(at, [30, 31], { statusCode: 503 }));
    }
    // Older traffic: every 10 minutes over the last week, 10 requests each.
    for (let at = NOW - 7 * DAY + MINUTE; at < NOW - 5 * MINUTE; at += 10 * MINUTE) {
      points.push(point(at, latencies(at / 1000, 10)));
    }
    // A caller from outside the mesh.
    points.push(point(NOW - 2 * MINUTE, [12, 14], { sourceService: UNKNOWN_SERVICE, sourceNamespace: '' }));
    const stored = await storeEdgePoints(opened.db, points, NOW);
    expect(stored).toEqual({ stored: points.length, duplicates: 0 });
  });

  afterAll(async () => {
    await opened?.close();
    await database?.stop();
  });

  it('reports p50/p95/p99 within one bucket of the exact values, never above the largest latency', async () => {
    const detail = await serviceDetail(
      opened.db,
      { namespace: 'shop', service: 'pricing' },
      { fromMs: NOW - 5 * MINUTE, toMs: NOW },
      NOW,
    );
    const observed = [...recent, ...Array.from({ length: recent.length / 10 }, () => 30.5)];
    const largest = Math.max(...recent);
    for (const [q, reported] of [
      [0.5, detail.traffic.p50],
      [0.95, detail.traffic.p95],
      [0.99, detail.traffic.p99],
    ] as const) {
      expect(reported).not.toBeNull();
      const truth = exact(observed, q);
      expect(Math.abs(bucketIndex(reported as number) - bucketIndex(truth))).toBeLessThanOrEqual(1);
      expect(reported as number).toBeLessThanOrEqual(largest);
    }
    // 3% of requests took 400-650 ms: the 99th percentile is in that tail, and never the bucket's 750 ms bound.
    expect(detail.traffic.p99).toBeGreaterThan(LATENCY_BOUNDS_MS[bucketIndex(400) - 1] as number);
    expect(detail.traffic.p99).toBeLessThanOrEqual(Math.ceil(largest * 100) / 100);
  });

  it('agrees on the numbers between the graph, the services list and the service detail', async () => {
    const window = { fromMs: NOW - 5 * MINUTE, toMs: NOW };
    const [graph, list, detail] = await Promise.all([
      buildTopology(opened.db, window, NOW),
      listServices(opened.db, window, NOW),
      serviceDetail(opened.db, { namespace: 'shop', service: 'pricing' }, window, NOW),
    ]);
    const node = graph.nodes.find((n) => n.id === 'shop/pricing');
    const row = list.find((s) => s.id === 'shop/pricing');
    expect(node?.traffic).toEqual(detail.traffic);
    expect(row?.traffic).toEqual(detail.traffic);
    // 60 flushes of 20 + 2 failed, and 2 from outside the mesh.
    expect(detail.traffic.requests).toBe(60 * 22 + 2);
    expect(detail.traffic.errors).toBe(60 * 2);
    const edge = graph.edges.find((e) => e.id === 'shop/catalog->shop/pricing');
    expect(edge?.traffic.requests).toBe(60 * 20);
    expect(detail.inbound.map((i) => i.from).sort()).toEqual(['shop/catalog', UNKNOWN_SERVICE]);
    expect(graph.nodes.some((n) => n.kind === 'unknown')).toBe(true);
  });

  it('shows traffic over 6 h, 24 h and 7 d, in the signals as in the totals, with the newest data', async () => {
    for (const span of [6 * HOUR, DAY, 7 * DAY]) {
      const window = { fromMs: NOW - span, toMs: NOW };
      const [signals, detail] = await Promise.all([
        serviceSignals(opened.db, { namespace: 'shop', service: 'pricing' }, window, undefined, NOW),
        serviceDetail(opened.db, { namespace: 'shop', service: 'pricing' }, window, NOW),
      ]);
      const charted = signals.points.reduce((sum, p) => sum + p.requests, 0);
      expect(charted).toBeGreaterThan(60 * 22);
      // The series covers whole steps from the aligned start; the totals the window's start on a bucket
      // boundary: they differ by at most the old traffic of one step or bucket at the window's start.
      expect(Math.abs(charted - detail.traffic.requests)).toBeLessThanOrEqual(
        2 * 10 * (signals.stepMs / (10 * MINUTE) + 1),
      );
      // The newest step holds the newest flush.
      const newest = signals.points.at(-1);
      expect(newest?.t).toBe(Math.floor((NOW - 8000) / signals.stepMs) * signals.stepMs);
      expect(newest?.requests).toBeGreaterThan(0);
      expect(signals.points.length).toBeGreaterThanOrEqual(80);
      expect(signals.points.length).toBeLessThanOrEqual(200);
    }
  });

  it('reads the coarsest resolution a window allows, and a finer one only while it is kept', async () => {
    const retention = defaultRetention();
    const plan5m = await planTotals(opened.db, { fromMs: NOW - 5 * MINUTE, toMs: NOW }, NOW);
    expect(plan5m.resolution.ms).toBe(10_000);
    const plan7d = await planTotals(opened.db, { fromMs: NOW - 7 * DAY, toMs: NOW }, NOW);
    // A week is beyond the 10 s resolution's retention.
    expect(plan7d.resolution.ms).toBeGreaterThan(10_000);
    expect(NOW - plan7d.window.fromMs).toBeLessThanOrEqual(retention[plan7d.resolution.name] as number);
  });

  it('deletes each resolution past its own retention, and only that', async () => {
    const before = await opened.db.seriesRollup.groupBy({
      by: ['resolutionMs'],
      _sum: { count: true },
      orderBy: { resolutionMs: 'asc' },
    });
    const total = (rows: typeof before, ms: number) =>
      Number(rows.find((r) => r.resolutionMs === ms)?._sum.count ?? 0);
    // Keep 10 s and 1 min rollups for one hour only; the others as by default.
    const settings = { ...defaultRetention(), '10s': HOUR, '1m': HOUR };
    const run = await applyRetention(opened.db, settings, NOW);
    expect(run.behind).toBe(false);
    const after = await opened.db.seriesRollup.groupBy({
      by: ['resolutionMs'],
      _sum: { count: true },
      orderBy: { resolutionMs: 'asc' },
    });
    for (const r of ROLLUP_RESOLUTIONS) {
      if (r.name === '10s' || r.name === '1m') {
        expect(total(after, r.ms)).toBeLessThan(total(before, r.ms));
        const oldest = await opened.db.seriesRollup.aggregate({
          _min: { bucketMs: true },
          where: { resolutionMs: r.ms },
        });
        expect(Number(oldest._min.bucketMs)).toBeGreaterThanOrEqual(NOW - HOUR - r.ms);
      } else {
        expect(total(after, r.ms)).toBe(total(before, r.ms));
      }
    }
    // The last 5 minutes are intact at every resolution.
    const signals = await serviceSignals(
      opened.db,
      { namespace: 'shop', service: 'pricing' },
      { fromMs: NOW - 5 * MINUTE, toMs: NOW },
      undefined,
      NOW,
    );
    expect(signals.points.reduce((sum, p) => sum + p.requests, 0)).toBe(60 * 22 + 2);
  });
});
