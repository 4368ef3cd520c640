/**
 * OTLP trace ingest (JSON and protobuf, both decoded to the same object shape first): every span is parsed on
 * its own, so one bad span refuses only itself (OTLP partial success); the request is refused as a whole (400)
 * only when every span in it was. Spans keep their trace state, flags, events, links, resource and scope.
 */
import {
  Attr,
  IngestLimits,
  LEGACY_HTTP_STATUS_ATTRIBUTE,
  OTLP_DEFAULT_NAMESPACE,
  OTLP_UNKNOWN_VERSION,
  WEFT_PROXY_SCOPE_NAME,
  attributeString,
  attributesRecord,
  parseTracestate,
  resourceSchema,
  scopeSchema,
  spanSchema,
  traceRequestEnvelopeSchema,
  type ParsedAttributes,
  type ParsedSpan,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { Prisma, type Span } from '../generated/sqlite/client.ts';
import type { EdgePoint } from './edge-point.ts';
import { addEdgePointsInTransaction, prepareSeries } from './rollup-store.ts';
import { dataRefusal, rowsPerStatement } from './store.ts';
import {
  InvalidInputError,
  Refusals,
  boundedAttribute,
  issuesFromZod,
  parseOrThrow,
  type FieldIssue,
} from './validation.ts';
import { yieldToEventLoop } from './write-queue.ts';

/** A span as stored. */
export type SpanRow = Span;

/** A parsed span and what span-metrics need to know about it beyond its row. */
export interface IngestSpan {
  row: SpanRow;
  /** Reported by a Weft proxy (its instrumentation scope or `weft.reporter`): already in its histograms. */
  fromWeftProxy: boolean;
  /** `rpc.grpc.status_code`, when the span has one. */
  grpcStatus: number | undefined;
}

export interface TraceBatch {
  spans: IngestSpan[];
  /** Spans in the request, stored or refused. */
  received: number;
  refused: Refusals;
}

export interface IngestResult {
  accepted: number;
  /** Spans already stored (a retried batch); skipped, not an error. */
  duplicates: number;
}

const NANOS_PER_US = 1000n;

function statusAttribute(attributes: ParsedAttributes): number | null {
  const status =
    attributeString(attributes, Attr.httpStatus) ?? attributeString(attributes, LEGACY_HTTP_STATUS_ATTRIBUTE);
  return status !== undefined && /^\d{1,3}$/.test(status) ? Number(status) : null;
}

/** A W3C tracestate as stored: re-joined when valid, '' when invalid (the spec: drop a list you cannot parse). */
function traceStateOf(raw: string): string {
  if (raw === '') return '';
  const parsed = parseTracestate(raw);
  return parsed.ok ? parsed.header : '';
}

function countSpans(scopeSpans: readonly { spans?: readonly unknown[] | null }[] | null | undefined): number {
  let n = 0;
  for (const ss of scopeSpans ?? []) n += ss.spans?.length ?? 0;
  return n;
}

interface Workload {
  service: string;
  namespace: string;
  version: string;
}

function spanRow(span: ParsedSpan, workload: Workload, resource: string, scope: string): SpanRow {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ? span.parentSpanId : null,
    name: span.name,
    kind: span.kind,
    service: workload.service,
    namespace: workload.namespace,
    version: workload.version,
    startUs: span.startTimeUnixNano / NANOS_PER_US,
    durationUs: (span.endTimeUnixNano - span.startTimeUnixNano) / NANOS_PER_US,
    statusCode: span.status.code,
    statusMessage: span.status.message ? span.status.message : null,
    httpStatus: statusAttribute(span.attributes),
    attributes: JSON.stringify(attributesRecord(span.attributes)),
    traceState: traceStateOf(span.traceState),
    // Bits 0-7 are the W3C trace flags; the is-remote bits above them say nothing about the trace.
    flags: span.flags & 0xff,
    events: JSON.stringify(
      span.events.map((e) => ({
        name: e.name,
        timeUs: Number(e.timeUnixNano / NANOS_PER_US),
        attributes: attributesRecord(e.attributes),
      })),
    ),
    links: JSON.stringify(
      span.links.map((l) => ({
        traceId: l.traceId,
        spanId: l.spanId,
        traceState: traceStateOf(l.traceState),
        attributes: attributesRecord(l.attributes),
      })),
    ),
    resource,
    scope,
  };
}

