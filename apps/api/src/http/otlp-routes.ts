/**
 * OTLP/HTTP ingest: POST /v1/traces and /v1/metrics, as the OTLP specification's OTLP/HTTP section says.
 * - Bodies: `application/x-protobuf` or `application/json` (else 415), `Content-Encoding: gzip` or identity;
 *   the decompressed size is bounded by the body limit (413).
 * - Success: 200 with Export{Trace,Metrics}ServiceResponse in the request's encoding; `partial_success` only
 *   when something was refused, with the count and the first reasons. (JSON answers also carry `accepted` or
 *   `stored` and `duplicates`: exporters ignore unknown fields, and Weft's tools and benchmarks read them.)
 * - Errors: a google.rpc.Status in the request's encoding (JSON answers also carry `error` and `issues`, the
 *   API's usual error fields); 429 + Retry-After when the write queue is full, 503 + Retry-After when the
 *   database cannot be written. Exporters retry 429/502/503/504 and drop the rest.
 * Machine auth is the same as for every proxy endpoint: a workload or ingest token, and every stored item must
 * be about a workload within the token's scope (else 403, nothing stored).
 */
import type http from 'node:http';
import { OtlpLimits } from '@weft/schema';
import type { AuthServices } from '../auth/services.ts';
import type { Db } from '../db/client.ts';
import { CumulativeToDelta } from '../ingest/cumulative-to-delta.ts';
import { withoutProxiedServices } from '../ingest/http-duration.ts';
import { metricsRejectionMessage, parseMetricsBatch, storeMetrics } from '../ingest/metrics.ts';
import {
  ProtobufDecodeError,
  decodeRequest,
  encodeResponse,
  encodeStatus,
  rpcCodeForHttpStatus,
  statusJson,
  type OtlpSignal,
  type PartialSuccess,
  type RpcStatus,
} from '../ingest/otlp-protobuf.ts';
import { storeEdgePoints } from '../ingest/rollup-store.ts';
import { spanMetricPoints } from '../ingest/span-metrics.ts';
import { parseTraceBatch, storeSpans } from '../ingest/traces.ts';
import { InvalidInputError, type FieldIssue } from '../ingest/validation.ts';
import type { OtlpExporter } from '../export/otlp-exporter.ts';
import { IngestOverloadedError, type WriteQueue } from '../ingest/write-queue.ts';
import { HttpError, otlpEncodingOf, parseJsonText, readOtlpBody, type OtlpEncoding } from './body.ts';
import { authenticateMachine, mayReportFor, requireTelemetryScope } from './machine-auth.ts';

export interface OtlpRouteDeps {
  db: Db;
  auth: AuthServices;
  writeQueue: WriteQueue;
  maxBodyBytes: number;
  /** Forwards what ingest stored to an external OTLP endpoint (WEFT_OTLP_EXPORT_ENDPOINT), when set. */
  exporter?: OtlpExporter | undefined;
  now?: () => number;
  log?: (line: string) => void;
}

/** The database failed while writing (not because of the data): the sender should retry later. */
class StorageUnavailableError extends Error {}

const PATHS: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics' };

