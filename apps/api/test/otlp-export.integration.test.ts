/**
 * OTLP export end to end, on SQLite and PostgreSQL: what a sender gives the API's /v1/traces and /v1/metrics is
 * stored and forwarded to the configured OTLP endpoint (a receiver owned by this test), gzipped, once — a
 * retried export is not forwarded again — and /healthz shows the exporter's counters.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApi, type RunningApi } from '../src/app.ts';
import { bearer, createToken, signIn, testApiOptions } from './support/auth.ts';
import { BACKENDS, type TestDatabase } from './support/databases.ts';
import { span, tracesRequest } from './support/otlp.ts';

interface Received {
  path: string;
  body: { resourceSpans?: { scopeSpans: { spans: { spanId: string; name: string }[] }[] }[] };
}

describe.each(BACKENDS)('OTLP export on $name', (backend) => {
  let database: TestDatabase;
  let api: RunningApi;
  let receiver: http.Server;
  let token: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
        received.push({ path: req.url ?? '', body: JSON.parse(text) as Received['body'] });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    database = await backend.start();
    api = await startApi(
      await testApiOptions(database.url, {
        otlpExport: { endpoint, headers: { 'x-api-key': 'k' }, timeoutMs: 5000 },
      }),
      () => undefined,
    );
    const admin = await signIn(api.url);
    token = await createToken(api.url, admin, { kind: 'ingest', name: 'export-test' });
  });

  afterAll(async () => {
    await api?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await database?.stop();
  });

  const exportedSpanIds = () =>
    received
      .filter((r) => r.path === '/v1/traces')
      .flatMap((r) => r.body.resourceSpans ?? [])
      .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId)));

  it('forwards stored spans once, gzipped, and counts them on /healthz', async () => {
    const now = Date.now();
    const body = tracesRequest({
      service: 'inventory',
      namespace: 'shop',
      spans: [
        span({
          traceId: 'abcdefabcdefabcdefabcdefabcdef01',
          spanId: '1111111111111111',
          startMs: now,
          endMs: now + 4,
        }),
        span({
          traceId: 'abcdefabcdefabcdefabcdefabcdef01',
          spanId: '2222222222222222',
          startMs: now,
          endMs: now + 2,
        }),
      ],
    });
    const post = () =>
      fetch(`${api.url}/v1/traces`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post()).status).toBe(200);
    // The exporter batches for up to 2 s.
    await vi.waitFor(
      () => expect(exportedSpanIds().sort()).toEqual(['1111111111111111', '2222222222222222']),
      { timeout: 15_000, interval: 100 },
    );
    // The exporter's retry of the same batch to the API: stored once, forwarded once.
    expect((await post()).status).toBe(200);
    const health = (await (await fetch(`${api.url}/healthz`)).json()) as {
      otlpExport: { traces: { exported: number; dropped: number } };
    };
    expect(health.otlpExport.traces).toMatchObject({ exported: 2, dropped: 0 });
    expect(JSON.stringify(health)).not.toContain('lastError');
    expect(exportedSpanIds()).toHaveLength(2);
  });
});
