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
import { InvalidInputError, parseOrThrow } from './validation.ts';

export interface SpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  service: string;
  namespace: string;
  version: string;
  startUs: bigint;
  durationUs: bigint;
  statusCode: number;
  statusMessage: string | null;
  httpStatus: number | null;
  attributes: string;
}

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
        { path: `resourceSpans.${ri}.resource.attributes`, message: `resource attribute "${Attr.serviceName}" is required` },
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

const LOOKUP_CHUNK = 400;

export async function storeSpans(db: Db, rows: SpanRow[]): Promise<IngestResult> {
  if (rows.length === 0) return { accepted: 0, duplicates: 0 };
  return db.$transaction(async (tx) => {
    const existing = new Set<string>();
    for (let i = 0; i < rows.length; i += LOOKUP_CHUNK) {
      const chunk = rows.slice(i, i + LOOKUP_CHUNK);
      const found = await tx.span.findMany({
        where: { OR: chunk.map((r) => ({ traceId: r.traceId, spanId: r.spanId })) },
        select: { traceId: true, spanId: true },
      });
      for (const f of found) existing.add(`${f.traceId}/${f.spanId}`);
    }
    const fresh = rows.filter((r) => !existing.has(`${r.traceId}/${r.spanId}`));
    if (fresh.length > 0) await tx.span.createMany({ data: fresh });
    return { accepted: fresh.length, duplicates: rows.length - fresh.length };
  });
}
