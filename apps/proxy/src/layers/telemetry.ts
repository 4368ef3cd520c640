/**
 * Tracing and request metrics for every exchange, as one layer placed outermost so it also sees the
 * proxy's own replies. On the way in it continues (or starts) the trace and hands the next hop this
 * proxy's span id; when the exchange completes it records one span and one histogram observation.
 */
import type { Reporter } from '@weft/schema';
import type { Completion, ProxyRequest } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';
import { pathWithoutQuery } from '../http/request-target.ts';
import type { FinishedSpan } from '../telemetry/finished-span.ts';
import { newSpanId, newTraceId } from '../telemetry/ids.ts';
import { epochMs } from '../telemetry/wall-clock.ts';
import { RESPONSE_ABORTED } from '../telemetry/otlp-encode.ts';
import type { RequestMetrics } from '../telemetry/request-metrics.ts';
import { extractTrace, injectTrace } from '../telemetry/trace-context.ts';

export interface SpanSink {
  push(span: FinishedSpan): void;
}

export interface TelemetryOptions {
  reporter: Reporter;
  metrics: RequestMetrics;
  /** Where finished spans go; absent when nothing would export them. */
  spans: SpanSink | undefined;
}

export function telemetry({ reporter, metrics, spans }: TelemetryOptions): Layer {
  return (next) => (req) => {
    const incoming = extractTrace(req.headers);
    const traceId = incoming.traceId ?? newTraceId();
    const spanId = newSpanId();
    injectTrace(req.headers, incoming, traceId, spanId);
    const record = spans !== undefined && incoming.sampled ? spans : undefined;

    req.onComplete((r: ProxyRequest, c: Completion) => {
      metrics.record(reporter, r.source, r.destination, c.status, c.endedAt - r.receivedAt);
      if (record === undefined) return;
      const errorType =
        r.error ?? (c.status === 0 ? 'client-aborted' : c.aborted ? RESPONSE_ABORTED : undefined);
      record.push({
        traceId,
        spanId,
        parentSpanId: incoming.parentSpanId,
        reporter,
        method: r.method,
        path: pathWithoutQuery(r.path),
        status: c.status,
        peer: reporter === 'inbound' ? r.source : r.destination,
        serverAddress: reporter === 'outbound' ? hostOf(r.authority) : undefined,
        errorType,
        route: r.routeRule?.label,
        startMs: epochMs(r.receivedAt),
        endMs: epochMs(c.endedAt),
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
