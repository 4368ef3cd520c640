import { TRPCError } from '@trpc/server';
import {
  StatusCode,
  adjustClockSkew,
  hostKeyOf,
  type SpanView,
  type TraceClockSkew,
  type TimeWindow,
  type TraceDetail,
  type TraceSummary,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { Span } from '../generated/sqlite/client.ts';
import { parseAttributes, parseEvents, parseLinks, parseScope } from './trace-columns.ts';

export interface TraceSearch {
  window: TimeWindow;
  namespace?: string;
  service?: string;
  minDurationMs?: number;
  errorsOnly: boolean;
  limit: number;
}

type StoredSpan = Pick<Span, keyof typeof spanSelect>;
type DetailedSpan = Pick<Span, keyof typeof detailSelect>;

/** Linked traces looked up per trace, at most: a span may carry many links, the lookup must stay bounded. */
const MAX_LINKED_TRACES = 500;

const spanSelect = {
  traceId: true,
  spanId: true,
  parentSpanId: true,
  name: true,
  kind: true,
  service: true,
  namespace: true,
  startUs: true,
  durationUs: true,
  statusCode: true,
  statusMessage: true,
  attributes: true,
} as const;

/** A trace's detail also shows what OTLP carried beside the span itself. */
const detailSelect = {
  ...spanSelect,
  traceState: true,
  flags: true,
  events: true,
  links: true,
  resource: true,
  scope: true,
} as const;

const KIND_NAMES: SpanView['kind'][] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];
const STATUS_NAMES: SpanView['status'][] = ['unset', 'ok', 'error'];

/** The root: a span with no parent, or whose parent never arrived; the earliest such span wins. */
function findRoot(spans: StoredSpan[]): StoredSpan {
  const ids = new Set(spans.map((s) => s.spanId));
  const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
  const candidates = roots.length > 0 ? roots : spans;
  return candidates.reduce((a, b) => (b.startUs < a.startUs ? b : a));
}

function summarize(traceId: string, spans: StoredSpan[]): TraceSummary {
  const root = findRoot(spans);
  let start = spans[0]!.startUs;
  let end = start;
  let errors = 0;
  const services = new Set<string>();
  for (const s of spans) {
    if (s.startUs < start) start = s.startUs;
    if (s.startUs + s.durationUs > end) end = s.startUs + s.durationUs;
    if (s.statusCode === StatusCode.ERROR) errors++;
    services.add(`${s.namespace}/${s.service}`);
  }
  return {
    traceId,
    rootService: `${root.namespace}/${root.service}`,
    rootName: root.name,
    startMs: Number(start / 1000n),
    durationMs: Number(end - start) / 1000,
    spanCount: spans.length,
    errorCount: errors,
    services: [...services].sort(),
  };
}