/** Parses an ExportTraceServiceRequest span by span. Throws (400) only for a broken envelope or all refused. */
export function parseTraceBatch(body: unknown): TraceBatch {
  const envelope = parseOrThrow(traceRequestEnvelopeSchema, body, 'OTLP ExportTraceServiceRequest');
  const refused = new Refusals();
  const spans: IngestSpan[] = [];
  const seen = new Map<string, string>();
  let received = 0;
  (envelope.resourceSpans ?? []).forEach((rs, ri) => {
    const base = `resourceSpans.${ri}`;
    const inResource = countSpans(rs.scopeSpans);
    received += inResource;
    const resource = resourceSchema.safeParse(rs.resource ?? undefined);
    if (!resource.success) {
      refused.add(inResource, issuesFromZod(resource.error, 20, `${base}.resource`));
      return;
    }
    const attributes = resource.data.attributes;
    const at = `${base}.resource.attributes`;
    const issues: FieldIssue[] = [];
    const name = (key: string) => boundedAttribute(attributes, key, IngestLimits.maxNameLength, at, issues);
    if (!attributeString(attributes, Attr.serviceName)) {
      issues.push({ path: at, message: `resource attribute "${Attr.serviceName}" is required` });
    }
    const workload = {
      service: name(Attr.serviceName) ?? '',
      namespace: name(Attr.serviceNamespace) ?? OTLP_DEFAULT_NAMESPACE,
      version: name(Attr.serviceVersion) ?? OTLP_UNKNOWN_VERSION,
    };
    if (issues.length > 0) {
      refused.add(inResource, issues);
      return;
    }
    const resourceJson = JSON.stringify(attributesRecord(attributes));
    (rs.scopeSpans ?? []).forEach((ss, si) => {
      const scopeBase = `${base}.scopeSpans.${si}`;
      const scope = scopeSchema.safeParse(ss.scope ?? undefined);
      if (!scope.success) {
        refused.add(ss.spans?.length ?? 0, issuesFromZod(scope.error, 20, `${scopeBase}.scope`));
        return;
      }
      const scopeName = scope.data?.name ?? '';
      const scopeJson = JSON.stringify({
        name: scopeName,
        version: scope.data?.version ?? '',
        attributes: attributesRecord(scope.data?.attributes ?? []),
      });
      (ss.spans ?? []).forEach((raw, pi) => {
        const path = `${scopeBase}.spans.${pi}`;
        const parsed = spanSchema.safeParse(raw);
        if (!parsed.success) {
          refused.add(1, issuesFromZod(parsed.error, 20, path));
          return;
        }
        const span = parsed.data;
        const key = `${span.traceId}/${span.spanId}`;
        const first = seen.get(key);
        if (first !== undefined) {
          refused.add(1, [
            {
              path: `${path}.spanId`,
              message: `span ${key} appears twice in one request (first at ${first})`,
            },
          ]);
          return;
        }
        seen.set(key, path);
        const grpc = attributeString(span.attributes, Attr.grpcStatus);
        spans.push({
          row: spanRow(span, workload, resourceJson, scopeJson),
          fromWeftProxy:
            scopeName === WEFT_PROXY_SCOPE_NAME ||
            attributeString(span.attributes, Attr.reporter) !== undefined,
          grpcStatus: grpc !== undefined && /^\d{1,2}$/.test(grpc) ? Number(grpc) : undefined,
        });
      });
    });
  });
  if (received > 0 && spans.length === 0) {
    throw new InvalidInputError(
      `every span of this OTLP ExportTraceServiceRequest was refused (${refused.count})`,
      refused.reasons,
    );
  }
  return { spans, received, refused };
}

/** The rows of a request (tests and tools); refused spans are left out. */
export function parseTraceRequest(body: unknown): SpanRow[] {
  return parseTraceBatch(body).spans.map((s) => s.row);
}

const SPAN_COLUMNS = 20;
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 60_000 } as const;

function insertSpans(rows: readonly SpanRow[]): Prisma.Sql {
  const values = rows.map(
    (r) =>
      Prisma.sql`(${r.traceId}, ${r.spanId}, ${r.parentSpanId}, ${r.name}, ${r.kind}, ${r.service}, ${r.namespace}, ${r.version}, ${r.startUs}, ${r.durationUs}, ${r.statusCode}, ${r.statusMessage}, ${r.httpStatus}, ${r.attributes}, ${r.traceState}, ${r.flags}, ${r.events}, ${r.links}, ${r.resource}, ${r.scope})`,
  );
  // ON CONFLICT DO NOTHING is the same in SQLite and PostgreSQL: a span already stored (a retried batch) is
  // skipped, and RETURNING names the spans this statement stored (their span-metrics are counted with them).
  return Prisma.sql`INSERT INTO "Span" ("traceId", "spanId", "parentSpanId", "name", "kind", "service", "namespace", "version", "startUs", "durationUs", "statusCode", "statusMessage", "httpStatus", "attributes", "traceState", "flags", "events", "links", "resource", "scope") VALUES ${Prisma.join(values)} ON CONFLICT DO NOTHING RETURNING "traceId", "spanId"`;
}

/**
 * Stores the spans in one transaction, with the span-metrics points (keyed `traceId/spanId`) of the spans it
 * newly stores: a retried batch stores nothing twice and counts no request twice. Spans already stored are
 * counted as duplicates, not errors.
 */
export async function storeSpans(
  db: Db,
  rows: readonly SpanRow[],
  spanMetrics: ReadonlyMap<string, EdgePoint> = new Map(),
): Promise<IngestResult> {
  if (rows.length === 0) return { accepted: 0, duplicates: 0 };
  try {
    const prepared = spanMetrics.size > 0 ? await prepareSeries(db, [...spanMetrics.values()]) : undefined;
    const accepted = await db.$transaction(async (tx) => {
      let stored = 0;
      const perStatement = rowsPerStatement(SPAN_COLUMNS);
      for (let i = 0; i < rows.length; i += perStatement) {
        const inserted = await tx.$queryRaw<{ traceId: string; spanId: string }[]>(
          insertSpans(rows.slice(i, i + perStatement)),
        );
        stored += inserted.length;
        const points: EdgePoint[] = [];
        for (const r of inserted) {
          const point = spanMetrics.get(`${r.traceId}/${r.spanId}`);
          if (point) points.push(point);
        }
        if (prepared && points.length > 0) await addEdgePointsInTransaction(tx, points, prepared);
        await yieldToEventLoop();
      }
      return stored;
    }, TRANSACTION_OPTIONS);
    return { accepted, duplicates: rows.length - accepted };
  } catch (err) {
    const refusal = dataRefusal(err);
    if (refusal) {
      throw new InvalidInputError('the database refused this trace batch', [
        { path: '(batch)', message: refusal },
      ]);
    }
    throw err;
  }
}
