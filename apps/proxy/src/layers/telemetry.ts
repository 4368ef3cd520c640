/**
 * Tracing and request metrics for every exchange, as one layer placed outermost so it also sees the
 * proxy's own replies. On the way in it continues (or starts) the trace, makes the head sampling decision
 * when the caller made none, and hands the next hop this proxy's span id and the trace flags; when the
 * exchange completes it records one histogram observation (labelled with the gRPC status too, for a gRPC
 * exchange) for every request, sampled or not, and one span when the request was sampled, failed or was
 * slow (telemetry/trace-sampler.ts). A retried
 * outbound request records one CLIENT span per try instead (siblings under the caller's span, each with
 * `weft.retry.attempt`; each try carried its own span id to the next hop), and still one observation.
 */
import { TraceFlags, type Reporter } from '@weft/schema';
import type { AttemptRecord, Completion, ProxyRequest } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';
import { pathWithoutQuery } from '../http/request-target.ts';
import type { FinishedSpan } from '../telemetry/finished-span.ts';
import { newSpanId, newTraceId } from '../telemetry/ids.ts';
import { epochMs } from '../telemetry/wall-clock.ts';
import { RESPONSE_ABORTED } from '../telemetry/otlp-encode.ts';
import type { RequestMetrics } from '../telemetry/request-metrics.ts';
import { decideTrace, extractTrace, injectTrace } from '../telemetry/trace-context.ts';
import { TraceSampler } from '../telemetry/trace-sampler.ts';

export interface SpanSink {
  push(span: FinishedSpan): void;
}

export interface TelemetryOptions {
  reporter: Reporter;
  metrics: RequestMetrics;
  /** Where finished spans go; absent when nothing would export them. */
  spans: SpanSink | undefined;
  /** Head sampling and what is kept regardless; absent: the defaults (1 %, failed or ≥ 1 s kept). */
  sampler?: TraceSampler | undefined;
}

export function telemetry({
  reporter,
  metrics,
  spans,
  sampler = new TraceSampler(),
}: TelemetryOptions): Layer {
  return (next) => (req) => {
    const incoming = extractTrace(req.headers);
    const trace = decideTrace(incoming, newTraceId, sampler.sampleTrace);
    const traceId = trace.traceId;
    const spanId = newSpanId();
    injectTrace(req.headers, incoming, trace, spanId);
    // Each further try of a retried request gets its own CLIENT span, a sibling of the first. Tries get
    // their own span ids even when the request is not sampled: whether it is kept is known only at the end.
    let trySpanId = spanId;
    let tryStartedAt = req.receivedAt;
    if (spans !== undefined && reporter === 'outbound') {
      req.newAttemptSpan = () => {
        trySpanId = newSpanId();
        tryStartedAt = performance.now();
        injectTrace(req.headers, incoming, trace, trySpanId);
        return trySpanId;
      };
    }

    req.onComplete((r: ProxyRequest, c: Completion) => {
      const durationMs = c.endedAt - r.receivedAt;
      // Once per request, however many tries it took, and whatever the sampling decision.
      // A gRPC exchange's grpc-status labels the series: a 200 carrying grpc-status 14 is a failure.
      metrics.record(reporter, r.source, r.destination, c.status, durationMs, c.grpcStatus);
      if (spans === undefined) return;
      const sampled = (trace.flags & TraceFlags.sampled) !== 0;
      if (sampler.decide(sampled, c.status, c.grpcStatus, c.aborted, durationMs) === 'dropped') return;
      const record = spans;
      const errorType =
        r.error ?? (c.status === 0 ? 'client-aborted' : c.aborted ? RESPONSE_ABORTED : undefined);
      const path = pathWithoutQuery(r.path);
      const serverAddress = reporter === 'outbound' ? hostOf(r.authority) : undefined;
      const route = r.routeRule?.label;
      const earlier = r.attempts;
      if (earlier !== undefined) {
        for (let i = 0; i < earlier.length; i++) {
          const a = earlier[i] as AttemptRecord;
          record.push({
            traceId,
            spanId: a.spanId ?? spanId,
            parentSpanId: incoming.parentSpanId,
            reporter,
            method: r.method,
            path,
            status: a.status,
            peer: a.destination,
            serverAddress,
            errorType: a.error,
            route,
            retryAttempt: i + 1,
            startMs: epochMs(a.startedAt),
            endMs: epochMs(a.endedAt),
            traceFlags: trace.flags,
            traceState: trace.traceState,
          });
        }
      }
      record.push({
        traceId,
        spanId: trySpanId,
        parentSpanId: incoming.parentSpanId,
        reporter,
        method: r.method,
        path,
        status: c.status,
        grpcStatus: c.grpcStatus,
        peer: reporter === 'inbound' ? r.source : r.destination,
        serverAddress,
        errorType,
        route,
        retryAttempt: earlier === undefined ? undefined : earlier.length + 1,
        startMs: epochMs(tryStartedAt),
        endMs: epochMs(c.endedAt),
        traceFlags: trace.flags,
        traceState: trace.traceState,
      });
    });
    return next(req);
  };
}

function hostOf(authority: string | undefined): string | undefined {
  if (authority === undefined) return undefined;
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1);
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}
