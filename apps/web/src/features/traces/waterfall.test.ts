import type { SpanView, TraceDetail } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import {
  formatSkew,
  skewSummary,
  timeTicks,
  timelineExtent,
  traceFlagNames,
  waterfallRows,
} from './waterfall.ts';

function span(
  spanId: string,
  parentSpanId: string | null,
  offsetUs: number,
  more: Partial<SpanView> = {},
): SpanView {
  return {
    spanId,
    parentSpanId,
    name: `GET /${spanId}`,
    kind: 'server',
    service: 'svc',
    namespace: 'ns',
    startMs: 0,
    offsetUs,
    durationUs: 10,
    status: 'unset',
    statusMessage: null,
    attributes: {},
    traceState: '',
    flags: 1,
    events: [],
    links: [],
    resource: {},
    scope: null,
    skewAdjustmentUs: 0,
    ...more,
  };
}

const NO_SKEW = { adjustedSpans: 0, maxAdjustmentUs: 0, unadjustedSpans: 0 };

function trace(spans: SpanView[], clockSkew = NO_SKEW): TraceDetail {
  return { traceId: 't'.repeat(32), startMs: 0, durationUs: 100, spans, clockSkew };
}

describe('waterfallRows', () => {
  it('orders spans depth first, children by start time, with their depth', () => {
    const rows = waterfallRows(
      trace([span('c2', 'a', 30), span('a', null, 0), span('c1', 'a', 10), span('g', 'c1', 12)]),
    );
    expect(rows.map((r) => [r.span.spanId, r.depth])).toEqual([
      ['a', 0],
      ['c1', 1],
      ['g', 2],
      ['c2', 1],
    ]);
    expect(rows.find((r) => r.span.spanId === 'g')?.ancestors).toEqual(['a', 'c1']);
  });

  it('shows a span whose parent has not arrived as an orphan root, and survives a parent cycle', () => {
    const rows = waterfallRows(trace([span('x', 'missing', 5), span('p', 'q', 0), span('q', 'p', 1)]));
    expect(rows.find((r) => r.span.spanId === 'x')).toMatchObject({ depth: 0, orphan: true });
    expect(rows.map((r) => r.span.spanId).sort()).toEqual(['p', 'q', 'x']);
  });
});

describe('timeTicks', () => {
  it('uses 1-2-5 steps that cover the duration', () => {
    const ticks = timeTicks(26_300);
    expect(ticks[0]).toBe(0);
    expect(ticks.at(-1)!).toBeLessThanOrEqual(26_300);
    const step = ticks[1]! - ticks[0]!;
    expect([1, 2, 5]).toContain(step / 10 ** Math.floor(Math.log10(step)));
  });
});

describe('clock skew on the timeline', () => {
  it('draws adjusted spans where the adjustment puts them, on an axis from the earliest drawn start', () => {
    // The server span was recorded 50 µs before its client parent; adjusted by +70 µs it sits inside it.
    const t = trace([
      span('client', null, 50, { durationUs: 100 }),
      span('server', 'client', 0, { durationUs: 60, skewAdjustmentUs: 70 }),
    ]);
    expect(timelineExtent(t)).toEqual({ originUs: 50, totalUs: 100 });
  });

  it('orders siblings as their bars are drawn, after adjustment', () => {
    const rows = waterfallRows(
      trace([span('p', null, 0), span('late', 'p', 20), span('skewed', 'p', 50, { skewAdjustmentUs: -40 })]),
    );
    expect(rows.map((r) => r.span.spanId)).toEqual(['p', 'skewed', 'late']);
  });

  it('says what was adjusted, and what could not be, in the trace header', () => {
    expect(skewSummary(trace([]))).toBeNull();
    expect(skewSummary(trace([], { adjustedSpans: 2, maxAdjustmentUs: 12_300, unadjustedSpans: 1 }))).toBe(
      '2 spans adjusted for clock skew (up to 12.3ms) · 1 span longer than its parent, not adjusted',
    );
    expect(formatSkew(12_300)).toBe('+12.3ms');
    expect(formatSkew(-850)).toBe('−850µs');
  });
});

describe('traceFlagNames', () => {
  it('names the W3C Level 2 flags', () => {
    expect(traceFlagNames(0)).toEqual([]);
    expect(traceFlagNames(1)).toEqual(['sampled']);
    expect(traceFlagNames(3)).toEqual(['sampled', 'random']);
    expect(traceFlagNames(0x82)).toEqual(['random', '0x80']);
  });
});
