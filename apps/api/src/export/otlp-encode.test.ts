import { describe, expect, it } from 'vitest';
import {
  Attr,
  exportMetricsServiceRequestSchema,
  exportTraceServiceRequestSchema,
  LATENCY_BOUNDS_MS,
  REQUEST_DURATION_METRIC,
} from '@weft/schema';
import { edgePoint, spanRow } from '../../test/support/export-fixtures.ts';
import { encodeEdgePoints, encodeSpans, spanToOtlp } from './otlp-encode.ts';

describe('encodeSpans', () => {
  it('groups spans by resource and keeps every span, decodable as OTLP', () => {
    const rows = Array.from({ length: 30 }, (_, i) => spanRow(i));
    const request = encodeSpans(rows);
    expect(request.resourceSpans).toHaveLength(2);
    const catalog = request.resourceSpans.find((r) =>
      r.resource.attributes.some(
        (a) => a.key === Attr.serviceName && 'stringValue' in a.value && a.value.stringValue === 'catalog',
      ),
    );
    expect(catalog?.resource.attributes).toEqual(
      expect.arrayContaining([
        { key: 'service.instance.id', value: { stringValue: 'proxy-c' } },
        { key: Attr.serviceNamespace, value: { stringValue: 'shop' } },
        { key: Attr.serviceVersion, value: { stringValue: 'v1' } },
      ]),
    );
    expect(catalog?.scopeSpans[0]?.scope).toEqual({ name: '@weft/proxy', version: '0.1.0' });
    const parsed = exportTraceServiceRequestSchema.parse(JSON.parse(JSON.stringify(request)));
    const ids = parsed.resourceSpans.flatMap((r) =>
      r.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.spanId)),
    );
    expect(ids.sort()).toEqual(rows.map((r) => r.spanId).sort());
  });

  it('re-encodes one span with its timing, status, trace state, events and integer attributes', () => {
    const span = spanToOtlp(spanRow(0));
    expect(span).toMatchObject({
      parentSpanId: '',
      traceState: 'weft=abc',
      flags: 1,
      startTimeUnixNano: '1764662400000000000',
      endTimeUnixNano: '1764662400002500000',
      status: { code: 2, message: 'HTTP 503' },
      events: [
        {
          name: 'retry',
          timeUnixNano: '1764662400001000000',
          attributes: [{ key: 'attempt', value: { stringValue: '2' } }],
        },
      ],
      links: [],
    });
    expect(span.attributes).toContainEqual({ key: Attr.httpStatus, value: { intValue: '503' } });
    expect(span.attributes).toContainEqual({ key: Attr.urlPath, value: { stringValue: '/items/0' } });
  });

  it('keeps typed and structured attribute values, and survives a column that is not JSON', () => {
    const span = spanToOtlp(
      spanRow(1, {
        attributes: JSON.stringify({
          ok: true,
          n: 3,
          ratio: 0.5,
          tags: ['a', 1],
          obj: { k: 'v' },
          gone: null,
        }),
        links: '{broken',
      }),
    );
    expect(span.attributes).toEqual([
      { key: 'ok', value: { boolValue: true } },
      { key: 'n', value: { intValue: '3' } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
      { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
      { key: 'obj', value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } } },
    ]);
    expect(span.links).toEqual([]);
  });
});

describe('encodeEdgePoints', () => {
  it('writes delta histograms with the proxies’ attribute names, grouped by the reporting workload', () => {
    const points = Array.from({ length: 8 }, (_, i) => edgePoint(i));
    const request = encodeEdgePoints(points);
    const parsed = exportMetricsServiceRequestSchema.parse(JSON.parse(JSON.stringify(request)));
    // outbound points are reported by frontend, inbound ones by each destination
    expect(parsed.resourceMetrics).toHaveLength(1 + 2);
    const metrics = parsed.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    expect(new Set(metrics.map((m) => m.name))).toEqual(new Set([REQUEST_DURATION_METRIC]));
    const dataPoints = metrics.flatMap((m) => m.histogram?.dataPoints ?? []);
    expect(dataPoints).toHaveLength(8);
    for (const p of dataPoints) {
      expect(p.explicitBounds).toEqual(LATENCY_BOUNDS_MS);
      expect(p.count).toBe(4);
    }
    const first = request.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.histogram.dataPoints[0];
    expect(first?.attributes.map((a) => a.key)).toEqual([
      Attr.reporter,
      Attr.sourceService,
      Attr.sourceNamespace,
      Attr.sourceVersion,
      Attr.destinationService,
      Attr.destinationNamespace,
      Attr.destinationVersion,
      Attr.httpStatus,
    ]);
    expect(first).toMatchObject({ max: 30, sum: 42.5, startTimeUnixNano: '1764662400000000000' });
  });

  it('adds the gRPC status only for gRPC exchanges', () => {
    const [p] =
      encodeEdgePoints([edgePoint(0, { grpcStatus: 14 })]).resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]
        ?.histogram.dataPoints ?? [];
    expect(p?.attributes).toContainEqual({ key: Attr.grpcStatus, value: { intValue: '14' } });
  });
});
