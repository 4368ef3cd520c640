/**
 * Bad input at the API's boundaries: every refusal is a 4xx that says what is wrong, and nothing of a
 * refused request is stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TopologyGraph, TraceSummary } from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApi, type RunningApi } from '../src/app.ts';
import { decodeStatus } from '../src/ingest/otlp-protobuf.ts';
import { ServiceRegistry } from '../src/registry/registry.ts';
import {
  bearer,
  createToken,
  signIn,
  testApiOptions,
  trpcQuery,
  workloadToken,
  type Session,
} from './support/auth.ts';
import { metricsRequest, span, tracesRequest, type Span } from './support/otlp.ts';

let api: RunningApi;
let dir: string;
let admin: Session;
/** An OTLP sender's token (any service). */
let ingestToken: string;
/** Workload tokens by "service.namespace", created on first use. */
const workloadTokens = new Map<string, string>();
const window = { lastMs: 24 * 3600 * 1000 };

const nowMs = Date.now();

/** A span of bad/edge's, 5 ms long, starting now. */
function edgeSpan(spanId: string, traceId = 'aaaabbbbccccddddeeeeffff00001111') {
  return span({ traceId, spanId, startMs: nowMs, endMs: nowMs + 5 });
}

function traces(spans: Span[]) {
  return tracesRequest({ service: 'edge', namespace: 'bad', spans });
}

/** 200s to bad/edge over the last 5 s: `count` requests, `bucketTotal` of them in bucket 2. */
function metrics(count: number, bucketTotal: number) {
  return metricsRequest({
    resource: { service: 'edge', instance: 'edge-1' },
    points: [
      {
        destination: { service: 'edge', namespace: 'bad' },
        status: 200,
        count,
        buckets: { 2: bucketTotal },
        startMs: nowMs - 5000,
        endMs: nowMs,
      },
    ],
  });
}

async function post(pathname: string, body: unknown, contentType = 'application/json', token = ingestToken) {
  const res = await fetch(`${api.url}${pathname}`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      error?: string;
      issues?: { path: string; message: string }[];
      stored?: number;
      duplicates?: number;
    },
  };
}

async function tokenFor(service: string, namespace: string): Promise<string> {
  const key = `${service}.${namespace}`;
  let token = workloadTokens.get(key);
  if (!token) {
    token = await workloadToken(api.url, admin, { namespace, service });
    workloadTokens.set(key, token);
  }
  return token;
}

/** A proxy call (registration, config, deregistration) with its workload's token. */
function asProxy(token: string, init: RequestInit & { headers?: Record<string, string> } = {}): RequestInit {
  return { ...init, headers: { ...bearer(token), ...init.headers } };
}

async function storedTraces(): Promise<TraceSummary[]> {
  return trpcQuery<TraceSummary[]>(api.url, admin, 'traces.search', { window, limit: 100 });
}

async function edgeRequests(): Promise<number> {
  const graph = await trpcQuery<TopologyGraph>(api.url, admin, 'topology.graph', { window });
  return graph.nodes.find((n) => n.id === 'bad/edge')?.traffic.requests ?? 0;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'weft-ingest-'));
  api = await startApi(
    await testApiOptions(`file:${path.join(dir, 'weft.db')}`, { maxBodyBytes: 64 * 1024 }),
    () => undefined,
  );
  admin = await signIn(api.url);
  ingestToken = await createToken(api.url, admin, { kind: 'ingest', name: 'ingest-test' });
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OTLP trace ingest', () => {
  it('refuses a batch whose every span is bad and stores none of it', async () => {
    const res = await post(
      '/v1/traces',
      traces([
        { ...edgeSpan('1111111111111111'), name: '' },
        { ...edgeSpan('2222222222222222'), traceId: 'nothex' },
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.body.issues).toContainEqual({
      path: 'resourceSpans.0.scopeSpans.0.spans.1.traceId',
      message: 'traceId must be 32 hex characters',
    });
    expect(await storedTraces()).toHaveLength(0);
  });

  it('says what is wrong with a body that is not JSON, not JSON-encoded, or too large', async () => {
    const notJson = await post('/v1/traces', '{"resourceSpans": [');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/not valid JSON/);

    // A protobuf body is answered in protobuf (google.rpc.Status).
    const protobuf = await fetch(`${api.url}/v1/traces`, {
      method: 'POST',
      headers: { ...bearer(ingestToken), 'content-type': 'application/x-protobuf' },
      body: 'x',
    });
    expect(protobuf.status).toBe(400);
    expect(decodeStatus(new Uint8Array(await protobuf.arrayBuffer())).message).toMatch(
      /not a valid protobuf ExportTraceServiceRequest/,
    );

    const text = await post('/v1/traces', 'x', 'text/plain');
    expect(text.status).toBe(415);
    expect(text.body.error).toMatch(/application\/x-protobuf or application\/json/);

    const huge = await post(
      '/v1/traces',
      traces(Array.from({ length: 600 }, (_, i) => edgeSpan(i.toString(16).padStart(16, '1')))),
    );
    expect(huge.status).toBe(413);
    expect(await storedTraces()).toHaveLength(0);
  });

  it('stores a good batch once even when the proxy retries it', async () => {
    const batch = traces([
      edgeSpan('3333333333333333'),
      { ...edgeSpan('4444444444444444'), parentSpanId: '3333333333333333' },
    ]);
    const first = await post('/v1/traces', batch);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 0 });
    const retry = await post('/v1/traces', batch);
    expect(retry.body).toMatchObject({ accepted: 0, duplicates: 2 });
    const stored = await storedTraces();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ spanCount: 2, rootService: 'bad/edge' });
  });
});

