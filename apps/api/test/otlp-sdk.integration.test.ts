/**
 * OTLP/HTTP ingest as standard senders use it: the official OpenTelemetry SDK exporters for Node (http/json and
 * http/protobuf, gzip on, default temporality) pointed at the real API on SQLite and PostgreSQL, and what a user
 * then sees through the console's queries (traces, services, graph, signals). Also the protocol's edges with
 * hand-made requests: protobuf + gzip, upper-case ids, empty requests, a batch with one bad span, google.rpc.Status
 * error bodies in both encodings, 415, a gzip bomb, cumulative → delta with a restart, overload (429) and an
 * unavailable database (503).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import { OTLPMetricExporter as MetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  WEFT_PROXY_SCOPE_NAME,
  type GoldenSignals,
  type ServiceDetail,
  type ServiceSummary,
  type TopologyGraph,
  type TraceDetail,
} from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApi, type RunningApi } from '../src/app.ts';
import { createAuthServices } from '../src/auth/services.ts';
import { openDatabase, type OpenDatabase } from '../src/db/client.ts';
import { createOtlpRoutes } from '../src/http/otlp-routes.ts';
import { decodeResponse, decodeStatus, encodeRequest, type OtlpSignal } from '../src/ingest/otlp-protobuf.ts';
import { WriteQueue } from '../src/ingest/write-queue.ts';
import {
  createToken,
  signIn,
  testApiOptions,
  trpcQuery,
  workloadToken,
  type Session,
} from './support/auth.ts';
import { BACKENDS } from './support/databases.ts';
import { startPostgres } from './support/postgres.ts';

const window = { lastMs: 3600_000 };
/** `http.server.request.duration`'s bucket advice in the HTTP semantic conventions (seconds). */
const HTTP_DURATION_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** ExportResultCode.SUCCESS of @opentelemetry/core. */
const EXPORT_SUCCESS = 0;

type TraceExporterConfig = NonNullable<ConstructorParameters<typeof TraceExporterJson>[0]>;
/** CompressionAlgorithm.GZIP of @opentelemetry/otlp-exporter-base. */
const GZIP = 'gzip' as NonNullable<TraceExporterConfig['compression']>;

const PROTOCOLS = ['http/json', 'http/protobuf'] as const;
type Protocol = (typeof PROTOCOLS)[number];

interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

async function postRaw(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const json = (a: Answer) => JSON.parse(a.bytes.toString('utf8')) as Record<string, unknown>;

function exportSpans(
  exporter: SpanExporter,
  spans: ReadableSpan[],
): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

function traceRequest(service: string, namespace: string, spans: unknown[], version = 'v1') {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: service } },
            { key: 'service.namespace', value: { stringValue: namespace } },
            { key: 'service.version', value: { stringValue: version } },
          ],
        },
        scopeSpans: [{ scope: { name: 'hand-made' }, spans }],
      },
    ],
  };
}

function rawSpan(traceId: string, spanId: string, overrides: Record<string, unknown> = {}) {
  const startNs = BigInt(Date.now() - 1000) * 1_000_000n;
  return {
    traceId,
    spanId,
    name: 'GET /thing',
    kind: 2,
    startTimeUnixNano: String(startNs),
    endTimeUnixNano: String(startNs + 12_000_000n),
    attributes: [{ key: 'http.response.status_code', value: { intValue: '200' } }],
    ...overrides,
  };
}

