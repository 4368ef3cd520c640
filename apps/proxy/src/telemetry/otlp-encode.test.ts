import { describe, expect, it } from 'vitest';
import {
  Attr,
  LATENCY_BOUNDS_MS,
  REQUEST_DURATION_METRIC,
  SpanKind,
  StatusCode,
  attributeString,
  exportMetricsServiceRequestSchema,
  exportTraceServiceRequestSchema,
} from '@weft/schema';
import { ResilienceMetric, emptyBuckets } from '@weft/schema';
import type { FinishedSpan } from './finished-span.ts';
import { encodeMetrics, resourceAttributes, spanJson, traceRequestJson, unixNano } from './otlp-encode.ts';

function encodeSpans(resource: ReturnType<typeof resourceAttributes>, spans: FinishedSpan[]): unknown {
  return JSON.parse(traceRequestJson(resource, spans.map(spanJson)));
}

const self = { service: 'web', namespace: 'shop', version: 'v1' };
const resource = resourceAttributes(self, 'web.shop-abc');

function span(overrides: Partial<FinishedSpan> = {}): FinishedSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: '00f067aa0ba902b7',
    parentSpanId: 'b7ad6b7169203331',
    reporter: 'outbound',
    method: 'GET',
    path: '/items',
    status: 200,
    peer: { service: 'catalog', namespace: 'shop', version: 'v2' },
    serverAddress: 'catalog.shop',
    errorType: undefined,
    startMs: 1_700_000_000_000.25,
    endMs: 1_700_000_000_001.75,
    traceFlags: 0x03,
    ...overrides,
  };
}

describe('unixNano', () => {
  it('keeps sub-millisecond precision without floating-point loss', () => {
    expect(unixNano(1_700_000_000_000)).toBe('1700000000000000000');
    expect(unixNano(1_700_000_000_000.25)).toBe('1700000000000250000');
    expect(unixNano(1_700_000_000_000 + 0.99999999)).toBe('1700000000001000000');
  });
});