describe('OTLP metrics ingest', () => {
  it('refuses an inconsistent histogram with the field and stores nothing', async () => {
    const res = await post('/v1/metrics', metrics(7, 5));
    expect(res.status).toBe(400);
    expect(res.body.issues?.[0]?.path).toBe(
      'resourceMetrics.0.scopeMetrics.0.metrics.0.histogram.dataPoints.0.count',
    );
    expect(await edgeRequests()).toBe(0);
  });

  it('stores a consistent histogram once, even when retried', async () => {
    const first = await post('/v1/metrics', metrics(5, 5));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ stored: 1, duplicates: 0 });
    expect((await post('/v1/metrics', metrics(5, 5))).body).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await edgeRequests()).toBe(5);
  });

  it('refuses telemetry without a token and stores nothing', async () => {
    const res = await fetch(`${api.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metrics(9, 9)),
    });
    expect(res.status).toBe(401);
    expect(await edgeRequests()).toBe(5);
  });
});

describe('proxy registry', () => {
  it('names every invalid registration field', async () => {
    const res = await post(
      '/v1/proxies/register',
      {
        proxyId: 'p 1',
        service: 'Bad_Name',
        namespace: 'ok',
        inboundAddress: 'nowhere',
        adminAddress: '127.0.0.1:99999',
      },
      'application/json',
      await tokenFor('ok', 'ok'),
    );
    expect(res.status).toBe(400);
    const paths = res.body.issues?.map((i) => i.path).sort();
    expect(paths).toEqual(['adminAddress', 'inboundAddress', 'proxyId', 'service']);
  });

  it('answers a long-polling proxy as soon as another proxy registers', async () => {
    const register = async (proxyId: string, port: number) => {
      const service = proxyId.split('-')[0] as string;
      return post(
        '/v1/proxies/register',
        {
          proxyId,
          service,
          namespace: 'watch',
          inboundAddress: `127.0.0.1:${port}`,
          adminAddress: `127.0.0.1:${port + 1}`,
        },
        'application/json',
        await tokenFor(service, 'watch'),
      );
    };
    const firstToken = await tokenFor('first', 'watch');
    expect((await register('first-1', 21001)).status).toBe(200);
    const initial = await fetch(`${api.url}/v1/proxies/first-1/config`, asProxy(firstToken));
    const etag = initial.headers.get('etag') ?? '';
    await initial.arrayBuffer();

    // The API runs in this process: the server holding the poll is observable as a call to the registry.
    const polling = vi.spyOn(ServiceRegistry.prototype, 'waitForNewConfig');
    const started = Date.now();
    let answered = false;
    const held = fetch(
      `${api.url}/v1/proxies/first-1/config?wait=20`,
      asProxy(firstToken, { headers: { 'if-none-match': etag } }),
    ).finally(() => (answered = true));
    try {
      await vi.waitFor(
        () => expect(polling).toHaveBeenCalledWith(etag.slice(1, -1), 20_000, expect.anything()),
        {
          timeout: 5000,
        },
      );
    } finally {
      polling.mockRestore();
    }
    // Held: nothing changed yet, so the poll is not answered before the other proxy registers.
    expect(answered).toBe(false);
    expect((await register('second-1', 21011)).status).toBe(200);
    const res = await held;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(10_000);
    const config = (await res.json()) as { services: { name: string }[] };
    expect(config.services.map((s) => s.name)).toContain('second');

    const bad = await fetch(`${api.url}/v1/proxies/first-1/config?wait=600`, asProxy(firstToken));
    expect(bad.status).toBe(400);
  });

  it('serves config only to registered proxies, with an ETag that turns repeats into 304', async () => {
    const edgeToken = await tokenFor('edge', 'bad');
    expect((await fetch(`${api.url}/v1/proxies/ghost/config`, asProxy(edgeToken))).status).toBe(404);
    const reg = await post(
      '/v1/proxies/register',
      {
        proxyId: 'edge-1',
        service: 'edge',
        namespace: 'bad',
        inboundAddress: '127.0.0.1:20001',
        adminAddress: '127.0.0.1:20002',
      },
      'application/json',
      edgeToken,
    );
    expect(reg.status).toBe(200);
    const first = await fetch(`${api.url}/v1/proxies/edge-1/config`, asProxy(edgeToken));
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    const config = (await first.json()) as { services: { name: string; endpoints: { address: string }[] }[] };
    expect(config.services).toContainEqual(
      expect.objectContaining({
        name: 'edge',
        endpoints: [expect.objectContaining({ address: '127.0.0.1:20001' })],
      }),
    );
    const again = await fetch(
      `${api.url}/v1/proxies/edge-1/config`,
      asProxy(edgeToken, { headers: { 'if-none-match': etag ?? '' } }),
    );
    expect(again.status).toBe(304);
    expect(
      (await fetch(`${api.url}/v1/proxies/edge-1`, asProxy(edgeToken, { method: 'DELETE' }))).status,
    ).toBe(204);
    expect((await fetch(`${api.url}/v1/proxies/edge-1/config`, asProxy(edgeToken))).status).toBe(404);
  });
});