/** A cumulative http.server.request.duration point: `count` requests of 10 ms since `startMs`. */
function cumulativeRequest(namespace: string, startMs: number, endMs: number, count: number) {
  const bucketCounts = new Array<string>(HTTP_DURATION_SECONDS.length + 1).fill('0');
  bucketCounts[1] = String(count);
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'counter' } },
            { key: 'service.namespace', value: { stringValue: namespace } },
          ],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'http.server.request.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      attributes: [{ key: 'http.response.status_code', value: { intValue: '200' } }],
                      startTimeUnixNano: String(BigInt(startMs) * 1_000_000n),
                      timeUnixNano: String(BigInt(endMs) * 1_000_000n),
                      count: String(count),
                      sum: count * 0.01,
                      bucketCounts,
                      explicitBounds: HTTP_DURATION_SECONDS,
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe.each(BACKENDS)('OTLP/HTTP ingest from the OpenTelemetry SDK exporters on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let api: RunningApi;
  let admin: Session;
  let token: string;
  let apiStartedMs: number;

  const headers = (type: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    'content-type': type,
    ...extra,
  });

  async function service(namespace: string, name: string): Promise<ServiceSummary | undefined> {
    const list = await trpcQuery<ServiceSummary[]>(api.url, admin, 'services.list', { window });
    return list.find((s) => s.id === `${namespace}/${name}`);
  }

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url, { maxBodyBytes: 1024 * 1024 }), () => undefined);
    // After the API's start: cumulative series that start later are new to it.
    apiStartedMs = Date.now();
    admin = await signIn(api.url);
    token = await createToken(api.url, admin, { kind: 'ingest', name: 'otel-sdk' });
  });

  afterAll(async () => {
    await api?.close();
    await database?.stop();
  });

  it.each(PROTOCOLS)(
    '%s: SDK spans show in the trace with events, links and resource; the service in services, graph and signals',
    async (protocol: Protocol) => {
      const namespace = protocol === 'http/json' ? 'sdk-json' : 'sdk-proto';
      const memory = new InMemorySpanExporter();
      const provider = (name: string) =>
        new BasicTracerProvider({
          // What NodeSDK sends: the SDK's default resource (telemetry.sdk.*) and the service's own.
          resource: defaultResource().merge(
            resourceFromAttributes({
              'service.name': name,
              'service.namespace': namespace,
              'service.version': '1.4.0',
              'host.name': `${name}-host`,
            }),
          ),
          spanProcessors: [new SimpleSpanProcessor(memory)],
        });
      const frontend = provider('frontend').getTracer('checkout-client', '2.0.0');
      const billing = provider('billing').getTracer('billing-http', '3.1.0');

      const other = billing.startSpan('nightly-batch');
      other.end();
      const link: Link = { context: other.spanContext(), attributes: { 'link.reason': 'batched' } };
      const now = Date.now();
      let traceId = '';
      for (const [i, status] of [200, 200, 500].entries()) {
        const start = now - 2000 + i * 100;
        const client = frontend.startSpan('POST /pay', {
          kind: SpanKind.CLIENT,
          startTime: start,
          attributes: { 'http.request.method': 'POST', 'http.response.status_code': status },
        });
        const server = billing.startSpan(
          'POST /pay',
          {
            kind: SpanKind.SERVER,
            startTime: start + 2,
            attributes: { 'http.request.method': 'POST', 'http.response.status_code': status },
            links: [link],
          },
          trace.setSpan(ROOT_CONTEXT, client),
        );
        server.addEvent('payment.authorized', { 'payment.amount': 42.5, tags: ['card', 'eu'] }, start + 10);
        if (status >= 500) server.setStatus({ code: SpanStatusCode.ERROR, message: 'card network down' });
        server.end(start + 40);
        if (status >= 500) client.setStatus({ code: SpanStatusCode.ERROR });
        client.end(start + 45);
        traceId = server.spanContext().traceId;
      }

      const config = {
        url: `${api.url}/v1/traces`,
        headers: { Authorization: `Bearer ${token}` },
        compression: GZIP,
      };
      const exporter =
        protocol === 'http/json' ? new TraceExporterJson(config) : new TraceExporterProto(config);
      const result = await exportSpans(exporter, memory.getFinishedSpans());
      expect(result.error).toBeUndefined();
      expect(result.code).toBe(EXPORT_SUCCESS);
      await exporter.shutdown();

      const detail = await trpcQuery<TraceDetail>(api.url, admin, 'traces.get', { traceId });
      const server = detail.spans.find((s) => s.kind === 'server');
      expect(server).toMatchObject({
        service: 'billing',
        namespace,
        status: 'error',
        statusMessage: 'card network down',
        events: [
          {
            name: 'payment.authorized',
            offsetUs: 8000,
            attributes: { 'payment.amount': '42.5', tags: '["card","eu"]' },
          },
        ],
        links: [
          {
            traceId: other.spanContext().traceId,
            spanId: other.spanContext().spanId,
            attributes: { 'link.reason': 'batched' },
            traceStored: true,
          },
        ],
        scope: { name: 'billing-http', version: '3.1.0' },
      });
      expect(server?.resource).toMatchObject({
        'service.name': 'billing',
        'host.name': 'billing-host',
        'telemetry.sdk.language': 'nodejs',
      });
      expect(server?.flags).toBe(1);

      // Three requests to billing, one failed; the edge from frontend drawn from its client spans.
      expect(await service(namespace, 'billing')).toMatchObject({ traffic: { requests: 3, errors: 1 } });
      const graph = await trpcQuery<TopologyGraph>(api.url, admin, 'topology.graph', { window });
      expect(graph.nodes.find((n) => n.id === `${namespace}/billing`)?.traffic).toMatchObject({
        requests: 3,
        errors: 1,
      });
      expect(
        graph.edges.find((e) => e.source === `${namespace}/frontend` && e.target === `${namespace}/billing`)
          ?.traffic,
      ).toMatchObject({ requests: 3, errors: 1 });
      const signals = await trpcQuery<GoldenSignals>(api.url, admin, 'signals.service', {
        namespace,
        service: 'billing',
        window,
      });
      const busy = signals.points.filter((p) => p.requests > 0);
      expect(busy.reduce((n, p) => n + p.requests, 0)).toBe(3);
      // 38 ms each: within the bucket (30, 50] ms, never above the largest latency seen.
      for (const p of busy) {
        expect(p.p50).toBeGreaterThan(30);
        expect(p.p50).toBeLessThanOrEqual(38);
      }

      // The same batch again (an exporter retrying): nothing counted twice.
      const again = protocol === 'http/json' ? new TraceExporterJson(config) : new TraceExporterProto(config);
      expect((await exportSpans(again, memory.getFinishedSpans())).code).toBe(EXPORT_SUCCESS);
      await again.shutdown();
      expect(await service(namespace, 'billing')).toMatchObject({ traffic: { requests: 3 } });
    },
  );

  it.each(PROTOCOLS)(
    '%s: cumulative http.server.request.duration (the SDK default) counts each request once across exports',
    async (protocol: Protocol) => {
      const namespace = protocol === 'http/json' ? 'metrics-json' : 'metrics-proto';
      const config = {
        url: `${api.url}/v1/metrics`,
        headers: { Authorization: `Bearer ${token}` },
        compression: GZIP,
      };
      const exporter =
        protocol === 'http/json' ? new MetricExporterJson(config) : new MetricExporterProto(config);
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
      const provider = new MeterProvider({
        resource: resourceFromAttributes({ 'service.name': 'ledger', 'service.namespace': namespace }),
        readers: [reader],
      });
      const duration = provider.getMeter('ledger-http').createHistogram('http.server.request.duration', {
        unit: 's',
        advice: { explicitBucketBoundaries: HTTP_DURATION_SECONDS },
      });
      const ok = { 'http.request.method': 'GET', 'http.route': '/balance', 'http.response.status_code': 200 };
      duration.record(0.004, ok);
      duration.record(0.02, ok);
      duration.record(0.3, { ...ok, 'http.response.status_code': 503 });
      await reader.forceFlush();
      expect(await service(namespace, 'ledger')).toMatchObject({ traffic: { requests: 3, errors: 1 } });

      duration.record(0.012, ok);
      duration.record(0.011, ok);
      await reader.forceFlush();
      await reader.forceFlush(); // nothing new since the last export
      expect(await service(namespace, 'ledger')).toMatchObject({ traffic: { requests: 5, errors: 1 } });
      const signals = await trpcQuery<GoldenSignals>(api.url, admin, 'signals.service', {
        namespace,
        service: 'ledger',
        window,
      });
      expect(signals.points.reduce((n, p) => n + p.requests, 0)).toBe(5);
      expect(signals.points.some((p) => p.p50 !== null && p.p50 > 0)).toBe(true);
      await provider.shutdown();
    },
  );

  it('converts hand-made cumulative points to deltas and detects a restart', async () => {
    const url = `${api.url}/v1/metrics`;
    const post = (body: unknown) => postRaw(url, JSON.stringify(body), headers('application/json'));
    // A series that started after the API did (times a few ms apart, all in the past).
    const started = apiStartedMs + 1;
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(started + 30));
    expect((await post(cumulativeRequest('restarts', started, started + 10, 4))).status).toBe(200);
    expect((await post(cumulativeRequest('restarts', started, started + 20, 10))).status).toBe(200);
    // The same point again (a retried export): not counted.
    expect((await post(cumulativeRequest('restarts', started, started + 20, 10))).status).toBe(200);
    expect(await service('restarts', 'counter')).toMatchObject({ traffic: { requests: 10 } });
    // The sender restarted: a new start time and a smaller count, all of it new.
    expect((await post(cumulativeRequest('restarts', started + 25, started + 30, 3))).status).toBe(200);
    expect(await service('restarts', 'counter')).toMatchObject({ traffic: { requests: 13 } });
  });

  it('a series that started before the API did: its first point is only the baseline', async () => {
    const url = `${api.url}/v1/metrics`;
    const post = (body: unknown) => postRaw(url, JSON.stringify(body), headers('application/json'));
    const before = apiStartedMs - 3_600_000;
    const now = Date.now();
    expect((await post(cumulativeRequest('old-series', before, now - 5000, 1000))).status).toBe(200);
    expect((await post(cumulativeRequest('old-series', before, now, 1004))).status).toBe(200);
    expect(await service('old-series', 'counter')).toMatchObject({ traffic: { requests: 4 } });
  });

  it('counts nothing twice: spans a Weft proxy reported, and services with a registered Weft proxy', async () => {
    const workload = await workloadToken(api.url, admin, { namespace: 'meshed', service: 'orders' });
    const registered = await postRaw(
      `${api.url}/v1/proxies/register`,
      JSON.stringify({
        proxyId: 'orders-1',
        service: 'orders',
        namespace: 'meshed',
        version: 'v1',
        inboundAddress: '127.0.0.1:15099',
        adminAddress: '127.0.0.1:9999',
      }),
      { authorization: `Bearer ${workload}`, 'content-type': 'application/json' },
    );
    expect(registered.status).toBe(200);
    const sdkSpans = traceRequest('orders', 'meshed', [rawSpan('9a'.repeat(16), '01'.repeat(8))]);
    expect(
      (await postRaw(`${api.url}/v1/traces`, JSON.stringify(sdkSpans), headers('application/json'))).status,
    ).toBe(200);
    const standard = cumulativeRequest('meshed', apiStartedMs + 1, Date.now(), 7);
    standard.resourceMetrics[0]!.resource.attributes[0] = {
      key: 'service.name',
      value: { stringValue: 'orders' },
    };
    expect(
      (await postRaw(`${api.url}/v1/metrics`, JSON.stringify(standard), headers('application/json'))).status,
    ).toBe(200);
    const proxySpans = traceRequest('catalog', 'unmeshed', [rawSpan('9b'.repeat(16), '01'.repeat(8))]);
    proxySpans.resourceSpans[0]!.scopeSpans[0]!.scope = { name: WEFT_PROXY_SCOPE_NAME };
    expect(
      (await postRaw(`${api.url}/v1/traces`, JSON.stringify(proxySpans), headers('application/json'))).status,
    ).toBe(200);

    // The spans are stored and shown; the requests are left to the proxies' own histograms.
    const orders = await trpcQuery<TraceDetail>(api.url, admin, 'traces.get', { traceId: '9a'.repeat(16) });
    expect(orders.spans).toHaveLength(1);
    expect(await service('meshed', 'orders')).toMatchObject({ instances: 1, traffic: { requests: 0 } });
    expect((await service('unmeshed', 'catalog'))?.traffic.requests ?? 0).toBe(0);
  });

  it('pairs a server span with its caller stored earlier, and draws the edge only for a token that may report for the caller', async () => {
    const post = (body: unknown, bearerToken = token) =>
      postRaw(`${api.url}/v1/traces`, JSON.stringify(body), {
        authorization: `Bearer ${bearerToken}`,
        'content-type': 'application/json',
      });
    const edge = async (from: string, to: string) => {
      const graph = await trpcQuery<TopologyGraph>(api.url, admin, 'topology.graph', { window });
      return (
        graph.edges.find((e) => e.source === `apart/${from}` && e.target === `apart/${to}`)?.traffic
          .requests ?? 0
      );
    };
    // Each service exports on its own: the caller's client spans first, the servers' spans later.
    const traceOf = (n: number) => `c${n}`.repeat(16);
    const clientOf = (n: number) => `0${n}`.repeat(8);
    const clients = [1, 2].map((n) => rawSpan(traceOf(n), clientOf(n), { kind: 3 }));
    expect((await post(traceRequest('web', 'apart', clients))).status).toBe(200);
    const server = (n: number) => rawSpan(traceOf(n), `5${n}`.repeat(8), { parentSpanId: clientOf(n) });
    // An ingest token for any service may report the caller's side too.
    expect((await post(traceRequest('api', 'apart', [server(1)]))).status).toBe(200);
    expect(await edge('web', 'api')).toBe(1);
    // A workload token of "admin" may not: its request counts as received from web, with no edge drawn for web.
    const adminToken = await workloadToken(api.url, admin, { namespace: 'apart', service: 'admin' });
    expect((await post(traceRequest('admin', 'apart', [server(2)]), adminToken)).status).toBe(200);
    expect(await service('apart', 'admin')).toMatchObject({ traffic: { requests: 1 } });
    expect(await edge('web', 'admin')).toBe(0);
    const detail = await trpcQuery<ServiceDetail>(api.url, admin, 'services.detail', {
      namespace: 'apart',
      service: 'api',
      window,
    });
    expect(detail.inbound).toEqual([expect.objectContaining({ from: 'apart/web' })]);
  });

  it('accepts protobuf + gzip, answering in protobuf', async () => {
    const traceId = 'b1'.repeat(16);
    const body = gzipSync(
      encodeRequest('traces', traceRequest('gzipped', 'raw', [rawSpan(traceId, 'c1'.repeat(8))])),
    );
    const answer = await postRaw(
      `${api.url}/v1/traces`,
      body,
      headers('application/x-protobuf', { 'content-encoding': 'gzip' }),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/x-protobuf');
    expect(decodeResponse('traces', answer.bytes)).toBeNull();
    const detail = await trpcQuery<TraceDetail>(api.url, admin, 'traces.get', { traceId });
    expect(detail.spans.map((s) => s.service)).toEqual(['gzipped']);
  });

  it('normalises upper-case hex ids in JSON', async () => {
    const traceId = 'ABCDEF'.repeat(5) + 'AB';
    const answer = await postRaw(
      `${api.url}/v1/traces`,
      JSON.stringify(
        traceRequest('upper', 'raw', [
          rawSpan(traceId, 'FEDCBA9876543210', { parentSpanId: 'AAAABBBBCCCCDDDD' }),
        ]),
      ),
      headers('application/json'),
    );
    expect(answer.status).toBe(200);
    const detail = await trpcQuery<TraceDetail>(api.url, admin, 'traces.get', {
      traceId: traceId.toLowerCase(),
    });
    expect(detail.spans[0]).toMatchObject({ spanId: 'fedcba9876543210', parentSpanId: 'aaaabbbbccccdddd' });
  });

  it.each([
    ['{}', 'application/json'],
    ['{"resourceSpans":[]}', 'application/json'],
    ['{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}', 'application/json'],
    ['', 'application/x-protobuf'],
  ])('answers an empty request %j (%s) with 200 and stores nothing', async (body, type) => {
    const answer = await postRaw(`${api.url}/v1/traces`, body, headers(type));
    expect(answer.status).toBe(200);
    if (type === 'application/json') expect(json(answer)).toEqual({ accepted: 0, duplicates: 0 });
    else expect(decodeResponse('traces', answer.bytes)).toBeNull();
  });

  it('stores the good spans of a batch with one bad span, and says which was refused (both encodings)', async () => {
    for (const [type, signal] of [
      ['application/json', 'json'],
      ['application/x-protobuf', 'protobuf'],
    ] as const) {
      const traceId = (signal === 'json' ? 'd1' : 'd2').repeat(16);
      const request = traceRequest('partial', signal, [
        rawSpan(traceId, '01'.repeat(8)),
        rawSpan(traceId, '02'.repeat(8), { name: '' }),
        rawSpan(traceId, '03'.repeat(8)),
      ]);
      const body = signal === 'json' ? JSON.stringify(request) : encodeRequest('traces', request);
      const answer = await postRaw(`${api.url}/v1/traces`, body, headers(type));
      expect(answer.status).toBe(200);
      const expected = 'resourceSpans.0.scopeSpans.0.spans.1.name: name must not be empty';
      if (signal === 'json') {
        expect(json(answer).partialSuccess).toEqual({
          rejectedSpans: '1',
          errorMessage: `1 span refused: ${expected}`,
        });
      } else {
        expect(decodeResponse('traces', answer.bytes)).toEqual({
          rejected: 1,
          errorMessage: `1 span refused: ${expected}`,
        });
      }
      const detail = await trpcQuery<TraceDetail>(api.url, admin, 'traces.get', { traceId });
      expect(detail.spans.map((s) => s.spanId).sort()).toEqual(['01'.repeat(8), '03'.repeat(8)]);
    }
  });

  it('answers a request whose every span is bad with 400 and a google.rpc.Status in its encoding', async () => {
    const request = traceRequest('bad', 'raw', [
      rawSpan('e1'.repeat(16), '01'.repeat(8), { endTimeUnixNano: '1' }),
    ]);
    const field = 'resourceSpans.0.scopeSpans.0.spans.0.endTimeUnixNano';
    const asJson = await postRaw(
      `${api.url}/v1/traces`,
      JSON.stringify(request),
      headers('application/json'),
    );
    expect(asJson.status).toBe(400);
    expect(json(asJson)).toMatchObject({
      code: 3,
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field, description: 'endTimeUnixNano must not be before startTimeUnixNano' }],
        },
      ],
    });
    const asProto = await postRaw(
      `${api.url}/v1/traces`,
      encodeRequest('traces', request),
      headers('application/x-protobuf'),
    );
    expect(asProto.status).toBe(400);
    expect(asProto.headers.get('content-type')).toBe('application/x-protobuf');
    expect(decodeStatus(asProto.bytes)).toMatchObject({
      code: 3,
      fieldViolations: [{ field, description: 'endTimeUnixNano must not be before startTimeUnixNano' }],
    });
    const garbage = await postRaw(
      `${api.url}/v1/metrics`,
      Buffer.from([0xff, 0xff, 0xff]),
      headers('application/x-protobuf'),
    );
    expect(garbage.status).toBe(400);
    expect(decodeStatus(garbage.bytes).message).toMatch(
      /^body is not a valid protobuf ExportMetricsServiceRequest/,
    );
  });

  it('refuses other content types with 415 and names the two it accepts', async () => {
    const answer = await postRaw(`${api.url}/v1/traces`, 'hello', headers('text/plain'));
    expect(answer.status).toBe(415);
    expect(json(answer)).toMatchObject({
      code: 3,
      message: 'Content-Type must be application/x-protobuf or application/json (got "text/plain")',
    });
  });

  it('refuses a gzip bomb with 413 naming the limit, and bad gzip with 400', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, ' '));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const answer = await postRaw(
      `${api.url}/v1/traces`,
      bomb,
      headers('application/json', { 'content-encoding': 'gzip' }),
    );
    expect(answer.status).toBe(413);
    expect(json(answer).message).toBe('decompressed body exceeds the 1048576-byte limit');
    const bad = await postRaw(
      `${api.url}/v1/traces`,
      'not gzip',
      headers('application/json', { 'content-encoding': 'gzip' }),
    );
    expect(bad.status).toBe(400);
    expect(json(bad).message).toMatch(/^body is not valid gzip/);
  });
});