/** The OTLP routes; the handler answers and returns true for their paths, false for any other. */
export function createOtlpRoutes(
  deps: OtlpRouteDeps,
): (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => Promise<boolean> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((line: string) => console.error(line));
  // Cumulative series started before this process are not counted from their first point (cumulative-to-delta.ts).
  const converter = new CumulativeToDelta(BigInt(now()) * 1_000_000n);

  /** Runs database work; a failure not caused by the data means the database is unavailable (503). */
  async function database<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof IngestOverloadedError || err instanceof InvalidInputError) throw err;
      log(`OTLP ingest: the database failed: ${(err as Error).stack ?? String(err)}`);
      throw new StorageUnavailableError('the database is unavailable; retry later');
    }
  }

  /** Runs a write through the queue: 429 when it is full, 503 when the database fails. */
  function write<T>(rows: number, fn: () => Promise<T>): Promise<T> {
    return database(() => deps.writeQueue.run(rows, fn));
  }

  function decode(encoding: OtlpEncoding, signal: OtlpSignal, body: Buffer): unknown {
    if (encoding === 'protobuf') return decodeRequest(signal, body);
    return parseJsonText(body.toString('utf8'));
  }

  async function traces(req: http.IncomingMessage, encoding: OtlpEncoding): Promise<Answer> {
    const token = await authenticateMachine(req, deps.auth.tokens);
    const body = await readOtlpBody(req, deps.maxBodyBytes);
    const batch = parseTraceBatch(decode(encoding, 'traces', body));
    requireTelemetryScope(
      token,
      batch.spans.map((s, i) => ({
        namespace: s.row.namespace,
        service: s.row.service,
        version: s.row.version,
        path: `span ${i}`,
      })),
    );
    const spanMetrics = await database(() => spanMetricPoints(deps.db, batch.spans));
    // The callers' view is data about the caller: only with a token that may report for it (a caller span
    // stored earlier may belong to a workload outside this token's scope; it is then left out, not refused).
    const outbound = spanMetrics.outbound.filter((p) =>
      mayReportFor(token, {
        namespace: p.sourceNamespace,
        service: p.sourceService,
        version: p.sourceVersion,
      }),
    );
    const rows = batch.spans.map((s) => s.row);
    const points = spanMetrics.inbound.size + outbound.length;
    const result = await write(rows.length + points, async () => {
      const stored = await storeSpans(deps.db, rows, spanMetrics.inbound);
      // The callers' view, by identity: a retried batch (its spans already stored) counts once.
      await storeEdgePoints(deps.db, outbound);
      return stored;
    });
    // A retried batch (everything a duplicate) is not sent on again.
    if (result.accepted > 0) deps.exporter?.exportSpans(rows);
    const partial =
      batch.refused.count > 0
        ? { rejected: batch.refused.count, errorMessage: batch.refused.message('span') }
        : null;
    return { partial, extra: { accepted: result.accepted, duplicates: result.duplicates } };
  }

  async function metrics(req: http.IncomingMessage, encoding: OtlpEncoding): Promise<Answer> {
    const token = await authenticateMachine(req, deps.auth.tokens);
    const body = await readOtlpBody(req, deps.maxBodyBytes);
    const batch = parseMetricsBatch(decode(encoding, 'metrics', body), converter);
    requireTelemetryScope(token, batch.workloads);
    const points = await database(() => withoutProxiedServices(deps.db, batch.points));
    const stored = await write(points.length + batch.resilience.length, () =>
      storeMetrics(deps.db, points, batch.resilience),
    );
    batch.commit();
    if (stored.stored > 0) deps.exporter?.exportEdgePoints(points);
    const rejected = batch.refused.count + batch.ignored.count;
    const partial = rejected > 0 ? { rejected, errorMessage: metricsRejectionMessage(batch) } : null;
    return { partial, extra: { stored: stored.stored, duplicates: stored.duplicates } };
  }

  return async (req, res, pathname) => {
    const signal = PATHS[pathname];
    if (signal === undefined) return false;
    const encoding = otlpEncodingOf(req);
    try {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      if (encoding === null) {
        // Authenticate first: an anonymous caller learns nothing but 401.
        await authenticateMachine(req, deps.auth.tokens);
        const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim() || 'none';
        throw new HttpError(
          415,
          `Content-Type must be application/x-protobuf or application/json (got "${type}")`,
        );
      }
      const answer = signal === 'traces' ? await traces(req, encoding) : await metrics(req, encoding);
      sendSuccess(res, signal, encoding, answer);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      sendFailure(res, encoding ?? 'json', err, log, req);
      // The request body may not have been read to the end; do not reuse the connection.
      req.resume();
    }
    return true;
  };
}

interface Answer {
  partial: PartialSuccess | null;
  /** Weft's own counts, in JSON answers only. */
  extra: Record<string, number>;
}

function sendSuccess(
  res: http.ServerResponse,
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  answer: Answer,
): void {
  if (encoding === 'protobuf') {
    send(res, 200, encoding, encodeResponse(signal, answer.partial));
    return;
  }
  const counted = signal === 'traces' ? 'rejectedSpans' : 'rejectedDataPoints';
  const body = answer.partial
    ? {
        // int64 is a decimal string in the protobuf JSON mapping.
        partialSuccess: {
          [counted]: String(answer.partial.rejected),
          errorMessage: answer.partial.errorMessage,
        },
        ...answer.extra,
      }
    : answer.extra;
  send(res, 200, encoding, Buffer.from(JSON.stringify(body)));
}

interface Failure {
  status: number;
  message: string;
  issues: FieldIssue[];
  retryAfterSeconds?: number;
}

function failureOf(err: unknown, log: (line: string) => void, req: http.IncomingMessage): Failure {
  if (err instanceof InvalidInputError) return { status: 400, message: err.message, issues: err.issues };
  if (err instanceof ProtobufDecodeError) return { status: 400, message: err.message, issues: [] };
  if (err instanceof HttpError) return { status: err.status, message: err.message, issues: [] };
  if (err instanceof IngestOverloadedError) {
    return { status: 429, message: err.message, issues: [], retryAfterSeconds: err.retryAfterSeconds };
  }
  if (err instanceof StorageUnavailableError) {
    return {
      status: 503,
      message: err.message,
      issues: [],
      retryAfterSeconds: OtlpLimits.unavailableRetryAfterSeconds,
    };
  }
  log(`${req.method} ${req.url} failed: ${(err as Error).stack ?? String(err)}`);
  return { status: 500, message: 'internal error; see the API log', issues: [] };
}

function sendFailure(
  res: http.ServerResponse,
  encoding: OtlpEncoding,
  err: unknown,
  log: (line: string) => void,
  req: http.IncomingMessage,
): void {
  const failure = failureOf(err, log, req);
  const status: RpcStatus = {
    code: rpcCodeForHttpStatus(failure.status),
    message: failure.message,
    fieldViolations: failure.issues.map((i) => ({ field: i.path, description: i.message })),
    retryAfterSeconds: failure.retryAfterSeconds,
  };
  const headers: Record<string, string> = {};
  if (failure.status === 401) headers['www-authenticate'] = 'Bearer realm="weft"';
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  const body =
    encoding === 'protobuf'
      ? encodeStatus(status)
      : Buffer.from(
          JSON.stringify({
            ...statusJson(status),
            error: failure.message,
            ...(failure.issues.length > 0 ? { issues: failure.issues } : {}),
          }),
        );
  send(res, failure.status, encoding, body, headers);
}

function send(
  res: http.ServerResponse,
  status: number,
  encoding: OtlpEncoding,
  body: Uint8Array,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
    'content-length': body.byteLength,
    ...headers,
  });
  res.end(body);
}
