/**
 * OTLP/HTTP JSON trace ingest: validate the whole request first, then store every span in one transaction.
 */
import {
  Attr,
  attributeString,
  exportTraceServiceRequestSchema,
  type ParsedTraceRequest,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { Prisma, type Span } from '../generated/sqlite/client.ts';
import { InvalidInputError, parseOrThrow } from './validation.ts';

/** A span as stored. */
export type SpanRow = Span;

export interface IngestResult {
  accepted: number;
  /** Spans already stored (a retried batch); skipped, not an error. */
  duplicates: number;
}

type Attributes = ParsedTraceRequest['resourceSpans'][number]['resource']['attributes'];

function attributesToJson(attributes: Attributes): string {
  const out: Record<string, string> = {};
  for (const a of attributes) out[a.key] = attributeString(attributes, a.key) ?? '';
  return JSON.stringify(out);
}

export function spanRowsFromRequest(request: ParsedTraceRequest): SpanRow[] {
  const rows: SpanRow[] = [];
  request.resourceSpans.forEach((rs, ri) => {
    const service = attributeString(rs.resource.attributes, Attr.serviceName);
    if (!service) {
      throw new InvalidInputError('invalid OTLP ExportTraceServiceRequest', [
        {
          path: `resourceSpans.${ri}.resource.attributes`,
          message: `resource attribute "${Attr.serviceName}" is required`,
        },
      ]);
    }
    const namespace = attributeString(rs.resource.attributes, Attr.serviceNamespace) ?? 'default';
    const version = attributeString(rs.resource.attributes, Attr.serviceVersion) ?? 'unknown';
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const status = attributeString(span.attributes, Attr.httpStatus);
        const httpStatus = status !== undefined && /^\d+$/.test(status) ? Number(status) : null;
        rows.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ? span.parentSpanId : null,
          name: span.name,
          kind: span.kind,
          service,
          namespace,
          version,
          startUs: span.startTimeUnixNano / 1000n,
          durationUs: (span.endTimeUnixNano - span.startTimeUnixNano) / 1000n,
          statusCode: span.status.code,
          statusMessage: span.status.message ? span.status.message : null,
          httpStatus,
          attributes: attributesToJson(span.attributes),
        });
      }
    }
  });
  return rows;
}

export function parseTraceRequest(body: unknown): SpanRow[] {
  const request = parseOrThrow(exportTraceServiceRequestSchema, body, 'OTLP ExportTraceServiceRequest');
  const rows = spanRowsFromRequest(request);
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const key = `${r.traceId}/${r.spanId}`;
    if (seen.has(key)) {
      throw new InvalidInputError('invalid OTLP ExportTraceServiceRequest', [
        { path: `span #${i}`, message: `span ${key} appears twice in one request` },
      ]);
    }
    seen.add(key);
  });
  return rows;
}

/** Rows per INSERT statement: 14 parameters each keeps a statement well under SQLite's parameter limit. */
const INSERT_CHUNK = 500;

function insertSpans(rows: SpanRow[]) {
  const values = rows.map(
    (r) =>
      Prisma.sql`(${r.traceId}, ${r.spanId}, ${r.parentSpanId}, ${r.name}, ${r.kind}, ${r.service}, ${r.namespace}, ${r.version}, ${r.startUs}, ${r.durationUs}, ${r.statusCode}, ${r.statusMessage}, ${r.httpStatus}, ${r.attributes})`,
  );
  // ON CONFLICT DO NOTHING is the same in SQLite and PostgreSQL: a span already stored (a retried batch) is skipped.
  return Prisma.sql`INSERT INTO "Span" ("traceId", "spanId", "parentSpanId", "name", "kind", "service", "namespace", "version", "startUs", "durationUs", "statusCode", "statusMessage", "httpStatus", "attributes") VALUES ${Prisma.join(values)} ON CONFLICT DO NOTHING`;
}

/** Stores the spans in one transaction; spans already stored are counted as duplicates, not errors. */
export async function storeSpans(db: Db, rows: SpanRow[]): Promise<IngestResult> {
  if (rows.length === 0) return { accepted: 0, duplicates: 0 };
  const accepted = await db.$transaction(async (tx) => {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      inserted += await tx.$executeRaw(insertSpans(rows.slice(i, i + INSERT_CHUNK)));
    }
    return inserted;
  });
  return { accepted, duplicates: rows.length - accepted };
}