/** The OTLP routes alone, on a real database with real tokens, with a write queue the test controls. */
async function startRoutes(opened: OpenDatabase, writeQueue: WriteQueue, db = opened.db) {
  const auth = createAuthServices(opened.db, { oidc: null, secureCookies: 'auto' });
  const { token } = await auth.tokens.create({ kind: 'ingest', name: `routes-${Date.now()}` }, 'test');
  const routes = createOtlpRoutes({ db, auth, writeQueue, maxBodyBytes: 1024 * 1024, log: () => undefined });
  const server = http.createServer((req, res) => {
    void routes(req, res, new URL(req.url ?? '/', 'http://localhost').pathname);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    post(signal: OtlpSignal, type: 'json' | 'protobuf', request: unknown) {
      const body = type === 'json' ? JSON.stringify(request) : encodeRequest(signal, request);
      return postRaw(`${url}/v1/${signal}`, body, {
        authorization: `Bearer ${token}`,
        'content-type': type === 'json' ? 'application/json' : 'application/x-protobuf',
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe.each(BACKENDS)('OTLP/HTTP ingest under overload on $name', (backend) => {
  it('answers 429 with Retry-After while the write queue is full, and stores the retry', async () => {
    const database = await backend.start();
    const opened = await openDatabase(database.url);
    const queue = new WriteQueue({ maxQueuedRows: 1, retryAfterSeconds: 3 });
    const routes = await startRoutes(opened, queue);
    try {
      let release = () => {};
      const busy = queue.run(1, () => new Promise<void>((resolve) => (release = resolve)));
      const request = traceRequest('busy', 'overload', [rawSpan('f1'.repeat(16), '01'.repeat(8))]);
      const asJson = await routes.post('traces', 'json', request);
      expect(asJson.status).toBe(429);
      expect(asJson.headers.get('retry-after')).toBe('3');
      expect(json(asJson)).toMatchObject({
        code: 8,
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }],
      });
      const asProto = await routes.post('traces', 'protobuf', request);
      expect(asProto.status).toBe(429);
      expect(decodeStatus(asProto.bytes)).toMatchObject({ code: 8, retryAfterSeconds: 3 });
      release();
      await busy;
      const retry = await routes.post('traces', 'json', request);
      expect(retry.status).toBe(200);
      expect(json(retry)).toEqual({ accepted: 1, duplicates: 0 });
    } finally {
      await routes.close();
      await opened.close();
      await database.stop();
    }
  });
});

describe('OTLP/HTTP ingest when PostgreSQL is down', () => {
  it('answers 503 with Retry-After (a sender retries later) instead of 500', async () => {
    const database = await startPostgres();
    const opened = await openDatabase(database.url);
    const routes = await startRoutes(opened, new WriteQueue());
    try {
      const request = (spanId: string) => traceRequest('outage', 'pg', [rawSpan('a7'.repeat(16), spanId)]);
      // The token is verified (and cached) while the database is up.
      expect((await routes.post('traces', 'json', request('01'.repeat(8)))).status).toBe(200);
      await database.stop();
      const answer = await routes.post('traces', 'protobuf', request('02'.repeat(8)));
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(decodeStatus(answer.bytes)).toMatchObject({ code: 14, retryAfterSeconds: 5 });
    } finally {
      await routes.close();
      await opened.close().catch(() => undefined);
    }
  });
});
