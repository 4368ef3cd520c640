/**
 * The OTLP/HTTP protobuf encoding, read and written with protobufjs from the official OpenTelemetry .proto files
 * (vendored in ./otlp-proto from open-telemetry/opentelemetry-proto, with google.rpc.Status for error bodies).
 *
 * A decoded request is turned into the same object shape the JSON encoding has (camelCase fields, 64-bit
 * integers as decimal strings, enums as numbers), so one parser serves both encodings. Bytes stay Uint8Array:
 * the schemas turn trace/span ids into lower-case hex and AnyValue bytes into base64 (otlp-any-value.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { GrpcStatus } from '@weft/schema';

const PROTO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'otlp-proto');

const FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
];

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports are relative to the proto root, as protoc's -I; google/protobuf/* are protobufjs' bundled copies.
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target);
  root.loadSync(FILES);
  root.resolveAll();
  return root;
}

let cached: ReturnType<typeof typesOf> | undefined;

function typesOf(root: protobuf.Root) {
  return {
    traceRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    traceResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    metricsRequest: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    metricsResponse: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
    status: root.lookupType('google.rpc.Status'),
    badRequest: root.lookupType('google.rpc.BadRequest'),
    retryInfo: root.lookupType('google.rpc.RetryInfo'),
  };
}

/** The message types, loaded once on first use. */
function types(): ReturnType<typeof typesOf> {
  cached ??= typesOf(loadRoot());
  return cached;
}

export type OtlpSignal = 'traces' | 'metrics';

export class ProtobufDecodeError extends Error {}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, defaults: false };

/** Decodes an Export{Trace,Metrics}ServiceRequest into the JSON encoding's object shape. */
export function decodeRequest(signal: OtlpSignal, body: Uint8Array): unknown {
  const type = signal === 'traces' ? types().traceRequest : types().metricsRequest;
  try {
    return type.toObject(type.decode(body), TO_OBJECT);
  } catch (err) {
    // Truncated or malformed messages (and nesting deep enough to exhaust the stack) are the sender's fault.
    const message = (err as Error).message;
    const reason = /call stack/i.test(message) ? 'messages nested too deeply' : message;
    throw new ProtobufDecodeError(
      `body is not a valid protobuf ${type.name} (Content-Type: application/x-protobuf): ${reason}`,
    );
  }
}

/**
 * Encodes a request given in the JSON encoding's object shape (ids as hex are turned into bytes): for tests and
 * tools that send protobuf without an SDK.
 */
