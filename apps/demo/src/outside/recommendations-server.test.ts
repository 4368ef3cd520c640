/**
 * The recommendations service with the real OpenTelemetry SDK, its exporters swapped for the SDK's in-memory
 * ones: what it records for a request is what the Weft API will receive over OTLP.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LATENCY_BOUNDS_MS } from '@weft/schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Behaviour } from '../shop/plan.ts';
import {
  durationAttributes,
  HTTP_SERVER_DURATION_BOUNDS_S,
  spanName,
  startRecommendations,
  type RunningRecommendations,
} from './recommendations-server.ts';
import {
  INSTRUMENTATION_SCOPE,
  otlpEnvironmentProblem,
  startSdkTelemetry,
  type SdkTelemetry,
} from './sdk-telemetry.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const QUIET: Behaviour = { failureRate: 0, failureStatus: 503, slowRate: 0, slowMs: [0, 0], workMs: [0, 0] };

let spans: InMemorySpanExporter;
let metrics: InMemoryMetricExporter;
let telemetry: SdkTelemetry;
let service: RunningRecommendations;
let failing: RunningRecommendations;

beforeAll(async () => {
  spans = new InMemorySpanExporter();
  metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  telemetry = startSdkTelemetry({
    identity: { namespace: 'shop', service: 'recommendations', version: 'v1' },
    instanceId: 'recommendations-test',
    spanProcessor: new SimpleSpanProcessor(spans),
    // Collected on forceFlush only: the test decides when.
    metricReader: new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 }),
  });
  service = await startRecommendations({
    listen: '127.0.0.1:0',
    telemetry,
    behaviour: QUIET,
    modelRefreshMs: 0,
  });
  failing = await startRecommendations({
    listen: '127.0.0.1:0',
    telemetry,
    behaviour: { ...QUIET, failureRate: 1 },
    modelRefreshMs: 0,
  });
});
afterAll(async () => {
  await service?.close();
  await failing?.close();
  await telemetry?.shutdown();
});
beforeEach(() => spans.reset());

async function get(address: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://${address}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const serverSpans = () => spans.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);

describe('recommendations with the OpenTelemetry SDK', () => {
  it("answers with recommendations and records a SERVER span in the caller's trace", async () => {
    const r = await get(service.address, '/recommendations/2', {
      traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01`,
      'user-agent': 'frontend/1',
    });
    expect(r.status).toBe(200);
    expect((r.body.items as unknown[]).length).toBeGreaterThan(0);
    const [span] = serverSpans();
    expect(span).toBeDefined();
    expect(span!.name).toBe('GET /recommendations/:id');
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    const [host, port] = service.address.split(':');
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/recommendations/:id',
      'http.response.status_code': 200,
      'url.path': '/recommendations/2',
      'url.scheme': 'http',
      'server.address': host,
      'server.port': Number(port),
      'user_agent.original': 'frontend/1',
    });
    expect(span!.instrumentationScope).toMatchObject(INSTRUMENTATION_SCOPE);
    expect(span!.resource.attributes).toMatchObject({
      'service.name': 'recommendations',
      'service.namespace': 'shop',
      'service.version': 'v1',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
    });
  });

  it('adds an event and a link to the model run when it ranks afresh, not when the ranking is cached', async () => {
    await get(service.address, '/recommendations/6');
    await get(service.address, '/recommendations/6');
    const [miss, hit] = serverSpans();
    expect(miss!.attributes['recommendations.cache_hit']).toBe(false);
    expect(miss!.events.map((e) => e.name)).toEqual(['recommendations.ranked']);
    expect(miss!.links).toHaveLength(1);
    // The model run is a trace of its own.
    expect(miss!.links[0]!.context.traceId).not.toBe(miss!.spanContext().traceId);
    expect(hit!.attributes['recommendations.cache_hit']).toBe(true);
    expect(hit!.events).toEqual([]);
    expect(hit!.links).toEqual([]);
  });

  it("honours the caller's sampling decision: an unsampled request records no span", async () => {
    const r = await get(service.address, '/recommendations/1', {
      traceparent: `00-${'b'.repeat(32)}-${PARENT_SPAN}-00`,
    });
    expect(r.status).toBe(200);
    expect(serverSpans()).toEqual([]);
  });

  it('marks failures: 503 with error status and error.type; unknown products are 404s', async () => {
    expect((await get(failing.address, '/recommendations/1')).status).toBe(503);
    expect((await get(service.address, '/recommendations/999')).status).toBe(404);
    expect((await get(service.address, '/nope')).status).toBe(404);
    const [failed, unknownProduct, noRoute] = serverSpans();
    expect(failed!.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(failed!.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
    expect(unknownProduct!.status.code).toBe(SpanStatusCode.UNSET);
    expect(unknownProduct!.attributes['http.response.status_code']).toBe(404);
    expect(noRoute!.name).toBe('GET');
    expect(noRoute!.attributes['http.route']).toBeUndefined();
  });

  it('neither traces nor measures /healthz', async () => {
    expect((await get(service.address, '/healthz')).status).toBe(200);
    expect(spans.getFinishedSpans()).toEqual([]);
  });

  it("measures every request in http.server.request.duration: seconds, the conventions' buckets, cumulative", async () => {
    metrics.reset();
    await telemetry.forceFlush();
    const metric = metrics
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics)
      .flatMap((sm) => sm.metrics)
      .find((m) => m.descriptor.name === 'http.server.request.duration') as HistogramMetricData | undefined;
    expect(metric).toBeDefined();
    expect(metric!.descriptor.unit).toBe('s');
    expect(metric!.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(metric!.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    const byStatus = new Map<unknown, number>();
    for (const p of metric!.dataPoints) {
      expect(p.value.buckets.boundaries).toEqual(HTTP_SERVER_DURATION_BOUNDS_S);
      const status = p.attributes['http.response.status_code'];
      byStatus.set(status, (byStatus.get(status) ?? 0) + p.value.count);
    }
    // Sampled or not, every request counts; /healthz does not.
    expect(Object.fromEntries(byStatus)).toEqual({ 200: 4, 404: 2, 503: 1 });
  });
});

describe('what the Weft API needs from it', () => {
  it('uses bucket bounds that are all Weft latency bounds (so none is refused or split)', () => {
    for (const s of HTTP_SERVER_DURATION_BOUNDS_S)
      expect(LATENCY_BOUNDS_MS).toContain(Math.round(s * 1000 * 1e6) / 1e6);
  });

  it('labels the histogram with low-cardinality attributes only', () => {
    expect(durationAttributes('GET', '/recommendations/:id', 503)).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.response.status_code': 503,
      'network.protocol.version': '1.1',
      'http.route': '/recommendations/:id',
      'error.type': '503',
    });
    expect(spanName('GET', undefined)).toBe('GET');
  });

  it('refuses to start without the OTLP endpoint and an ingest token', () => {
    expect(otlpEnvironmentProblem({})).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT is not set/);
    expect(otlpEnvironmentProblem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4000' })).toMatch(
      /is not an http\(s\) URL/,
    );
    expect(otlpEnvironmentProblem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4000' })).toMatch(
      /OTEL_EXPORTER_OTLP_HEADERS has no/,
    );
    expect(
      otlpEnvironmentProblem({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4000',
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20weft_x',
      }),
    ).toBeNull();
  });
});
