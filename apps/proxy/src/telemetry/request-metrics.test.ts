import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS, LATENCY_BUCKET_COUNT, bucketIndex } from '@weft/schema';
import type { WorkloadIdentity } from '../identity.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { PrometheusText, escapeLabelValue, renderRequestMetrics } from './prometheus.ts';
import { RequestMetrics } from './request-metrics.ts';

const web: WorkloadIdentity = { service: 'web', namespace: 'shop', version: 'v1' };
const catalog: WorkloadIdentity = { service: 'catalog', namespace: 'shop', version: 'v2' };

describe('LatencyHistogram', () => {
  it('counts each observation in the bucket of the shared bounds', () => {
    const h = new LatencyHistogram();
    for (const ms of [0.1, 0.5, 0.51, 7.5, 29_999, 30_001]) h.observe(ms);
    expect(h.counts).toHaveLength(LATENCY_BUCKET_COUNT);
    expect(h.count).toBe(6);
    expect(h.sum).toBeCloseTo(0.1 + 0.5 + 0.51 + 7.5 + 29_999 + 30_001);
    expect(h.counts[0]).toBe(2); // ≤ 0.5 (bounds are inclusive)
    expect(h.counts[1]).toBe(1); // ≤ 1
    expect(h.counts[bucketIndex(7.5)]).toBe(1);
    expect(h.counts[LATENCY_BOUNDS_MS.length - 1]).toBe(1); // ≤ 30000
    expect(h.counts[LATENCY_BOUNDS_MS.length]).toBe(1); // +Inf
  });
});

describe('RequestMetrics', () => {
  it('keeps one series per reporter, edge and status', () => {
    const m = new RequestMetrics(1000);
    m.record('outbound', web, catalog, 200, 1);
    m.record('outbound', web, catalog, 200, 2);
    m.record('outbound', web, catalog, 503, 2);
    m.record('inbound', web, catalog, 200, 2);
    m.record('outbound', web, { ...catalog, version: 'v1' }, 200, 2);
    const series = [...m.series()];
    expect(
      series.map((s) => [s.labels.reporter, s.labels.destination.version, s.labels.status, s.total.count]),
    ).toEqual([
      ['outbound', 'v2', 200, 2],
      ['outbound', 'v2', 503, 1],
      ['inbound', 'v2', 200, 1],
      ['outbound', 'v1', 200, 1],
    ]);
  });

  it('keeps gRPC exchanges with different grpc-status apart, and labels them on /metrics', () => {
    const m = new RequestMetrics(0);
    m.record('inbound', web, catalog, 200, 1, 0);
    m.record('inbound', web, catalog, 200, 1, 14);
    m.record('inbound', web, catalog, 200, 1, 14);
    m.record('inbound', web, catalog, 200, 1);
    expect([...m.series()].map((s) => [s.labels.grpcStatus, s.total.count])).toEqual([
      [0, 1],
      [14, 2],
      [undefined, 1],
    ]);
    expect(m.takeDelta(5000).map((p) => p.labels.grpcStatus)).toEqual([0, 14, undefined]);
    const text = new PrometheusText();
    renderRequestMetrics(text, m);
    const out = text.toString();
    expect(out).toContain('response_code="200",grpc_status="14"} 2\n');
    expect(out).toMatch(/response_code="200"\} 1\n/);
  });

  it('hands out each observation in exactly one delta window, while totals keep growing', () => {
    const m = new RequestMetrics(1000);
    m.record('outbound', web, catalog, 200, 4);
    m.record('outbound', web, catalog, 500, 12);
    const first = m.takeDelta(6000);
    expect(first).toHaveLength(2);
    expect(first[0]).toMatchObject({ startMs: 1000, endMs: 6000, count: 1, sum: 4 });
    expect(first[0]?.counts[bucketIndex(4)]).toBe(1);

    expect(m.takeDelta(11_000)).toEqual([]);

    m.record('outbound', web, catalog, 200, 1);
    const third = m.takeDelta(16_000);
    expect(third).toHaveLength(1);
    expect(third[0]).toMatchObject({ startMs: 11_000, endMs: 16_000, count: 1 });
    expect([...m.series()][0]?.total.count).toBe(2);
  });

  it('never goes backwards in time nor records negative latency', () => {
    const m = new RequestMetrics(5000);
    m.record('inbound', web, catalog, 200, -3);
    const [point] = m.takeDelta(4000);
    expect(point).toMatchObject({ startMs: 5000, endMs: 5000, sum: 0 });
  });
});

describe('Prometheus rendering', () => {
  it('renders counters and cumulative histogram buckets', () => {
    const m = new RequestMetrics(0);
    m.record('inbound', web, catalog, 200, 0.4);
    m.record('inbound', web, catalog, 200, 3);
    m.record('inbound', web, catalog, 200, 60_000);
    const text = new PrometheusText();
    renderRequestMetrics(text, m);
    const out = text.toString();
    const labels =
      'reporter="inbound",source_service="web",source_namespace="shop",source_version="v1",' +
      'destination_service="catalog",destination_namespace="shop",destination_version="v2",response_code="200"';
    expect(out).toContain('# TYPE weft_requests_total counter\n');
    expect(out).toContain(`weft_requests_total{${labels}} 3\n`);
    expect(out).toContain('# TYPE weft_request_duration_seconds histogram\n');
    expect(out).toContain(`weft_request_duration_seconds_bucket{${labels},le="0.0005"} 1\n`);
    expect(out).toContain(`weft_request_duration_seconds_bucket{${labels},le="0.002"} 1\n`);
    expect(out).toContain(`weft_request_duration_seconds_bucket{${labels},le="0.003"} 2\n`);
    expect(out).toContain(`weft_request_duration_seconds_bucket{${labels},le="30"} 2\n`);
    expect(out).toContain(`weft_request_duration_seconds_bucket{${labels},le="+Inf"} 3\n`);
    expect(out).toContain(`weft_request_duration_seconds_sum{${labels}} 60.0034\n`);
    expect(out).toContain(`weft_request_duration_seconds_count{${labels}} 3\n`);
    expect(out).not.toContain('_ms');
    expect(out.match(/_bucket\{/g)).toHaveLength(LATENCY_BUCKET_COUNT);
  });

  it('escapes label values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const out = new PrometheusText().family('x', 'gauge', 'h').sample('x', { v: 'q"' }, Infinity).toString();
    expect(out).toBe('# HELP x h\n# TYPE x gauge\nx{v="q\\""} +Inf\n');
  });
});
