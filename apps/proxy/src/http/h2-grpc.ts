/**
 * gRPC as the proxy sees it (it never decodes messages): which requests are gRPC, the `grpc-status` an
 * exchange ended with, and the proxy's own replies shaped as a gRPC client understands them.
 *
 * A gRPC client reads the outcome from `grpc-status`, not from the HTTP status, so Envoy answers a gRPC
 * request it cannot serve with a "trailers-only" response: HTTP 200, `content-type: application/grpc`,
 * `grpc-status` and `grpc-message` in the headers and no body. Layers below the listener keep the HTTP
 * statuses (retries, outlier detection and the breaker decide on 502/503/504); the listener shapes the
 * reply on its way out (`grpcShapedReply`), so only the client and telemetry see the gRPC form.
 */
import { GrpcStatus, Headers } from '@weft/schema';
import type { HeaderMap, ProxyErrorKind, ProxyRequest, ProxyResponse } from './exchange.ts';

/** The gRPC status codes the proxy itself answers with: the shared table. */
export { GrpcStatus };

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `content-type: application/grpc`, `application/grpc+proto`, `application/grpc+json`, … */
export function isGrpc(headers: HeaderMap): boolean {
  const type = firstValue(headers['content-type']);
  return type !== undefined && type.toLowerCase().startsWith('application/grpc');
}

export function isGrpcRequest(req: ProxyRequest): boolean {
  return isGrpc(req.headers);
}

/**
 * The gRPC status for a reply of the proxy's own, as Envoy maps its local replies: the failure kinds a
 * client should retry elsewhere are UNAVAILABLE, a missed deadline DEADLINE_EXCEEDED, a rate limit
 * RESOURCE_EXHAUSTED, no matching route UNIMPLEMENTED; the rest by HTTP status (gRPC's HTTP-to-status table).
 */
export function grpcStatusForReply(status: number, kind: ProxyErrorKind | undefined): number {
  switch (kind) {
    case 'no-endpoints':
    case 'upstream-connect-failure':
    case 'upstream-reset':
    case 'overflow':
    case 'overloaded':
    case 'connection-limit':
      return GrpcStatus.UNAVAILABLE;
    case 'upstream-timeout':
      return GrpcStatus.DEADLINE_EXCEEDED;
    case 'rate-limited':
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 'no-route':
      return GrpcStatus.UNIMPLEMENTED;
    case 'client-aborted':
      return GrpcStatus.CANCELLED;
    default:
      break;
  }
  switch (status) {
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 502:
    case 503:
      return GrpcStatus.UNAVAILABLE;
    case 504:
      return GrpcStatus.DEADLINE_EXCEEDED;
    default:
      return GrpcStatus.INTERNAL;
  }
}

/** grpc-message is percent-encoded UTF-8 (PROTOCOL-HTTP2.md): only printable ASCII but `%` goes as is. */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The response a gRPC client gets instead of `response`: unchanged unless it is a reply of the proxy's
 * own (marked with `x-weft-proxy-error`) that is not gRPC-shaped yet; then a trailers-only 200 whose
 * `grpc-message` is the reply's text. The `x-weft-proxy-error` marker and `Retry-After` stay.
 */
export function grpcShapedReply(response: ProxyResponse): ProxyResponse {
  const kind = firstValue(response.headers[Headers.proxyError]) as ProxyErrorKind | undefined;
  if (kind === undefined || isGrpc(response.headers)) return response;
  const body = response.body;
  if (body !== null && typeof body !== 'string') body.destroy();
  const message = typeof body === 'string' ? body.trim() : kind;
  const headers: HeaderMap = {};
  for (const name in response.headers) {
    // The text reply's framing and type describe a body this response no longer has.
    if (name === 'content-type' || name === 'content-length') continue;
    headers[name] = response.headers[name];
  }
  headers['content-type'] = 'application/grpc';
  headers['grpc-status'] = String(grpcStatusForReply(response.status, kind));
  headers['grpc-message'] = encodeGrpcMessage(message);
  return { status: 200, headers, body: null };
}

/** The `grpc-status` of a finished exchange: from the trailers, else the headers (trailers-only). */
export function grpcStatusOf(headers: HeaderMap, trailers: HeaderMap | undefined): number | undefined {
  const raw = firstValue(trailers?.['grpc-status']) ?? firstValue(headers['grpc-status']);
  if (raw === undefined) return undefined;
  const status = Number(raw);
  return Number.isInteger(status) && status >= 0 ? status : undefined;
}

const TIMEOUT_UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * `grpc-timeout` (PROTOCOL-HTTP2.md: at most 8 digits and a unit H M S m u n) in ms, rounded up to a whole
 * ms so a tiny timeout never becomes none; undefined when absent or malformed (then ignored, as gRPC
 * servers do).
 */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  const raw = firstValue(value);
  if (raw === undefined) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(raw);
  if (match === null) return undefined;
  const unit = TIMEOUT_UNIT_MS[match[2] as string] as number;
  return Math.ceil(Number(match[1]) * unit);
}
