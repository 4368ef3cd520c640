/**
 * The one rule for whether a request failed, used by every success rate and error count (API queries, the
 * proxy's spans). HTTP: no response (status 0) or a 5xx. gRPC: any status but OK (0), whatever the HTTP
 * status — a gRPC server answers its errors with HTTP 200 and `grpc-status` in the trailers. Linkerd and
 * Kiali count every non-zero grpc-status as a failure for success rate; so do we.
 */

/**
 * gRPC status codes (grpc/doc/statuscodes.md) — the same numbers as google.rpc.Code, which OTLP/HTTP error bodies
 * carry: the ones Weft answers with, in the proxy (grpc-status) and in the API (google.rpc.Status).
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Stored for an exchange that was not gRPC (or whose grpc-status never arrived). */
export const NO_GRPC_STATUS = -1;

/**
 * `grpcStatus`: the exchange's gRPC status code (0..16); undefined, null or negative (NO_GRPC_STATUS) when
 * it was not a gRPC exchange.
 */
export function isFailedRequest(status: number, grpcStatus?: number | null): boolean {
  if (status === 0 || status >= 500) return true;
  return grpcStatus !== undefined && grpcStatus !== null && grpcStatus > 0;
}
