import { TRPCError } from '@trpc/server';
import {
  StatusCode,
  type SpanView,
  type TimeWindow,
  type TraceDetail,
  type TraceSummary,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { Span } from '../generated/sqlite/client.ts';

export interface TraceSearch {
  window: TimeWindow;
  namespace?: string;
  service?: string;
  minDurationMs?: number;
  errorsOnly: boolean;
  limit: number;
}

type StoredSpan = Omit<Span, 'version' | 'httpStatus'>;

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
    select: spanSelect,
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
  return {
    traceId,
    startMs: Number(start / 1000n),
    durationUs: Number(end - start),
    spans: spans.map((s) => ({
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      kind: KIND_NAMES[s.kind] ?? 'unspecified',
      service: s.service,
      namespace: s.namespace,
      startMs: Number(s.startUs / 1000n),
      offsetUs: Number(s.startUs - start),
      durationUs: Number(s.durationUs),
      status: STATUS_NAMES[s.statusCode] ?? 'unset',
      statusMessage: s.statusMessage,
      attributes: JSON.parse(s.attributes) as Record<string, string>,
    })),
  };
}
