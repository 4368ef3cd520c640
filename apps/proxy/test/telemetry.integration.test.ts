/**
 * What the proxies push over OTLP/HTTP, captured by a plain receiver on 127.0.0.1 and checked against the
 * shared zod schemas: span parent links across two proxies, delta histograms, and no loss across an outage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AggregationTemporality,
  Attr,
  LATENCY_BOUNDS_MS,
  REQUEST_DURATION_METRIC,
  SpanKind,
  StatusCode,
  attributeString,
  exportMetricsServiceRequestSchema,
  exportTraceServiceRequestSchema,
  type ParsedMetricsRequest,
  type ParsedTraceRequest,
} from '@weft/schema';
import {
  LOOPBACK,
  adminGet,
  closedPort,
  sample,
  send,
  startChain as startSharedChain,
  startOtlpReceiver,
  waitFor,
} from './helpers.ts';

type ParsedSpan = ParsedTraceRequest['resourceSpans'][number]['scopeSpans'][number]['spans'][number];
interface SpanWithService extends ParsedSpan {
  service: string;
}

function spansOf(payloads: unknown[]): SpanWithService[] {
  return payloads.flatMap((p) => {
    const parsed = exportTraceServiceRequestSchema.parse(p);
    return parsed.resourceSpans.flatMap((rs) => {
      const service = attributeString(rs.resource.attributes, Attr.serviceName) ?? '';
      return rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, service })));
    });
  });
}

function pointsOf(payloads: unknown[]) {
  return payloads.flatMap((p) => {
    const parsed: ParsedMetricsRequest = exportMetricsServiceRequestSchema.parse(p);
    return parsed.resourceMetrics.flatMap((rm) =>
      rm.scopeMetrics.flatMap((sm) =>
        sm.metrics.flatMap((m) => {
          expect(m.name).toBe(REQUEST_DURATION_METRIC);
          expect(m.histogram?.aggregationTemporality).toBe(AggregationTemporality.DELTA);
          return (m.histogram?.dataPoints ?? []).map((point) => ({
            ...point,
            proxy: attributeString(rm.resource.attributes, Attr.serviceInstanceId),
            attr: (key: string) => attributeString(point.attributes, key),
          }));
        }),
      ),
    );
  });
}

function startChain(receiverUrl: URL, flushIntervalMs: number, catalogControlPlane: URL = receiverUrl) {
  return startSharedChain({ controlPlane: receiverUrl, catalogControlPlane, flushIntervalMs });
}

describe('spans and metrics pushed over OTLP', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let chain: Awaited<ReturnType<typeof startChain>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    chain = await startChain(receiver.url, 100);
  });
  afterAll(async () => {
    await chain.stop();
    await receiver.close();
  });

  it('links spans across both proxies: caller span → web CLIENT span → catalog SERVER span → app', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await send(chain.web.addresses.outbound, {
      target: 'http://catalog.shop/items/42?verbose=1',
      headers: { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=opaque' },
    });
    expect(res.status).toBe(200);

    const spans = await waitFor(() => {
      const found = spansOf(receiver.traces).filter((s) => s.traceId === traceId);
      return found.length >= 2 && found;
    });
    expect(spans).toHaveLength(2);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(client).toMatchObject({
      service: 'web',
      parentSpanId: callerSpan,
      name: 'GET /items/42',
      status: { code: StatusCode.UNSET },
    });
    expect(server).toMatchObject({ service: 'catalog', parentSpanId: client?.spanId, name: 'GET /items/42' });

    const seen = chain.app.seen.find((r) => r.url === '/items/42?verbose=1');
    expect(seen?.headers.traceparent).toBe(`00-${traceId}-${server?.spanId}-01`);
    expect(seen?.headers.tracestate).toBe('vendor=opaque');

    const attrs = (s: SpanWithService | undefined, key: string) => attributeString(s?.attributes ?? [], key);
    expect([
      attrs(client, Attr.reporter),
      attrs(client, Attr.peerService),
      attrs(client, Attr.peerVersion),
      attrs(client, Attr.httpStatus),
    ]).toEqual(['outbound', 'catalog', 'v2', '200']);
    expect([
      attrs(server, Attr.reporter),
      attrs(server, Attr.peerService),
      attrs(server, Attr.urlPath),
      attrs(server, Attr.httpMethod),
    ]).toEqual(['inbound', 'web', '/items/42', 'GET']);
    // The client span encloses the server span.
    expect(client!.startTimeUnixNano <= server!.startTimeUnixNano).toBe(true);
    expect(client!.endTimeUnixNano >= server!.endTimeUnixNano).toBe(true);
  });

  it('starts a new trace for a request that carries none, and marks 5xx spans as errors', async () => {
    await send(chain.web.addresses.outbound, { target: '/status/503', headers: { host: 'catalog.shop' } });
    const seen = chain.app.seen.find((r) => r.url === '/status/503');
    const traceId = String(seen?.headers.traceparent).slice(3, 35);
    const spans = await waitFor(() => {
      const found = spansOf(receiver.traces).filter((s) => s.traceId === traceId);
      return found.length >= 2 && found;
    });
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(client?.parentSpanId).toBe('');
    expect(spans.find((s) => s.kind === SpanKind.SERVER)?.parentSpanId).toBe(client?.spanId);
    expect(spans.map((s) => s.status.code)).toEqual([StatusCode.ERROR, StatusCode.ERROR]);
  });

  it('pushes DELTA histograms whose counts add up to the requests made, in windows that never overlap', async () => {
    for (let i = 0; i < 5; i++)
      await send(chain.web.addresses.outbound, { target: '/delta', headers: { host: 'catalog' } });
    const isWebOutbound200 = (p: ReturnType<typeof pointsOf>[number]) =>
      p.attr(Attr.reporter) === 'outbound' &&
      p.attr(Attr.sourceService) === 'web' &&
      p.attr(Attr.httpStatus) === '200';
    // 1 request from the first test + 5 here answered 200 through web.
    await waitFor(
      () =>
        pointsOf(receiver.metrics)
          .filter(isWebOutbound200)
          .reduce((n, p) => n + p.count, 0) === 6,
    );

    const points = pointsOf(receiver.metrics);
    for (const p of points) {
      expect(p.explicitBounds).toEqual([...LATENCY_BOUNDS_MS]);
      expect(p.timeUnixNano > p.startTimeUnixNano).toBe(true);
    }
    const sample200 = points.find(isWebOutbound200);
    expect([
      sample200?.attr(Attr.sourceNamespace),
      sample200?.attr(Attr.sourceVersion),
      sample200?.attr(Attr.destinationService),
      sample200?.attr(Attr.destinationNamespace),
      sample200?.attr(Attr.destinationVersion),
    ]).toEqual(['shop', 'v1', 'catalog', 'shop', 'v2']);

    // Each proxy's windows follow each other without overlapping (idle windows send nothing).
    for (const proxy of ['web.shop-test', 'catalog.shop-test']) {
      const windows = [
        ...new Map(
          points.filter((p) => p.proxy === proxy).map((p) => [p.startTimeUnixNano, p.timeUnixNano]),
        ).entries(),
      ].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      expect(windows.length).toBeGreaterThan(0);
      for (let i = 1; i < windows.length; i++) expect(windows[i]![0] >= windows[i - 1]![1]).toBe(true);
    }
  });
});

describe('when the control plane fails', () => {
  it('keeps spans through a run of 503s and delivers all of them once it answers again', async () => {
    const receiver = await startOtlpReceiver();
    receiver.failNext.push(503, 503, 503);
    const chain = await startChain(receiver.url, 100);
    try {
      const requests = 20;
      for (let i = 0; i < requests; i++) {
        expect(
          (await send(chain.web.addresses.outbound, { target: `/outage/${i}`, headers: { host: 'catalog' } }))
            .status,
        ).toBe(200);
      }
      const spans = await waitFor(() => {
        const found = spansOf(receiver.traces).filter((s) =>
          attributeString(s.attributes, Attr.urlPath)?.startsWith('/outage/'),
        );
        return found.length >= requests * 2 && found;
      }, 20_000);
      expect(spans).toHaveLength(requests * 2);
      expect(new Set(spans.map((s) => s.spanId)).size).toBe(requests * 2);
      const metrics = (await adminGet(chain.web, '/metrics')).text;
      expect(
        sample(metrics, 'weft_proxy_telemetry_dropped_total', { signal: 'spans', reason: 'buffer_full' }),
      ).toBe(0);
      expect(
        (sample(metrics, 'weft_proxy_telemetry_export_failures_total', { signal: 'spans' }) ?? 0) +
          (sample(metrics, 'weft_proxy_telemetry_export_failures_total', { signal: 'metrics' }) ?? 0),
      ).toBeGreaterThan(0);
    } finally {
      await chain.stop();
      await receiver.close();
    }
  });

  it('drops a batch the receiver refuses with 400, logs why once, counts it, and sends the next ones', async () => {
    const receiver = await startOtlpReceiver();
    receiver.failNext.push(400, 400);
    const elsewhere = new URL(`http://${LOOPBACK}:${await closedPort()}`);
    const chain = await startChain(receiver.url, 100, elsewhere); // only web pushes to this receiver
    try {
      await send(chain.web.addresses.outbound, { target: '/refused', headers: { host: 'catalog' } });
      const rejected = async () => {
        const text = (await adminGet(chain.web, '/metrics')).text;
        const count = (signal: string) =>
          sample(text, 'weft_proxy_telemetry_dropped_total', { signal, reason: 'rejected' }) ?? 0;
        return count('spans') + count('metrics');
      };
      expect(await waitFor(async () => ((await rejected()) === 2 ? 2 : undefined))).toBe(2);
      expect(chain.web.log.lines.filter((l) => l.includes('refused with HTTP 400')).sort()).toEqual([
        'error metrics export refused with HTTP 400, dropping 1: scripted 400',
        'error spans export refused with HTTP 400, dropping 1: scripted 400',
      ]);
      await send(chain.web.addresses.outbound, { target: '/accepted', headers: { host: 'catalog' } });
      await waitFor(() =>
        spansOf(receiver.traces).some((s) => attributeString(s.attributes, Attr.urlPath) === '/accepted'),
      );
    } finally {
      await chain.stop();
      await receiver.close();
    }
  });

  it('flushes what is left at shutdown', async () => {
    const receiver = await startOtlpReceiver();
    const chain = await startChain(receiver.url, 60_000); // no periodic flush during the test
    await send(chain.web.addresses.outbound, { target: '/last-words', headers: { host: 'catalog' } });
    await chain.stop();
    await receiver.close();
    const spans = spansOf(receiver.traces).filter(
      (s) => attributeString(s.attributes, Attr.urlPath) === '/last-words',
    );
    expect(spans).toHaveLength(2);
    expect(pointsOf(receiver.metrics).filter((p) => p.attr(Attr.reporter) === 'outbound')).toHaveLength(1);
    expect(receiver.calls.filter((c) => c.startsWith('DELETE /v1/proxies/'))).toHaveLength(2);
  });
});
