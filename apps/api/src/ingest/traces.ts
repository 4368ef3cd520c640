/**
 * OTLP/HTTP JSON trace ingest: validate the whole request first, then store every span in one transaction.
 */
import {
  Attr,
  IngestLimits,
  attributeString,
  exportTraceServiceRequestSchema,
  type ParsedTraceRequest,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { Prisma, type Span } from '../generated/sqlite/client.ts';
import { insertInChunks, rowsPerStatement } from './store.ts';
import { InvalidInputError, boundedAttribute, parseOrThrow, type FieldIssue } from './validation.ts';

const MAX_ISSUES = 20;

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
  const issues: FieldIssue[] = [];
  const seen = new Map<string, string>();
  request.resourceSpans.forEach((rs, ri) => {
    const at = `resourceSpans.${ri}.resource.attributes`;
    const name = (key: string) =>
      boundedAttribute(rs.resource.attributes, key, IngestLimits.maxNameLength, at, issues);
    if (!attributeString(rs.resource.attributes, Attr.serviceName)) {
      issues.push({ path: at, message: `resource attribute "${Attr.serviceName}" is required` });
      return;
    }
    const service = name(Attr.serviceName);
    const namespace = name(Attr.serviceNamespace) ?? 'default';
    const version = name(Attr.serviceVersion) ?? 'unknown';
    if (service === undefined) return; // too long: the issue is recorded
    rs.scopeSpans.forEach((ss, si) => {
      ss.spans.forEach((span, pi) => {
        const key = `${span.traceId}/${span.spanId}`;
        const first = seen.get(key);
        if (first !== undefined) {
          issues.push({
            path: `resourceSpans.${ri}.scopeSpans.${si}.spans.${pi}.spanId`,
            message: `span ${key} appears twice in one request (first at ${first})`,
          });
          return;
        }
        seen.set(key, `resourceSpans.${ri}.scopeSpans.${si}.spans.${pi}`);
        const status = attributeString(span.attributes, Attr.httpStatus);
        const httpStatus = status !== undefined && /^\d{1,3}$/.test(status) ? Number(status) : null;
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
      });
    });
  });
  if (issues.length > 0) {
    throw new InvalidInputError('invalid OTLP ExportTraceServiceRequest', issues.slice(0, MAX_ISSUES));
  }
  return rows;
}

export function parseTraceRequest(body: unknown): SpanRow[] {
  const request = parseOrThrow(exportTraceServiceRequestSchema, body, 'OTLP ExportTraceServiceRequest');
  return spanRowsFromRequest(request);
}

const SPAN_COLUMNS = 14;

function insertSpans(rows: readonly SpanRow[]): Prisma.Sql {
  const values = rows.map(
    (r) =>
      Prisma.sql`(${r.traceId}, ${r.spanId}, ${r.parentSpanId}, ${r.name}, ${r.kind}, ${r.service}, ${r.namespace}, ${r.version}, ${r.startUs}, ${r.durationUs}, ${r.statusCode}, ${r.statusMessage}, ${r.httpStatus}, ${r.attributes})`,
  );
  // ON CONFLICT DO NOTHING is the same in SQLite and PostgreSQL: a span already stored (a retried batch) is skipped.
  return Prisma.sql`INSERT INTO "Span" ("traceId", "spanId", "parentSpanId", "name", "kind", "service", "namespace", "version", "startUs", "durationUs", "statusCode", "statusMessage", "httpStatus", "attributes") VALUES ${Prisma.join(values)} ON CONFLICT DO NOTHING`;
}

/** Stores the spans in one transaction; spans already stored are counted as duplicates, not errors. */
export async function storeSpans(db: Db, rows: SpanRow[]): Promise<IngestResult> {
  const accepted = await insertInChunks(db, rows, rowsPerStatement(SPAN_COLUMNS), insertSpans, 'trace batch');
  return { accepted, duplicates: rows.length - accepted };
}
