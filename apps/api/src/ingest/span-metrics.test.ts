import { LATENCY_BOUNDS_MS, NO_GRPC_STATUS, SpanKind, StatusCode } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { inboundPoint, outboundPoint } from './span-metrics.ts';
import type { IngestSpan } from './traces.ts';

function span(overrides: Partial<IngestSpan['row']> = {}, grpcStatus?: number): IngestSpan {
  return {
    row: {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      parentSpanId: null,
      name: 'GET /items',
      kind: SpanKind.SERVER,
      service: 'catalog',
      namespace: 'shop',
      version: '1.0',
      startUs: 1764000000000000n,
      durationUs: 12_000n,
      statusCode: StatusCode.UNSET,
      statusMessage: null,
      httpStatus: 200,
      attributes: '{}',
      traceState: '',
      flags: 1,
      events: '[]',
      links: '[]',
      resource: '{}',
      scope: '{}',
      ...overrides,
    },
    fromWeftProxy: false,
    grpcStatus,
  };
}

describe('span-metrics', () => {
  it('counts a server span as one inbound request of its service, in its latency bucket', () => {
    const point = inboundPoint(span(), undefined);
    expect(point).toMatchObject({
      identity: 'span:4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7',
      reporter: 'inbound',
      sourceService: 'unknown',
      destNamespace: 'shop',
      destService: 'catalog',
      destVersion: '1.0',
      statusCode: 200,
      grpcStatus: NO_GRPC_STATUS,
      count: 1,
      sumMs: 12,
      maxMs: 12,
      windowStartMs: 1764000000000,
      windowEndMs: 1764000000012,
    });
    expect(point.buckets[LATENCY_BOUNDS_MS.indexOf(15)]).toBe(1);
    expect(point.buckets.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('names the caller when the parent is a client span of another service, and gives its view', () => {
    const client = span({
      kind: SpanKind.CLIENT,
      service: 'web',
      namespace: 'shop',
      version: '2.0',
      spanId: 'aaaaaaaaaaaaaaaa',
      durationUs: 15_000n,
    });
    const server = span({ parentSpanId: 'aaaaaaaaaaaaaaaa' });
    expect(inboundPoint(server, client)).toMatchObject({
      sourceService: 'web',
      sourceNamespace: 'shop',
      sourceVersion: '2.0',
    });
    expect(outboundPoint(client, server)).toMatchObject({
      identity: 'span:4bf92f3577b34da6a3ce929d0e0e4736:aaaaaaaaaaaaaaaa',
      reporter: 'outbound',
      sourceService: 'web',
      destService: 'catalog',
      sumMs: 15,
    });
  });

  it('counts an ERROR span as failed, and a successful span without HTTP status as 200', () => {
    expect(inboundPoint(span({ statusCode: StatusCode.ERROR, httpStatus: null }), undefined).statusCode).toBe(
      0,
    );
    expect(inboundPoint(span({ statusCode: StatusCode.ERROR, httpStatus: 404 }), undefined).statusCode).toBe(
      0,
    );
    expect(inboundPoint(span({ statusCode: StatusCode.ERROR, httpStatus: 503 }), undefined).statusCode).toBe(
      503,
    );
    expect(inboundPoint(span({ kind: SpanKind.CONSUMER, httpStatus: null }), undefined).statusCode).toBe(200);
    expect(inboundPoint(span({ httpStatus: null }, 14), undefined)).toMatchObject({
      statusCode: 200,
      grpcStatus: 14,
    });
  });
});
