/** A span as the proxy keeps it until export: compact, converted to OTLP JSON only when sent. */
import type { Reporter } from '@weft/schema';
import type { WorkloadIdentity } from '../identity.ts';

export interface FinishedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  reporter: Reporter;
  method: string;
  /** Without the query string. */
  path: string;
  /** 0 when no response reached the client. */
  status: number;
  /** The grpc-status of a gRPC exchange (on the span of its last try); undefined for other exchanges. */
  grpcStatus?: number | undefined;
  /** The other side: the caller for inbound spans, the destination for outbound ones. */
  peer: WorkloadIdentity;
  /** host the client addressed (outbound). */
  serverAddress: string | undefined;
  /** Why the exchange failed, when the proxy knows (`x-weft-proxy-error` kinds, "response-aborted"). */
  errorType: string | undefined;
  /** The HTTPRoute rule an outbound request matched, when its service has routes. */
  route?: string | undefined;
  /** Which try of a retried request this span is (1 for the first); absent when it was tried once. */
  retryAttempt?: number | undefined;
  /** W3C trace flags of the span's context (sampled, random), as propagated to the next hop. */
  traceFlags: number;
  /** The caller's valid `tracestate`, propagated with the span's context; undefined when none. */
  traceState?: string | undefined;
  /** Epoch milliseconds with sub-millisecond precision. */
  startMs: number;
  endMs: number;
}