function groupByTrace(spans: StoredSpan[]): Map<string, StoredSpan[]> {
  const byTrace = new Map<string, StoredSpan[]>();
  for (const s of spans) {
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  return byTrace;
}

/** Most recent traces first. Filters apply to whole traces (any span of the service, any error). */
export async function searchTraces(db: Db, search: TraceSearch): Promise<TraceSummary[]> {
  const fromUs = BigInt(search.window.fromMs) * 1000n;
  const toUs = BigInt(search.window.toMs) * 1000n;
  const scan = Math.min(2000, search.limit * (search.errorsOnly || search.minDurationMs ? 20 : 2));
  const candidates = await db.span.findMany({
    where: {
      startUs: { gte: fromUs, lt: toUs },
      ...(search.service ? { service: search.service } : {}),
      ...(search.namespace ? { namespace: search.namespace } : {}),
      ...(search.errorsOnly ? { statusCode: StatusCode.ERROR } : {}),
      ...(search.service || search.namespace || search.errorsOnly ? {} : { parentSpanId: null }),
    },
    select: { traceId: true },
    orderBy: { startUs: 'desc' },
    take: scan,
  });
  const traceIds = [...new Set(candidates.map((c) => c.traceId))];
  if (traceIds.length === 0) return [];
  const spans = await db.span.findMany({ where: { traceId: { in: traceIds } }, select: spanSelect });
  const byTrace = groupByTrace(spans);
  const summaries: TraceSummary[] = [];
  for (const traceId of traceIds) {
    const list = byTrace.get(traceId);
    if (!list) continue;
    const summary = summarize(traceId, list);
    if (search.minDurationMs !== undefined && summary.durationMs < search.minDurationMs) continue;
    if (search.errorsOnly && summary.errorCount === 0) continue;
    summaries.push(summary);
  }
  summaries.sort((a, b) => b.startMs - a.startMs);
  return summaries.slice(0, search.limit);
}

export async function getTrace(db: Db, traceId: string): Promise<TraceDetail> {
  const spans = await db.span.findMany({
    where: { traceId },
    select: detailSelect,
    orderBy: { startUs: 'asc' },
  });
  if (spans.length === 0) {
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `trace ${traceId} was not found (it may not have arrived yet, or has expired)`,
    });
  }
  const start = spans[0]!.startUs;
  let end = start;
  for (const s of spans) if (s.startUs + s.durationUs > end) end = s.startUs + s.durationUs;
  const views = spans.map((s) => toSpanView(s, start));
  const clockSkew = applyClockSkew(views);
  await markStoredLinks(db, traceId, views);
  return {
    traceId,
    startMs: Number(start / 1000n),
    durationUs: Number(end - start),
    spans: views,
    clockSkew,
  };
}

function toSpanView(s: DetailedSpan, traceStartUs: bigint): SpanView {
  return {
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    kind: KIND_NAMES[s.kind] ?? 'unspecified',
    service: s.service,
    namespace: s.namespace,
    startMs: Number(s.startUs / 1000n),
    offsetUs: Number(s.startUs - traceStartUs),
    durationUs: Number(s.durationUs),
    status: STATUS_NAMES[s.statusCode] ?? 'unset',
    statusMessage: s.statusMessage,
    attributes: parseAttributes(s.attributes),
    traceState: s.traceState,
    flags: s.flags,
    events: parseEvents(s.events, s.startUs),
    links: parseLinks(s.links),
    resource: parseAttributes(s.resource),
    scope: parseScope(s.scope),
    skewAdjustmentUs: 0,
  };
}

/** Fills each span's `skewAdjustmentUs` / `skewWarning` (Jaeger's adjuster) and sums it up for the header. */
function applyClockSkew(spans: SpanView[]): TraceClockSkew {
  const { adjustmentUs, longerThanParent } = adjustClockSkew(
    spans.map((s) => ({
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      startUs: s.offsetUs,
      durationUs: s.durationUs,
      hostKey: hostKeyOf(s.resource, s.namespace, s.service),
    })),
  );
  let maxAdjustmentUs = 0;
  for (const s of spans) {
    const delta = adjustmentUs.get(s.spanId);
    if (delta !== undefined) {
      s.skewAdjustmentUs = delta;
      maxAdjustmentUs = Math.max(maxAdjustmentUs, Math.abs(delta));
    }
    if (longerThanParent.has(s.spanId)) s.skewWarning = 'longer-than-parent';
  }
  return { adjustedSpans: adjustmentUs.size, maxAdjustmentUs, unadjustedSpans: longerThanParent.size };
}

/** Sets `traceStored` on links whose trace has at least one stored span (a link into the same trace always). */
async function markStoredLinks(db: Db, traceId: string, spans: SpanView[]): Promise<void> {
  const linked = new Set<string>();
  for (const s of spans) for (const l of s.links) if (l.traceId !== traceId) linked.add(l.traceId);
  const ids = [...linked].slice(0, MAX_LINKED_TRACES);
  const stored = new Set([traceId]);
  if (ids.length > 0) {
    const found = await db.span.findMany({
      where: { traceId: { in: ids } },
      select: { traceId: true },
      distinct: ['traceId'],
    });
    for (const f of found) stored.add(f.traceId);
  }
  for (const s of spans) for (const l of s.links) l.traceStored = stored.has(l.traceId);
}
