/**
 * Trace sampling and W3C Trace Context Level 2 through two real proxies (web's outbound → catalog's
 * inbound → catalog app), spans captured by a plain OTLP receiver: the caller's decision is honoured, a trace
 * the proxy starts is decided at the configured rate (0 % here) and carries the random flag, failed and slow
 * requests are exported anyway, request metrics count every request, and `tracestate` travels (valid) or is
 * dropped whole (invalid).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Attr,
  attributeString,
  exportTraceServiceRequestSchema,
  type ParsedTraceRequest,
} from '@weft/schema';
import { adminGet, sample, send, startChain, startOtlpReceiver, waitFor } from './helpers.ts';

type ParsedSpan = ParsedTraceRequest['resourceSpans'][number]['scopeSpans'][number]['spans'][number];
interface RawSpan {
  traceId: string;
  flags?: number;
  traceState?: string;
}

/** Spans as parsed by the shared schema, with the raw fields the schema does not (yet) keep. */
function spansOf(payloads: unknown[]): (ParsedSpan & { raw: RawSpan; service: string })[] {
  return payloads.flatMap((p) => {
    const parsed = exportTraceServiceRequestSchema.parse(p);
    const raw = (p as { resourceSpans: { scopeSpans: { spans: RawSpan[] }[] }[] }).resourceSpans;
    return parsed.resourceSpans.flatMap((rs, i) => {
      const service = attributeString(rs.resource.attributes, Attr.serviceName) ?? '';
      return rs.scopeSpans.flatMap((ss, j) =>
        ss.spans.map((s, k) => ({ ...s, service, raw: raw[i]!.scopeSpans[j]!.spans[k]! })),
      );
    });
  });
}

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

describe('trace sampling at 0 % with a 300 ms slow threshold', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let chain: Awaited<ReturnType<typeof startChain>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    chain = await startChain({
      controlPlane: receiver.url,
      flushIntervalMs: 50,
      traceSamplingPercent: 0,
      traceSlowThresholdMs: 300,
    });
  });
  afterAll(async () => {
    await chain.stop();
    await receiver.close();
  });

  const traceIdSeenBy = (url: string): string => {
    const seen = chain.app.seen.find((r) => r.url === url);
    return String(seen?.headers.traceparent).slice(3, 35);
  };
  const spansOfTrace = async (traceId: string) =>
    waitFor(() => {
      const found = spansOf(receiver.traces).filter((s) => s.traceId === traceId);
      return found.length >= 2 && found;
    });

  it('starts an unsampled trace with the random flag and exports nothing for a quick success', async () => {
    expect(
      (await send(chain.web.addresses.outbound, { target: '/quick', headers: { host: 'catalog' } })).status,
    ).toBe(200);
    const seen = chain.app.seen.find((r) => r.url === '/quick');
    expect(seen?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
    const quickTrace = traceIdSeenBy('/quick');

    // A sampled request made afterwards: once both of its spans arrived, the quick one's would have too
    // (each proxy exports its spans in the order the requests ended).
    await send(chain.web.addresses.outbound, {
      target: '/sampled',
      headers: { host: 'catalog', traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
    });
    await spansOfTrace(CALLER_TRACE);
    expect(spansOf(receiver.traces).filter((s) => s.traceId === quickTrace)).toEqual([]);
  });

  it("honours the caller's sampled flag and keeps its flags and tracestate", async () => {
    const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
    await send(chain.web.addresses.outbound, {
      target: '/caller-sampled',
      headers: {
        host: 'catalog',
        traceparent: `00-${traceId}-${CALLER_SPAN}-03`,
        tracestate: 'rojo=00f067aa0ba902b7 , fw529a3039@dt=FW4;0',
      },
    });
    const seen = chain.app.seen.find((r) => r.url === '/caller-sampled');
    expect(seen?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-03$`));
    expect(seen?.headers.tracestate).toBe('rojo=00f067aa0ba902b7,fw529a3039@dt=FW4;0');
    const spans = await spansOfTrace(traceId);
    expect(spans.map((s) => s.service).sort()).toEqual(['catalog', 'web']);
    for (const s of spans) {
      // W3C flags 03, and the parent is remote (OTLP SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE | IS_REMOTE).
      expect(s.raw.flags).toBe(0x303);
      expect(s.raw.traceState).toBe('rojo=00f067aa0ba902b7,fw529a3039@dt=FW4;0');
    }
  });

  it("drops an invalid tracestate whole, and follows an unsampled caller's decision", async () => {
    const traceId = '0e0e47364bf92f3577b34da6a3ce929d';
    await send(chain.web.addresses.outbound, {
      target: '/bad-tracestate',
      headers: {
        host: 'catalog',
        traceparent: `00-${traceId}-${CALLER_SPAN}-00`,
        tracestate: 'rojo=00f067aa0ba902b7,Congo=t61rcWkgMzE',
      },
    });
    const seen = chain.app.seen.find((r) => r.url === '/bad-tracestate');
    expect(seen?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    expect(seen?.headers.tracestate).toBeUndefined();
  });

  it('exports the spans of an unsampled request that failed or was slow', async () => {
    await send(chain.web.addresses.outbound, { target: '/status/503', headers: { host: 'catalog' } });
    await send(chain.web.addresses.outbound, { target: '/slow/350', headers: { host: 'catalog' } });
    for (const url of ['/status/503', '/slow/350']) {
      const traceId = traceIdSeenBy(url);
      const spans = await spansOfTrace(traceId);
      expect(spans.map((s) => `${s.service} ${attributeString(s.attributes, Attr.urlPath)}`).sort()).toEqual([
        `catalog ${url}`,
        `web ${url}`,
      ]);
      // Not sampled: the flags say so (random only), though the spans were kept.
      for (const s of spans) expect((s.raw.flags ?? 0) & 0xff).toBe(0x02);
    }
  });

  it('counts every request in the request metrics, and each decision', async () => {
    const web = (await adminGet(chain.web, '/metrics')).text;
    const requests = (code: string) =>
      sample(web, 'weft_requests_total', {
        reporter: 'outbound',
        source_service: 'web',
        source_namespace: 'shop',
        source_version: 'v1',
        destination_service: 'catalog',
        destination_namespace: 'shop',
        destination_version: 'v2',
        response_code: code,
      });
    // /quick, /sampled, /caller-sampled, /bad-tracestate, /slow/350; and /status/503.
    expect(requests('200')).toBe(5);
    expect(requests('503')).toBe(1);
    const decisions = (decision: string) =>
      sample(web, 'weft_proxy_trace_sampling_decisions_total', { decision });
    expect([decisions('sampled'), decisions('failed'), decisions('slow'), decisions('dropped')]).toEqual([
      2, 1, 1, 2,
    ]);
  });
});
