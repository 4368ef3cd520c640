/**
 * Golden signals for services that send OTLP themselves, without a Weft proxy: like the OpenTelemetry
 * Collector's span-metrics connector, every SERVER and CONSUMER span counts as one request of its service
 * (one EdgePoint, count 1, its duration in its latency bucket, reporter inbound). Its source is the service of
 * its parent when that is a CLIENT/PRODUCER span of another service (in the batch or already stored), else
 * unknown. When that caller has no Weft proxy either, its span also gives the caller's (outbound) view of the
 * request, as the Collector's service-graph connector pairs client and server spans: the graph draws edges
 * from the callers' view.
 *
 * Nothing is counted twice: spans a Weft proxy reported are skipped (its histograms already count them), and so
 * are services that have a registered Weft proxy. Points are identified `span:<traceId>:<spanId>`: inbound
 * points are stored with their span, only when the span is newly stored; outbound points by that identity.
 * A retried batch counts once.
 *
 * Status: `http.response.status_code` (or the older `http.status_code`) and `rpc.grpc.status_code`, as the
 * proxies report them. A span with ERROR status whose HTTP status does not already count as failed is stored
 * with status 0 ("no response") so that it counts as failed; a successful span without an HTTP status (a
 * consumer, a gRPC call) is stored as 200, the status a gRPC answer carries.
 */