export function encodeRequest(signal: OtlpSignal, request: unknown): Uint8Array {
  const type = signal === 'traces' ? types().traceRequest : types().metricsRequest;
  const withBytes = JSON.parse(JSON.stringify(request), (key, value: unknown) =>
    (key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string'
      ? Buffer.from(value, 'hex')
      : value,
  ) as Record<string, unknown>;
  return type.encode(type.fromObject(withBytes)).finish();
}

/** A partial success: how many items were refused and why (OTLP ExportTrace/MetricsPartialSuccess). */
export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

/** The success body in protobuf; an empty message when nothing was refused. */
export function encodeResponse(signal: OtlpSignal, partial: PartialSuccess | null): Uint8Array {
  const type = signal === 'traces' ? types().traceResponse : types().metricsResponse;
  const counted = signal === 'traces' ? 'rejectedSpans' : 'rejectedDataPoints';
  const message = partial
    ? { partialSuccess: { [counted]: partial.rejected, errorMessage: partial.errorMessage } }
    : {};
  return type.encode(type.fromObject(message)).finish();
}

export interface FieldViolation {
  field: string;
  description: string;
}

/** A google.rpc.Status as OTLP/HTTP error bodies carry it. */
export interface RpcStatus {
  /** google.rpc.Code */
  code: number;
  message: string;
  fieldViolations?: FieldViolation[];
  retryAfterSeconds?: number;
}

const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

export function encodeStatus(status: RpcStatus): Uint8Array {
  const t = types();
  // protobufjs' bundled google.protobuf.Any keeps the .proto field names (type_url).
  const details: { type_url: string; value: Uint8Array }[] = [];
  if (status.fieldViolations?.length) {
    details.push({
      type_url: BAD_REQUEST_TYPE,
      value: t.badRequest
        .encode(t.badRequest.fromObject({ fieldViolations: status.fieldViolations }))
        .finish(),
    });
  }
  if (status.retryAfterSeconds !== undefined) {
    details.push({
      type_url: RETRY_INFO_TYPE,
      value: t.retryInfo
        .encode(t.retryInfo.fromObject({ retryDelay: { seconds: status.retryAfterSeconds } }))
        .finish(),
    });
  }
  return t.status
    .encode(t.status.fromObject({ code: status.code, message: status.message, details }))
    .finish();
}

/** The same Status in the protobuf JSON mapping (Any as an object with "@type"). */
export function statusJson(status: RpcStatus): {
  code: number;
  message: string;
  details: Record<string, unknown>[];
} {
  const details: Record<string, unknown>[] = [];
  if (status.fieldViolations?.length) {
    details.push({ '@type': BAD_REQUEST_TYPE, fieldViolations: status.fieldViolations });
  }
  if (status.retryAfterSeconds !== undefined) {
    details.push({ '@type': RETRY_INFO_TYPE, retryDelay: `${status.retryAfterSeconds}s` });
  }
  return { code: status.code, message: status.message, details };
}

/** Reads a protobuf google.rpc.Status (tests, and anyone checking what the API sent). */
export function decodeStatus(body: Uint8Array): RpcStatus {
  const t = types();
  const raw = t.status.toObject(t.status.decode(body), { longs: Number, defaults: true }) as {
    code: number;
    message: string;
    details: { type_url: string; value: Uint8Array }[];
  };
  const out: RpcStatus = { code: raw.code, message: raw.message };
  for (const d of raw.details) {
    if (d.type_url === BAD_REQUEST_TYPE) {
      const bad = t.badRequest.toObject(t.badRequest.decode(d.value), { defaults: true }) as {
        fieldViolations: FieldViolation[];
      };
      out.fieldViolations = bad.fieldViolations;
    } else if (d.type_url === RETRY_INFO_TYPE) {
      const info = t.retryInfo.toObject(t.retryInfo.decode(d.value), { longs: Number, defaults: true }) as {
        retryDelay?: { seconds: number };
      };
      out.retryAfterSeconds = info.retryDelay?.seconds;
    }
  }
  return out;
}

/** Reads a protobuf success response (tests). */
export function decodeResponse(signal: OtlpSignal, body: Uint8Array): PartialSuccess | null {
  const type = signal === 'traces' ? types().traceResponse : types().metricsResponse;
  const raw = type.toObject(type.decode(body), { longs: Number }) as {
    partialSuccess?: { rejectedSpans?: number; rejectedDataPoints?: number; errorMessage?: string };
  };
  const p = raw.partialSuccess;
  if (!p) return null;
  return { rejected: p.rejectedSpans ?? p.rejectedDataPoints ?? 0, errorMessage: p.errorMessage ?? '' };
}

/** google.rpc.Code values the API answers with: the same numbers as gRPC status codes. */
export const RpcCode = GrpcStatus;

/** The google.rpc.Code for an HTTP status (as gRPC-HTTP gateways map them). */
export function rpcCodeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
    case 413:
    case 415:
      return RpcCode.INVALID_ARGUMENT;
    case 401:
      return RpcCode.UNAUTHENTICATED;
    case 403:
      return RpcCode.PERMISSION_DENIED;
    case 404:
      return RpcCode.NOT_FOUND;
    case 405:
      return RpcCode.UNIMPLEMENTED;
    case 429:
      return RpcCode.RESOURCE_EXHAUSTED;
    case 503:
      return RpcCode.UNAVAILABLE;
    default:
      return RpcCode.INTERNAL;
  }
}
