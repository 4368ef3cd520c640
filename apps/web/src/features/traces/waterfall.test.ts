import type { SpanView, TraceDetail } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { timeTicks, waterfallRows } from './waterfall.ts';

function span(spanId: string, parentSpanId: string | null, offsetUs: number): SpanView {
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
  };
}

function trace(spans: SpanView[]): TraceDetail {
  return { traceId: 't'.repeat(32), startMs: 0, durationUs: 100, spans };
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
