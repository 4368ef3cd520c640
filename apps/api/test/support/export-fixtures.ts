/** Stored spans and EdgePoints as the ingest produces them, for the OTLP exporter's tests. */
import { LATENCY_BUCKET_COUNT, NO_GRPC_STATUS, SpanKind } from '@weft/schema';
import type { EdgePoint } from '../../src/ingest/edge-point.ts';
import type { SpanRow } from '../../src/ingest/traces.ts';

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

export function spanRow(i: number, overrides: Partial<SpanRow> = {}): SpanRow {
  return {
    traceId: hex(0xabc0000 + Math.floor(i / 4) + 1, 32),
    spanId: hex(i + 1, 16),
    parentSpanId: i % 4 === 0 ? null : hex(i, 16),
    name: `GET /items/${i}`,
    kind: i % 2 === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
    service: i % 3 === 0 ? 'catalog' : 'cart',
    namespace: 'shop',
    version: 'v1',
    startUs: 1_764_662_400_000_000n + BigInt(i) * 1000n,
    durationUs: 2_500n,
    statusCode: i % 10 === 0 ? 2 : 0,
    statusMessage: i % 10 === 0 ? 'HTTP 503' : null,
    httpStatus: i % 10 === 0 ? 503 : 200,
    attributes: JSON.stringify({
      'http.request.method': 'GET',
      'http.response.status_code': i % 10 === 0 ? '503' : '200',
      'url.path': `/items/${i}`,
    }),
    traceState: i % 5 === 0 ? 'weft=abc' : '',
    flags: 1,
    events: JSON.stringify(
      i % 7 === 0 ? [{ name: 'retry', timeUs: 1_764_662_400_001_000, attributes: { attempt: '2' } }] : [],
    ),
    links: JSON.stringify([]),
    resource: JSON.stringify({ 'service.instance.id': `proxy-${i % 3 === 0 ? 'c' : 'k'}` }),
    scope: JSON.stringify({ name: '@weft/proxy', version: '0.1.0' }),
    ...overrides,
  };
}

export function edgePoint(i: number, overrides: Partial<EdgePoint> = {}): EdgePoint {
  const buckets = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  buckets[i % LATENCY_BUCKET_COUNT] = 3;
  buckets[(i + 5) % LATENCY_BUCKET_COUNT] = 1;
  return {
    identity: `proxy-1/${i}`,
    windowStartMs: 1_764_662_400_000 + i * 5_000,
    windowEndMs: 1_764_662_405_000 + i * 5_000,
    reporter: i % 2 === 0 ? 'outbound' : 'inbound',
    sourceNamespace: 'shop',
    sourceService: 'frontend',
    sourceVersion: 'v1',
    destNamespace: 'shop',
    destService: `svc-${i % 4}`,
    destVersion: 'v2',
    statusCode: i % 9 === 0 ? 503 : 200,
    grpcStatus: NO_GRPC_STATUS,
    count: 4,
    sumMs: 42.5,
    maxMs: i % 2 === 0 ? 30 : null,
    buckets,
    ...overrides,
  };
}