import {
  Attr,
  EXTERNAL_NAMESPACE,
  NO_GRPC_STATUS,
  WEFT_PROXY_SCOPE_NAME,
  SpanKind,
  StatusCode,
  UNKNOWN_SERVICE,
  bucketIndex,
  emptyBuckets,
  isFailedRequest,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { EdgePoint } from './edge-point.ts';
import { learnExternalAlias, reportsHistograms } from './external-aliases.ts';
import type { IngestSpan, SpanRow } from './traces.ts';

/** Parent spans looked up per query. */
const PARENTS_PER_QUERY = 200;

const isServerSide = (kind: number) => kind === SpanKind.SERVER || kind === SpanKind.CONSUMER;
const isCallerSide = (kind: number) => kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER;

/** `traceId/spanId`, the key of a span in a batch and of its span-metrics point. */
export const spanKey = (s: { traceId: string; spanId: string }) => `${s.traceId}/${s.spanId}`;

export const workloadKey = (r: Pick<SpanRow, 'namespace' | 'service'>) => `${r.namespace}/${r.service}`;

function statusOf(span: IngestSpan): { statusCode: number; grpcStatus: number } {
  const grpcStatus = span.grpcStatus ?? NO_GRPC_STATUS;
  let statusCode = span.row.httpStatus ?? 200;
  if (span.row.statusCode === StatusCode.ERROR && !isFailedRequest(statusCode, grpcStatus)) statusCode = 0;
  return { statusCode, grpcStatus };
}

/** One request, as the span that measured it saw it: its timing, status and latency bucket. */
function measured(span: IngestSpan) {
  const r = span.row;
  const startMs = Number(r.startUs) / 1000;
  const latencyMs = Number(r.durationUs) / 1000;
  const buckets = emptyBuckets();
  buckets[bucketIndex(latencyMs)] = 1;
  return {
    identity: `span:${r.traceId}:${r.spanId}`,
    windowStartMs: Math.floor(startMs),
    windowEndMs: Math.floor(startMs + latencyMs),
    ...statusOf(span),
    count: 1,
    sumMs: latencyMs,
    maxMs: latencyMs,
    buckets,
  };
}

/** The caller of a server-side span: its parent, when that is a CLIENT/PRODUCER span of another service. */
function callerOf(server: IngestSpan, parent: IngestSpan | undefined): IngestSpan | undefined {
  if (!parent || !isCallerSide(parent.row.kind)) return undefined;
  return workloadKey(parent.row) === workloadKey(server.row) ? undefined : parent;
}

/** The destination's view (inbound) of the request a server-side span handled. */
export function inboundPoint(server: IngestSpan, caller: IngestSpan | undefined): EdgePoint {
  const r = server.row;
  return {
    ...measured(server),
    reporter: 'inbound',
    sourceNamespace: caller?.row.namespace ?? '',
    sourceService: caller?.row.service ?? UNKNOWN_SERVICE,
    sourceVersion: caller?.row.version ?? '',
    destNamespace: r.namespace,
    destService: r.service,
    destVersion: r.version,
  };
}

/**
 * The caller's view (outbound) of the same request, from its CLIENT/PRODUCER span — what a Weft proxy on the
 * caller's side would report, and what draws the edge between the two on the graph (as the Collector's
 * service-graph connector pairs client and server spans).
 */
export function outboundPoint(caller: IngestSpan, server: IngestSpan): EdgePoint {
  return {
    ...measured(caller),
    reporter: 'outbound',
    sourceNamespace: caller.row.namespace,
    sourceService: caller.row.service,
    sourceVersion: caller.row.version,
    destNamespace: server.row.namespace,
    destService: server.row.service,
    destVersion: server.row.version,
  };
}

/**
 * A Weft proxy's egress call answered by a service that reports its own spans: the external host the proxy
 * saw is that service (external-aliases.ts).
 */
function learnAliasFromEgress(db: Db, caller: IngestSpan, server: IngestSpan): void {
  let attributes: Record<string, string>;
  try {
    attributes = JSON.parse(caller.row.attributes) as Record<string, string>;
  } catch {
    return;
  }
  const host = attributes[Attr.peerService];
  if (attributes[Attr.peerNamespace] !== EXTERNAL_NAMESPACE || host === undefined) return;
  learnExternalAlias(db, host, { namespace: server.row.namespace, service: server.row.service });
}

/** Services (namespace/service) among `rows` that have a registered Weft proxy. */
export async function proxiedServices(
  db: Db,
  rows: readonly Pick<SpanRow, 'namespace' | 'service'>[],
): Promise<Set<string>> {
  const services = new Map<string, { namespace: string; service: string }>();
  for (const r of rows) services.set(workloadKey(r), { namespace: r.namespace, service: r.service });
  if (services.size === 0) return new Set();
  const found = await db.serviceInstance.findMany({
    where: { OR: [...services.values()] },
    select: { namespace: true, service: true },
    distinct: ['namespace', 'service'],
  });
  return new Set(found.map(workloadKey));
}

/** A stored span read back with what span-metrics need to know about it. */
function storedSpan(row: SpanRow): IngestSpan {
  const attributes = JSON.parse(row.attributes) as Record<string, string>;
  const scope = JSON.parse(row.scope) as { name?: string };
  const grpc = attributes[Attr.grpcStatus];
  return {
    row,
    fromWeftProxy: scope.name === WEFT_PROXY_SCOPE_NAME || attributes[Attr.reporter] !== undefined,
    grpcStatus: grpc !== undefined && /^\d{1,2}$/.test(grpc) ? Number(grpc) : undefined,
  };
}

/** Parents of `children` already stored (not in this batch). */
async function storedParents(db: Db, children: readonly IngestSpan[]): Promise<Map<string, IngestSpan>> {
  const wanted = children.map((c) => ({ traceId: c.row.traceId, spanId: c.row.parentSpanId as string }));
  const out = new Map<string, IngestSpan>();
  for (let i = 0; i < wanted.length; i += PARENTS_PER_QUERY) {
    const rows = await db.span.findMany({ where: { OR: wanted.slice(i, i + PARENTS_PER_QUERY) } });
    for (const row of rows) out.set(spanKey(row), storedSpan(row));
  }
  return out;
}

export interface SpanMetrics {
  /** The destination's view of each counted server-side span, keyed `traceId/spanId` (stored with the span). */
  inbound: Map<string, EdgePoint>;
  /** The callers' view, when the caller is a span of a service without a Weft proxy (stored by identity). */
  outbound: EdgePoint[];
}

/**
 * The span-metrics points of a batch. The caller of a span is its parent, found in the batch or among the spans
 * already stored.
 */
export async function spanMetricPoints(db: Db, spans: readonly IngestSpan[]): Promise<SpanMetrics> {
  const result: SpanMetrics = { inbound: new Map(), outbound: [] };
  const candidates = spans.filter((s) => isServerSide(s.row.kind) && !s.fromWeftProxy);
  if (candidates.length === 0) return result;
  const inBatch = new Map<string, IngestSpan>(spans.map((s) => [spanKey(s.row), s]));
  const parentKey = (s: IngestSpan) =>
    s.row.parentSpanId ? spanKey({ traceId: s.row.traceId, spanId: s.row.parentSpanId }) : undefined;
  const missing = candidates.filter((s) => {
    const key = parentKey(s);
    return key !== undefined && !inBatch.has(key);
  });
  const stored = missing.length > 0 ? await storedParents(db, missing) : new Map<string, IngestSpan>();
  const pairs = candidates.map((server) => {
    const key = parentKey(server);
    const parent = key === undefined ? undefined : (inBatch.get(key) ?? stored.get(key));
    return { server, caller: callerOf(server, parent) };
  });
  const proxied = await proxiedServices(db, [
    ...candidates.map((s) => s.row),
    ...pairs.flatMap((p) => (p.caller ? [p.caller.row] : [])),
  ]);
  for (const { server, caller } of pairs) {
    if (proxied.has(workloadKey(server.row))) continue;
    if (caller?.fromWeftProxy) learnAliasFromEgress(db, caller, server);
    // Its own request-duration histograms already count every request (not only the sampled ones).
    if (reportsHistograms(db, server.row)) continue;
    result.inbound.set(spanKey(server.row), inboundPoint(server, caller));
    if (caller && !caller.fromWeftProxy && !proxied.has(workloadKey(caller.row))) {
      result.outbound.push(outboundPoint(caller, server));
    }
  }
  return result;
}