describe('span JSON', () => {
  it('reports the trace flags and tracestate of the span context, and that its parent is remote (OTLP Span.flags)', () => {
    const client = JSON.parse(
      spanJson(span({ traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' })),
    ) as Record<string, unknown>;
    expect(client.flags).toBe(0x03 | 0x100 | 0x200);
    expect(client.traceState).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    const root = JSON.parse(spanJson(span({ parentSpanId: undefined, traceFlags: 0x02 }))) as Record<
      string,
      unknown
    >;
    expect(root.flags).toBe(0x02 | 0x100);
    expect(root.traceState).toBeUndefined();
  });

  it('produces an ExportTraceServiceRequest the shared schema accepts', () => {
    const body = encodeSpans(resource, [
      span({ route: 'HTTPRoute shop/catalog rule items' }),
      span({
        spanId: '1111111111111111',
        reporter: 'inbound',
        parentSpanId: undefined,
        status: 502,
        errorType: 'upstream-connect-failure',
        serverAddress: undefined,
      }),
    ]);
    const parsed = exportTraceServiceRequestSchema.parse(body);
    const rs = parsed.resourceSpans[0];
    expect(attributeString(rs?.resource.attributes ?? [], Attr.serviceName)).toBe('web');
    expect(attributeString(rs?.resource.attributes ?? [], Attr.serviceInstanceId)).toBe('web.shop-abc');
    const [client, server] = rs?.scopeSpans[0]?.spans ?? [];
    expect(client).toMatchObject({
      name: 'GET /items',
      kind: SpanKind.CLIENT,
      parentSpanId: 'b7ad6b7169203331',
      startTimeUnixNano: 1_700_000_000_000_250_000n,
      endTimeUnixNano: 1_700_000_000_001_750_000n,
      status: { code: StatusCode.UNSET },
    });
    expect(attributeString(client?.attributes ?? [], Attr.httpStatus)).toBe('200');
    expect(attributeString(client?.attributes ?? [], Attr.peerService)).toBe('catalog');
    expect(attributeString(client?.attributes ?? [], Attr.reporter)).toBe('outbound');
    expect(attributeString(client?.attributes ?? [], Attr.serverAddress)).toBe('catalog.shop');
    expect(attributeString(client?.attributes ?? [], Attr.route)).toBe('HTTPRoute shop/catalog rule items');
    expect(server).toMatchObject({
      kind: SpanKind.SERVER,
      parentSpanId: '',
      status: { code: StatusCode.ERROR, message: 'upstream-connect-failure' },
    });
    expect(attributeString(server?.attributes ?? [], Attr.errorType)).toBe('upstream-connect-failure');
    expect(server?.attributes.some((a) => a.key === Attr.route)).toBe(false);
  });

  it('marks each try of a retried request with weft.retry.attempt, and no other span', () => {
    const body = encodeSpans(resource, [span({ retryAttempt: 2, status: 503 }), span()]);
    const [retried, once] =
      exportTraceServiceRequestSchema.parse(body).resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
    expect(attributeString(retried?.attributes ?? [], Attr.retryAttempt)).toBe('2');
    expect(once?.attributes.some((a) => a.key === Attr.retryAttempt)).toBe(false);
  });

  it('escapes whatever a client put in the path', () => {
    const nasty = '/a"b\\c\n\u0001/ünï/\u2028?';
    const parsed = exportTraceServiceRequestSchema.parse(
      encodeSpans(resource, [span({ path: nasty, method: 'M"' })]),
    );
    const only = parsed.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(only?.name).toBe(`M" ${nasty}`);
    expect(attributeString(only?.attributes ?? [], Attr.urlPath)).toBe(nasty);
  });

  it('caps the span name at 512 characters', () => {
    const parsed = exportTraceServiceRequestSchema.parse(
      encodeSpans(resource, [span({ path: `/${'x'.repeat(1000)}` })]),
    );
    expect(parsed.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name).toHaveLength(512);
  });

  it('marks 5xx, missing responses and cut-short responses as errors, not 4xx', () => {
    const codes = [
      span({ status: 503 }),
      span({ status: 0, errorType: 'client-aborted' }),
      span({ status: 200, errorType: 'response-aborted' }),
      span({ status: 404 }),
    ].map(
      (s) =>
        exportTraceServiceRequestSchema.parse(encodeSpans(resource, [s])).resourceSpans[0]?.scopeSpans[0]
          ?.spans[0]?.status.code,
    );
    expect(codes).toEqual([StatusCode.ERROR, StatusCode.ERROR, StatusCode.ERROR, StatusCode.UNSET]);
  });
});

describe('encodeMetrics', () => {
  it('produces DELTA histograms the shared schema accepts', () => {
    const counts = emptyBuckets();
    counts[0] = 2;
    counts[LATENCY_BOUNDS_MS.length] = 1;
    const body = encodeMetrics(resource, [
      {
        labels: {
          reporter: 'outbound',
          source: self,
          destination: { service: 'catalog', namespace: 'shop', version: 'v2' },
          status: 503,
        },
        startMs: 1000,
        endMs: 6000,
        counts,
        sum: 40_000.5,
        count: 3,
        min: 0.2,
        max: 39_999.4,
      },
    ]);
    const parsed = exportMetricsServiceRequestSchema.parse(JSON.parse(JSON.stringify(body)));
    const metric = parsed.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    expect(metric?.name).toBe(REQUEST_DURATION_METRIC);
    expect(metric?.unit).toBe('ms');
    const point = metric?.histogram?.dataPoints[0];
    expect(point).toMatchObject({
      startTimeUnixNano: 1_000_000_000n,
      timeUnixNano: 6_000_000_000n,
      count: 3,
      sum: 40_000.5,
      // The largest latency seen: percentiles are never reported above it.
      max: 39_999.4,
    });
    expect(point?.explicitBounds).toEqual([...LATENCY_BOUNDS_MS]);
    expect(point?.bucketCounts).toEqual(counts);
    const attrs = point?.attributes ?? [];
    expect(
      [
        Attr.reporter,
        Attr.sourceService,
        Attr.sourceNamespace,
        Attr.sourceVersion,
        Attr.destinationService,
        Attr.destinationNamespace,
        Attr.destinationVersion,
        Attr.httpStatus,
      ].map((k) => attributeString(attrs, k)),
    ).toEqual(['outbound', 'web', 'shop', 'v1', 'catalog', 'shop', 'v2', '503']);
  });

  it('labels a gRPC exchange with its grpc-status, and marks its span failed for a non-OK one', () => {
    const body = encodeMetrics(resource, [
      {
        labels: {
          reporter: 'inbound',
          source: self,
          destination: self,
          status: 200,
          grpcStatus: 14,
        },
        startMs: 1000,
        endMs: 6000,
        counts: emptyBuckets().map((_, i) => (i === 0 ? 1 : 0)),
        sum: 1,
        count: 1,
        min: 1,
        max: 1,
      },
    ]);
    const parsed = exportMetricsServiceRequestSchema.parse(JSON.parse(JSON.stringify(body)));
    const attrs =
      parsed.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.histogram?.dataPoints[0]?.attributes;
    expect(attributeString(attrs ?? [], Attr.grpcStatus)).toBe('14');

    const spanStatus = (grpcStatus: number) =>
      exportTraceServiceRequestSchema.parse(encodeSpans(resource, [span({ status: 200, grpcStatus })]))
        .resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(spanStatus(14)?.status).toEqual({ code: StatusCode.ERROR, message: 'gRPC status 14' });
    expect(attributeString(spanStatus(14)?.attributes ?? [], Attr.grpcStatus)).toBe('14');
    expect(spanStatus(0)?.status.code).toBe(StatusCode.UNSET);
  });

  it('sends retries and ejections as delta Sums and ejected endpoints as a Gauge, in the same request', () => {
    const body = encodeMetrics(resource, [
      {
        metric: ResilienceMetric.retries,
        service: 'catalog',
        namespace: 'shop',
        reason: '503',
        startMs: 1000,
        endMs: 6000,
        value: 4,
      },
      {
        metric: ResilienceMetric.ejectedEndpoints,
        service: 'catalog',
        namespace: 'shop',
        reason: '',
        startMs: 6000,
        endMs: 6000,
        value: 1,
      },
    ]);
    const parsed = exportMetricsServiceRequestSchema.parse(JSON.parse(JSON.stringify(body)));
    const metrics = parsed.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
    expect(metrics.map((m) => m.name)).toEqual([ResilienceMetric.retries, ResilienceMetric.ejectedEndpoints]);
    const [retries, ejected] = metrics;
    expect(retries?.sum).toMatchObject({ aggregationTemporality: 1, isMonotonic: true });
    expect(retries?.sum?.dataPoints[0]).toMatchObject({
      startTimeUnixNano: 1_000_000_000n,
      timeUnixNano: 6_000_000_000n,
      asInt: '4',
    });
    expect(attributeString(retries?.sum?.dataPoints[0]?.attributes ?? [], Attr.reason)).toBe('503');
    expect(ejected?.gauge?.dataPoints[0]).toMatchObject({ timeUnixNano: 6_000_000_000n, asInt: '1' });
  });
});
