/**
 * W3C Trace Context (Level 2): the trace flags, the `tracestate` grammar and its limits, and the proxies'
 * trace sampling settings. One definition for every process that reads or writes trace context: the proxy
 * propagates and reports it, the API stores what it reports (OTLP `Span.traceState`, `Span.flags`).
 */
import { z } from 'zod';

/** Bits of the `trace-flags` field of `traceparent`. */
export const TraceFlags = {
  /** The caller may have recorded its span (head sampling decision). */
  sampled: 0x01,
  /** Level 2: at least the rightmost 7 bytes of the trace id were drawn at random. */
  random: 0x02,
} as const;

/** The flags this version of the spec defines; others are reserved and are sent as zero. */
export const KNOWN_TRACE_FLAGS = TraceFlags.sampled | TraceFlags.random;

/**
 * OTLP `Span.flags` (trace.proto): bits 0-7 are the W3C trace flags of the span's context; bit 8 says whether
 * bit 9 is known, bit 9 whether the parent span lives in another process.
 */
export const OtlpSpanFlags = {
  contextHasIsRemote: 0x100,
  contextIsRemote: 0x200,
} as const;

/** The limits the spec sets on `tracestate`. */
export const TracestateLimits = {
  maxMembers: 32,
  /** Length of the combined header (members joined with ","). */
  maxLength: 512,
  maxKeyLength: 256,
  maxValueLength: 256,
} as const;

export interface TracestateMember {
  key: string;
  value: string;
}

export type TracestateParse =
  { ok: true; members: TracestateMember[]; header: string } | { ok: false; problem: string };

// simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/;
// multi-tenant-key = tenant-id "@" system-id
// tenant-id = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
// system-id = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
const MULTI_TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/;
// value = 0*255(chr) nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E; chr = %x20 / nblk-chr
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
// OWS = *( SP / HTAB )
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;

export function isTracestateKey(key: string): boolean {
  return SIMPLE_KEY.test(key) || MULTI_TENANT_KEY.test(key);
}

export function isTracestateValue(value: string): boolean {
  return VALUE.test(value);
}

/**
 * Parses `tracestate` as the spec says: a list of `key=value` members separated by "," with optional
 * spaces and tabs around each, empty members allowed (and ignored: several header lines joined by a
 * proxy leave them), at most 32 members, keys unique, 512 characters at most. Several header lines are
 * one list, joined with ",". An invalid list is refused whole (the spec: a receiver that cannot parse it
 * drops it rather than propagating a part of it); `header` is the list re-joined without empty members
 * or optional whitespace, ready to send on.
 */
export function parseTracestate(raw: string | readonly string[]): TracestateParse {
  const joined = typeof raw === 'string' ? raw : raw.join(',');
  const members: TracestateMember[] = [];
  const seen = new Set<string>();
  for (const part of joined.split(',')) {
    const member = part.replace(OWS_EDGES, '');
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq === -1) return { ok: false, problem: `member "${clip(member)}" has no "="` };
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!isTracestateKey(key)) {
      return {
        ok: false,
        problem: `key "${clip(key)}" is not a tracestate key (lower-case letters, digits, "_-*/", at most 256 characters, tenant@system for multi-tenant keys)`,
      };
    }
    if (!isTracestateValue(value)) {
      return {
        ok: false,
        problem: `value of "${key}" is not a tracestate value (1-256 printable ASCII characters without "," or "=", not ending in a space)`,
      };
    }
    if (seen.has(key)) return { ok: false, problem: `key "${key}" appears more than once` };
    seen.add(key);
    members.push({ key, value });
    if (members.length > TracestateLimits.maxMembers) {
      return { ok: false, problem: `more than ${TracestateLimits.maxMembers} members` };
    }
  }
  const header = members.map((m) => `${m.key}=${m.value}`).join(',');
  if (header.length > TracestateLimits.maxLength) {
    return { ok: false, problem: `longer than ${TracestateLimits.maxLength} characters` };
  }
  return { ok: true, members, header };
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Head sampling by the proxies (Istio's defaults): a request that starts a trace is sampled at
 * `defaultPercent`, one that continues a trace keeps its caller's decision; whatever the decision, a proxy
 * exports the spans of a request that failed or took at least `defaultSlowThresholdMs`. Flags of
 * `weft-proxy` and their environment variables (the flag wins).
 */
export const TraceSampling = {
  defaultPercent: 1,
  defaultSlowThresholdMs: 1000,
  percentFlag: 'trace-sampling-percent',
  percentEnv: 'WEFT_TRACE_SAMPLING_PERCENT',
  slowThresholdFlag: 'trace-slow-threshold-ms',
  slowThresholdEnv: 'WEFT_TRACE_SLOW_THRESHOLD_MS',
} as const;

export const traceSamplingPercentSchema = z.coerce
  .number({ message: 'must be a number between 0 and 100 (a percentage, e.g. 1 or 0.5)' })
  .min(0, 'must be a number between 0 and 100 (a percentage, e.g. 1 or 0.5)')
  .max(100, 'must be a number between 0 and 100 (a percentage, e.g. 1 or 0.5)');

export const traceSlowThresholdMsSchema = z.coerce
  .number({ message: 'must be a whole number of milliseconds between 1 and 3600000' })
  .int('must be a whole number of milliseconds between 1 and 3600000')
  .min(1, 'must be a whole number of milliseconds between 1 and 3600000')
  .max(3_600_000, 'must be a whole number of milliseconds between 1 and 3600000');
