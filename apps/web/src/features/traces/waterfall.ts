import type { SpanView, TraceDetail } from '@weft/schema';

export interface WaterfallRow {
  span: SpanView;
  depth: number;
  childCount: number;
  /** Ids of the ancestors, root first (used to hide collapsed subtrees). */
  ancestors: string[];
  /** The span names a parent that is not in the trace (yet): drawn as a root. */
  orphan: boolean;
}

/**
 * Orders spans depth-first (children by start time) and computes each one's depth from parent links. Spans
 * whose parent is missing become roots; a malformed cycle can't loop forever.
 */
export function waterfallRows(trace: TraceDetail): WaterfallRow[] {
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  const children = new Map<string, SpanView[]>();
  const roots: SpanView[] = [];
  for (const s of trace.spans) {
    if (s.parentSpanId && s.parentSpanId !== s.spanId && byId.has(s.parentSpanId)) {
      const list = children.get(s.parentSpanId);
      if (list) list.push(s);
      else children.set(s.parentSpanId, [s]);
    } else {
      roots.push(s);
    }
  }
  const byStart = (a: SpanView, b: SpanView) => a.offsetUs - b.offsetUs || a.name.localeCompare(b.name);
  roots.sort(byStart);
  for (const list of children.values()) list.sort(byStart);

  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const walk = (span: SpanView, depth: number, ancestors: string[]) => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    const kids = children.get(span.spanId) ?? [];
    rows.push({
      span,
      depth,
      childCount: kids.length,
      ancestors,
      orphan: depth === 0 && span.parentSpanId !== null,
    });
    const next = [...ancestors, span.spanId];
    for (const k of kids) walk(k, depth + 1, next);
  };
  for (const r of roots) walk(r, 0, []);
  // Spans caught in a parent cycle were never reached from a root: show them at the end rather than drop them.
  for (const s of trace.spans) if (!seen.has(s.spanId)) walk(s, 0, []);
  return rows;
}

/** Nice tick spacing for a duration axis (1, 2, 5 × 10^n microseconds). */
export function timeTicks(totalUs: number, count = 5): number[] {
  if (totalUs <= 0) return [0];
  const raw = totalUs / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= totalUs + 1e-9; t += step) ticks.push(t);
  return ticks;
}
