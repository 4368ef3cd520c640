/**
 * The waterfall's row and span details rendered to HTML (no browser): what a user sees of events, links, clock
 * skew, trace context, resource and scope. Written with createElement so it runs with the other unit tests.
 */
import type { SpanView, TraceDetail } from '@weft/schema';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { SpanDetails } from './SpanDetails.tsx';
import { SpanRow } from './SpanRow.tsx';

vi.mock('next/navigation', () => ({ useSearchParams: () => new URLSearchParams('window=15m') }));

function span(more: Partial<SpanView> = {}): SpanView {
  return {
    spanId: 'b'.repeat(16),
    parentSpanId: 'a'.repeat(16),
    name: 'GET /quote',
    kind: 'server',
    service: 'pricing',
    namespace: 'shop',
    startMs: 1_764_000_000_000,
    offsetUs: 1_000,
    durationUs: 4_000,
    status: 'ok',
    statusMessage: null,
    attributes: { 'http.request.method': 'GET' },
    traceState: 'weft=1',
    flags: 3,
    events: [
      { name: 'cache.miss', offsetUs: 1_000, attributes: { key: 'quote:42' } },
      { name: 'retry', offsetUs: 3_000, attributes: {} },
    ],
    links: [
      {
        traceId: 'c'.repeat(32),
        spanId: 'd'.repeat(16),
        traceState: '',
        attributes: { reason: 'batch' },
        traceStored: true,
      },
      { traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), traceState: '', attributes: {}, traceStored: false },
    ],
    resource: { 'service.name': 'pricing', 'service.instance.id': 'pricing-1' },
    scope: { name: '@weft/proxy', version: '0.1.0', attributes: {} },
    skewAdjustmentUs: 12_300,
    ...more,
  };
}

function row(s: SpanView): string {
  return renderToStaticMarkup(
    createElement(SpanRow, {
      row: { span: s, depth: 1, childCount: 0, ancestors: ['a'.repeat(16)], orphan: false },
      originUs: 0,
      totalUs: 20_000,
      color: '#0066cc',
      serviceColor: '#0066cc',
      ticks: [0, 10_000],
      selected: false,
      collapsed: false,
      onSelect: () => undefined,
      onToggle: () => undefined,
    }),
  );
}

function details(s: SpanView): string {
  const trace: TraceDetail = {
    traceId: 'a1'.repeat(16),
    startMs: s.startMs,
    durationUs: 20_000,
    spans: [s],
    clockSkew: { adjustedSpans: 1, maxAdjustmentUs: 12_300, unadjustedSpans: 0 },
  };
  return renderToStaticMarkup(createElement(SpanDetails, { span: s, trace, originUs: 0, onClose: () => {} }));
}

const count = (html: string, needle: string) => html.split(needle).length - 1;

describe('waterfall row', () => {
  it('draws the bar where the adjustment puts it, an event tick per event, and says it was adjusted', () => {
    const html = row(span());
    // Recorded at +1 ms, moved by +12.3 ms: drawn at 13.3 ms of 20 ms.
    expect(html).toContain('left:66.5%');
    expect(count(html, 'data-test="span-event-marker"')).toBe(2);
    // Events at +1 ms and +3 ms into the span: 14.3 ms and 16.3 ms of the axis.
    expect(html).toContain('left:71.5%');
    expect(html).toContain('left:81.5%');
    expect(html).toMatch(/data-test="span-skew-note"[^>]*>adjusted for clock skew by \+12\.3ms</);
  });

  it('flags a span too long to be adjusted, and shows nothing for a span left alone', () => {
    const longer = row(span({ skewAdjustmentUs: 0, skewWarning: 'longer-than-parent' }));
    expect(longer).toMatch(/data-skew="longer-than-parent"[^>]*>longer than parent</);
    expect(row(span({ skewAdjustmentUs: 0, events: [] }))).not.toContain('span-skew-note');
  });
});

describe('span details', () => {
  const html = details(span());

  it('lists events with times relative to the span start and their attributes', () => {
    expect(html).toMatch(/data-event-name="cache.miss".*\+1\.00ms.*cache\.miss.*quote:42/s);
    expect(html).toMatch(/data-event-name="retry".*\+3\.00ms/s);
  });

  it('links to a linked trace that is stored, and says when it is not', () => {
    expect(html).toContain(`href="/traces/${'c'.repeat(32)}?window=15m"`);
    expect(html).not.toContain(`href="/traces/${'e'.repeat(32)}`);
    expect(html).toMatch(/e{32} <span class="muted">\(not stored\)/);
  });

  it('shows trace flags and state, the resource as the process, and the instrumentation scope', () => {
    expect(html).toMatch(
      /data-test="span-detail-flags"[^>]*><span class="tag">sampled<\/span><span class="tag">random/,
    );
    expect(html).toContain('weft=1');
    expect(html).toMatch(/data-test="span-process".*service\.instance\.id.*pricing-1/s);
    expect(html).toMatch(/data-test="span-scope-name"[^>]*>@weft\/proxy</);
    expect(html).toMatch(/data-test="span-skew-detail".*Adjusted for clock skew by <strong>\+12\.3ms/s);
  });
});
