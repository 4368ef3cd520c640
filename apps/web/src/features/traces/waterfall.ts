import type { SpanView, TraceDetail } from '@weft/schema';
import { formatUs } from '@/lib/format.ts';

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
 * Orders spans depth-first (children by drawn start time) and computes each one's depth from parent links. Spans
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
  // As drawn: a span moved for clock skew takes the place among its siblings that its bar has.
  const byStart = (a: SpanView, b: SpanView) =>
    drawnStartUs(a) - drawnStartUs(b) || a.name.localeCompare(b.name);
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

/** Where the waterfall draws a span: its recorded start moved by its clock-skew adjustment (µs). */
export function drawnStartUs(span: SpanView): number {
  return span.offsetUs + span.skewAdjustmentUs;
}

/**
 * The time axis of the waterfall: from the earliest drawn start to the latest drawn end. Drawn, not recorded:
 * a span whose skewed clock put it before everything else no longer starts there once adjusted.
 */
export function timelineExtent(trace: TraceDetail): { originUs: number; totalUs: number } {
  if (trace.spans.length === 0) return { originUs: 0, totalUs: Math.max(trace.durationUs, 1) };
  let first = Infinity;
  let last = -Infinity;
  for (const s of trace.spans) {
    first = Math.min(first, drawnStartUs(s));
    last = Math.max(last, drawnStartUs(s) + s.durationUs);
  }
  return { originUs: first, totalUs: Math.max(last - first, 1) };
}

/** A position on the timeline in percent, kept on the axis (an event recorded outside its span stays visible). */
export function timelinePercent(us: number, totalUs: number): number {
  return Math.min(100, Math.max(0, (us / totalUs) * 100));
}

/** "+12.3ms" / "−850µs": how far a span was moved to correct clock skew. */
export function formatSkew(us: number): string {
  const sign = us < 0 ? '−' : '+';
  return `${sign}${formatUs(Math.abs(us))}`;
}

/** W3C trace flags (Trace Context Level 2) as words: sampled (0x01), random (0x02), anything else by value. */
export function traceFlagNames(flags: number): string[] {
  const names: string[] = [];
  if (flags & 0x01) names.push('sampled');
  if (flags & 0x02) names.push('random');
  const other = flags & ~0x03;
  if (other) names.push(`0x${other.toString(16).padStart(2, '0')}`);
  return names;
}

/** The one-line summary of clock-skew adjustment for the trace header; null when nothing was touched. */
export function skewSummary(trace: TraceDetail): string | null {
  const { adjustedSpans, maxAdjustmentUs, unadjustedSpans } = trace.clockSkew;
  const parts: string[] = [];
  if (adjustedSpans > 0) {
    parts.push(
      `${adjustedSpans} span${adjustedSpans === 1 ? '' : 's'} adjusted for clock skew (up to ${formatUs(maxAdjustmentUs)})`,
    );
  }
  if (unadjustedSpans > 0) {
    parts.push(
      `${unadjustedSpans} span${unadjustedSpans === 1 ? '' : 's'} longer than ${unadjustedSpans === 1 ? 'its parent' : 'their parents'}, not adjusted`,
    );
  }
  return parts.length > 0 ? parts.join(' · ') : null;
}

/** The tooltip of every clock-skew note: what was done and why. */
export const SKEW_EXPLAINED =
  "Spans recorded on another host than their parent are timed by that host's clock. When such a span doesn't " +
  "fit inside its parent, it is moved (with the spans below it from the same host) to the middle of its parent's " +
  'waiting time, as Jaeger does. The recorded times are in the span details.';
