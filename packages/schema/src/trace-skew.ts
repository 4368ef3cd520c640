/**
 * Clock-skew adjustment of a trace, as Jaeger's query service does it (its `clockskew` adjuster): spans are
 * timed by the clock of the host that recorded them, so a server span recorded on another host than its client
 * parent can appear to start before the request was sent or to end after the answer arrived. Such a child is
 * moved so that it sits inside its parent, centred on the latency gap (half the time the parent spent waiting
 * before, half after); the spans below it that were recorded on its own host move with it. A child longer than
 * its parent can't be explained by skew (the timing itself is off), so it is left where it is and flagged.
 *
 * Pure: the API applies it when it answers `traces.get`; the console only draws the result.
 */

export interface SkewSpan {
  spanId: string;
  parentSpanId: string | null;
  /** Any common origin (epoch µs or µs since the trace start), as recorded. */
  startUs: number;
  durationUs: number;
  /** Which clock recorded the span (`hostKeyOf`); '' when unknown, which counts as another host. */
  hostKey: string;
}

export interface ClockSkewResult {
  /** µs to add to each moved span's start; spans not moved are absent. */
  adjustmentUs: Map<string, number>;
  /** Spans from another host than their parent's that don't fit in it and are longer than it: not moved. */
  longerThanParent: Set<string>;
}

/** Resource attributes that name the clock a span was timed with, most specific first. */
const HOST_ATTRIBUTES = ['host.id', 'host.name', 'service.instance.id'] as const;

/**
 * The clock a span was timed with: its host as the resource names it, or else the process instance (a Weft
 * proxy's `service.instance.id`), or else its service (a service's spans share one clock or a few synced ones).
 */
export function hostKeyOf(
  resource: Readonly<Record<string, string>>,
  namespace: string,
  service: string,
): string {
  for (const key of HOST_ATTRIBUTES) {
    const value = resource[key];
    if (value) return `${key}=${value}`;
  }
  return `service=${namespace}/${service}`;
}

/** How far to move `child` (whose parent is already in place) so it sits inside `parent`; 0 when it fits. */
function childSkew(
  child: SkewSpan,
  parentStartUs: number,
  parentDurationUs: number,
): { deltaUs: number; longer: boolean } {
  const childEnd = child.startUs + child.durationUs;
  const parentEnd = parentStartUs + parentDurationUs;
  if (child.startUs >= parentStartUs && childEnd <= parentEnd) return { deltaUs: 0, longer: false };
  if (child.durationUs > parentDurationUs) return { deltaUs: 0, longer: true };
  const latencyUs = Math.floor((parentDurationUs - child.durationUs) / 2);
  return { deltaUs: parentStartUs + latencyUs - child.startUs, longer: false };
}

export function adjustClockSkew(spans: readonly SkewSpan[]): ClockSkewResult {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, SkewSpan[]>();
  const roots: SkewSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && s.parentSpanId !== s.spanId && byId.has(s.parentSpanId)) {
      const list = children.get(s.parentSpanId);
      if (list) list.push(s);
      else children.set(s.parentSpanId, [s]);
    } else {
      roots.push(s);
    }
  }

  const result: ClockSkewResult = { adjustmentUs: new Map(), longerThanParent: new Set() };
  // Iterative walk (a trace may be thousands of spans deep in a bad case); `seen` guards against parent cycles,
  // whose spans are never reached from a root and so are never moved.
  const seen = new Set<string>();
  const stack: { span: SkewSpan; deltaUs: number }[] = roots.map((span) => ({ span, deltaUs: 0 }));
  while (stack.length > 0) {
    const { span: parent, deltaUs: parentDelta } = stack.pop()!;
    if (seen.has(parent.spanId)) continue;
    seen.add(parent.spanId);
    if (parentDelta !== 0) result.adjustmentUs.set(parent.spanId, parentDelta);
    const parentStart = parent.startUs + parentDelta;
    for (const child of children.get(parent.spanId) ?? []) {
      if (child.hostKey !== '' && child.hostKey === parent.hostKey) {
        // Same clock as its parent: whatever moved the parent moves the child too.
        stack.push({ span: child, deltaUs: parentDelta });
        continue;
      }
      // Another clock: the parent's correction says nothing about it; compare with the parent as placed.
      const { deltaUs, longer } = childSkew(child, parentStart, parent.durationUs);
      if (longer) result.longerThanParent.add(child.spanId);
      stack.push({ span: child, deltaUs });
    }
  }
  return result;
}
