/**
 * The OTLP exporter against a real OTLP/HTTP receiver: a node:http server on 127.0.0.1 that this test owns,
 * decoding what arrives as any OTLP receiver would (gunzip, JSON, the OTLP schema).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exportMetricsServiceRequestSchema, exportTraceServiceRequestSchema } from '@weft/schema';
import { edgePoint, spanRow } from '../../test/support/export-fixtures.ts';
import { freePort } from '../../test/support/ports.ts';
import { exportConfig, type OtlpExportConfig } from './otlp-export-config.ts';
import { createOtlpExporter, type OtlpExporter } from './otlp-exporter.ts';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** Answers each POST with the next scripted status (the last repeats); keeps what it answered 200 to. */
async function startReceiver(statuses: number[] = [200]) {
  const accepted: Received[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses[Math.min(requests, statuses.length - 1)] as number;
      requests++;
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      if (status === 200) {
        accepted.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw.toString('utf8')) });
      }
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(status === 503 ? { 'retry-after': '0' } : {}),
      });
      res.end(status === 200 ? '{}' : '{"code":14,"message":"unavailable"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and reads requests but never answers: a receiver that hangs. */
async function startHangingReceiver() {
  const server = http.createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function config(endpoint: string, overrides: Partial<OtlpExportConfig> = {}): OtlpExportConfig {
  return exportConfig(
    { endpoint, headers: { 'x-tenant': 'shop' }, timeoutMs: 10_000 },
    { scheduledDelayMs: 20, initialBackoffMs: 10, maxBackoffMs: 50, ...overrides },
  );
}

const spanIdsOf = (body: unknown) =>
  exportTraceServiceRequestSchema
    .parse(body)
    .resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.spanId)));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track(exporter: OtlpExporter): OtlpExporter {
  cleanups.push(() => exporter.close());
  return exporter;
}

describe('OTLP exporter → a real OTLP/HTTP receiver', () => {
  it('delivers every span and data point, gzipped and decodable, to /v1/traces and /v1/metrics', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const exporter = track(createOtlpExporter(config(receiver.url, { maxBatchItems: 100 }), () => {}));
    const rows = Array.from({ length: 250 }, (_, i) => spanRow(i));
    const points = Array.from({ length: 40 }, (_, i) => edgePoint(i));
    exporter.exportSpans(rows);
    exporter.exportEdgePoints(points);

    await vi.waitFor(() => expect(exporter.stats().traces.exported).toBe(250));
    await vi.waitFor(() => expect(exporter.stats().metrics.exported).toBe(40));
    const traces = receiver.accepted.filter((r) => r.path === '/v1/traces');
    const metrics = receiver.accepted.filter((r) => r.path === '/v1/metrics');
    for (const r of receiver.accepted) {
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-tenant']).toBe('shop');
    }
    expect(traces.flatMap((r) => spanIdsOf(r.body)).sort()).toEqual(rows.map((r) => r.spanId).sort());
    const dataPoints = metrics.flatMap((r) =>
      exportMetricsServiceRequestSchema
        .parse(r.body)
        .resourceMetrics.flatMap((rm) =>
          rm.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.histogram?.dataPoints ?? [])),
        ),
    );
    expect(dataPoints).toHaveLength(40);
    expect(dataPoints.reduce((n, p) => n + p.count, 0)).toBe(40 * 4);
    expect(exporter.stats().traces).toMatchObject({ dropped: 0, failed: 0, queued: 0 });
  });

  it('retries a batch answered 503 and the receiver gets it once', async () => {
    const receiver = await startReceiver([503, 200]);
    cleanups.push(receiver.close);
    const lines: string[] = [];
    const exporter = track(createOtlpExporter(config(receiver.url), (l) => lines.push(l)));
    const rows = Array.from({ length: 30 }, (_, i) => spanRow(i));
    exporter.exportSpans(rows);

    await vi.waitFor(() => expect(exporter.stats().traces.exported).toBe(30));
    expect(receiver.requests()).toBe(2);
    expect(receiver.accepted).toHaveLength(1);
    expect(spanIdsOf(receiver.accepted[0]?.body).sort()).toEqual(rows.map((r) => r.spanId).sort());
    expect(exporter.stats().traces).toMatchObject({ retries: 1, failed: 0, dropped: 0 });
  });

  it('keeps its queue bounded while the receiver is unreachable, and counts what it could not send', async () => {
    const port = await freePort(); // nothing listens there: connections are refused
    const lines: string[] = [];
    const exporter = track(
      createOtlpExporter(
        config(`http://127.0.0.1:${port}`, { maxQueueItems: 500, maxBatchItems: 100, maxAttempts: 3 }),
        (l) => lines.push(l),
      ),
    );
    let offered = 0;
    for (let round = 0; round < 20; round++) {
      exporter.exportSpans(Array.from({ length: 100 }, (_, i) => spanRow(round * 100 + i)));
      offered += 100;
      expect(exporter.stats().traces.queued).toBeLessThanOrEqual(500);
    }
    const s = exporter.stats().traces;
    expect(s.dropped).toBeGreaterThanOrEqual(offered - 500);
    await vi.waitFor(() => expect(exporter.stats().traces.failed).toBeGreaterThan(0));
    expect(exporter.stats().traces.lastError).toMatch(/ECONNREFUSED/);
    expect(lines.some((l) => l.includes('queue full'))).toBe(true);
    expect(lines.some((l) => l.includes('not delivered') && l.includes('ECONNREFUSED'))).toBe(true);
    await exporter.close();
    await vi.waitFor(() => {
      const t = exporter.stats().traces;
      expect(t.exported + t.failed + t.dropped).toBe(offered);
    });
    expect(exporter.stats().traces.queued).toBe(0);
  });

  it('close() returns by its deadline when the receiver never answers', async () => {
    const receiver = await startHangingReceiver();
    cleanups.push(receiver.close);
    const exporter = createOtlpExporter(
      config(receiver.url, { timeoutMs: 120_000, closeTimeoutMs: 200, maxBatchItems: 10 }),
      () => {},
    );
    exporter.exportSpans(Array.from({ length: 35 }, (_, i) => spanRow(i)));
    exporter.exportEdgePoints([edgePoint(0)]);
    await vi.waitFor(() => expect(exporter.stats().traces.queued).toBe(35));
    // Without the deadline this would wait for the 120 s request timeout (and then retry).
    await exporter.close();
    await vi.waitFor(() =>
      expect(exporter.stats().traces).toMatchObject({ dropped: 35, queued: 0, exported: 0 }),
    );
    expect(exporter.stats().metrics).toMatchObject({ dropped: 1, queued: 0 });
  });
});
