/**
 * Settings of the OTLP exporter (otlp-exporter.ts): where spans and request metrics are forwarded, and the
 * bounds that keep a slow or absent receiver from costing the API more than a fixed amount of memory.
 * env.ts reads the WEFT_OTLP_EXPORT_* variables into `OtlpExportSettings`; `exportConfig()` adds the defaults.
 */

/** What an operator sets (WEFT_OTLP_EXPORT_ENDPOINT, WEFT_OTLP_EXPORT_HEADERS, WEFT_OTLP_EXPORT_TIMEOUT_MS). */
export interface OtlpExportSettings {
  /** Base URL, as OTEL_EXPORTER_OTLP_ENDPOINT: `/v1/traces` and `/v1/metrics` are appended. */
  endpoint: string;
  /** Sent with every request (e.g. an API key the receiver wants). */
  headers: Record<string, string>;
  /** Longest one POST may take before it counts as failed (and is retried). */
  timeoutMs: number;
}

export interface OtlpExportConfig extends OtlpExportSettings {
  /** Items (spans, or data points) waiting per signal; what does not fit is dropped and counted. */
  maxQueueItems: number;
  /** Estimated bytes of the items waiting per signal (OTLP JSON size before gzip). */
  maxQueueBytes: number;
  /** Most items in one POST. */
  maxBatchItems: number;
  /** A batch smaller than maxBatchItems waits at most this long before it is sent. */
  scheduledDelayMs: number;
  /** Tries per batch, the first one included; then the batch is counted as failed. */
  maxAttempts: number;
  /** Backoff before the first retry; doubles per retry up to maxBackoffMs (jittered). */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A receiver's Retry-After is honoured up to this (a longer one would hold the queue hostage). */
  maxRetryAfterMs: number;
  /** close() gives up sending what is left after this long. */
  closeTimeoutMs: number;
  /** gzip the request bodies (Content-Encoding: gzip), as OTEL_EXPORTER_OTLP_COMPRESSION=gzip. */
  gzip: boolean;
}

/**
 * Defaults follow the OpenTelemetry SDK's BatchSpanProcessor (2,048 queued, 512 per export) and its exporters'
 * retry policy (5 attempts, 1 s initial backoff, ×2, 5 s cap — here 30 s, since a collector that is restarting
 * takes longer than that).
 */
export const OTLP_EXPORT_DEFAULTS = Object.freeze({
  timeoutMs: 10_000,
  maxQueueItems: 20_000,
  maxQueueBytes: 32 * 1024 * 1024,
  maxBatchItems: 512,
  scheduledDelayMs: 2_000,
  maxAttempts: 5,
  initialBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 60_000,
  closeTimeoutMs: 5_000,
  gzip: true,
});

export function exportConfig(
  settings: OtlpExportSettings,
  overrides: Partial<OtlpExportConfig> = {},
): OtlpExportConfig {
  return { ...OTLP_EXPORT_DEFAULTS, ...settings, ...overrides };
}

/**
 * The URL of one signal under the base endpoint, as the OTLP exporter spec says for OTEL_EXPORTER_OTLP_ENDPOINT:
 * `http://collector:4318` → `http://collector:4318/v1/traces`, `https://x/otlp/` → `https://x/otlp/v1/traces`.
 */
export function signalUrl(endpoint: string, signal: 'traces' | 'metrics'): string {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/${signal}`;
  return url.toString();
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Set by the exporter itself; a configured value would corrupt the request. */
const RESERVED_HEADERS = new Set(['content-type', 'content-encoding', 'content-length', 'host']);

export class HeaderListError extends Error {}

/**
 * Parses `k=v,k2=v2` as OTEL_EXPORTER_OTLP_HEADERS does (W3C Baggage-like list, values percent-decoded, spaces
 * around entries ignored). Throws HeaderListError naming the entry that is wrong.
 */
export function parseHeaderList(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new HeaderListError(`"${entry.trim()}" must be name=value`);
    const name = entry.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      throw new HeaderListError(`the value of "${name}" is not valid percent-encoding`);
    }
    if (!HEADER_NAME.test(name)) throw new HeaderListError(`"${name}" is not a valid header name`);
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      throw new HeaderListError(`"${name}" is set by the exporter and cannot be configured`);
    if (/[\r\n\0]/.test(value))
      throw new HeaderListError(`the value of "${name}" must not contain CR, LF or NUL`);
    headers[name] = value;
  }
  return headers;
}
