/**
 * Trace context propagation: W3C `traceparent`/`tracestate` (Trace Context Level 2) first, B3 (single
 * `b3` header, then `x-b3-*`) as fallback input. The proxy continues the incoming trace as a child span and
 * forwards its own span id as the parent, with the trace flags of the trace (the caller's sampled and random
 * flags, or its own decision and the random flag for a trace it starts) and the caller's `tracestate` when
 * that is valid; a B3 caller also gets updated B3 headers in the format it used.
 */
import { KNOWN_TRACE_FLAGS, parseTracestate, TraceFlags } from '@weft/schema';
import type { HeaderMap } from '../http/exchange.ts';

export type TraceFormat = 'w3c' | 'b3-single' | 'b3-multi' | 'none';

export interface IncomingTrace {
  /** Absent when the request starts a new trace. */
  traceId: string | undefined;
  /** The caller's span: parent of the span this proxy records. */
  parentSpanId: string | undefined;
  /** The caller's sampling decision; undefined when it made none (no context, B3 without a decision). */
  sampled: boolean | undefined;
  /** The caller's W3C trace flags this spec version knows (sampled, random); 0 for B3 and none. */
  flags: number;
  /** The caller's `tracestate`, validated and re-joined; undefined when absent, invalid or not with W3C. */
  traceState: string | undefined;
  format: TraceFormat;
}

/** The context of the spans this proxy records for one request, and what it propagates upstream. */
export interface TraceDecision {
  traceId: string;
  /** W3C trace flags: the sampled bit is the head sampling decision. */
  flags: number;
  traceState: string | undefined;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const HEX2 = /^[0-9a-f]{2}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

export interface Traceparent {
  traceId: string;
  parentSpanId: string;
  flags: number;
}

/** W3C Trace Context level 1 `traceparent`; null when absent or invalid (the proxy then restarts the trace). */
export function parseTraceparent(value: string | string[] | undefined): Traceparent | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v.length < 55) return null;
  const version = v.slice(0, 2);
  if (!HEX2.test(version) || version === 'ff') return null;
  if (version === '00' ? v.length !== 55 : v.length > 55 && v[55] !== '-') return null;
  if (v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return null;
  const traceId = v.slice(3, 35);
  const parentSpanId = v.slice(36, 52);
  const flags = v.slice(53, 55);
  if (!HEX32.test(traceId) || traceId === ZERO32) return null;
  if (!HEX16.test(parentSpanId) || parentSpanId === ZERO16) return null;
  if (!HEX2.test(flags)) return null;
  return { traceId, parentSpanId, flags: parseInt(flags, 16) };
}

/** Version 00; only the flags this version defines are set (the others are reserved: sent as zero). */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  const f = flags & KNOWN_TRACE_FLAGS;
  return `00-${traceId}-${spanId}-0${f.toString(16)}`;
}

/** B3 trace ids may be 64-bit; W3C needs 128 bits, so they are left-padded with zeros. */
function b3TraceId(value: string): string | undefined {
  const v = value.toLowerCase();
  if (HEX32.test(v)) return v === ZERO32 ? undefined : v;
  if (HEX16.test(v)) return v === ZERO16 ? undefined : ZERO16 + v;
  return undefined;
}

function b3SpanId(value: string): string | undefined {
  const v = value.toLowerCase();
  return HEX16.test(v) && v !== ZERO16 ? v : undefined;
}

/** `b3: {traceId}-{spanId}[-{sampling}[-{parentSpanId}]]` or just `b3: {sampling}`. */
export function parseB3Single(value: string | string[] | undefined): IncomingTrace | null {
  if (typeof value !== 'string') return null;
  const parts = value.trim().split('-');
  if (parts.length === 1) {
    const sampling = parts[0] as string;
    if (sampling === '0') return b3Only(false, 'b3-single');
    if (sampling === '1' || sampling === 'd') return b3Only(true, 'b3-single');
    return null;
  }
  if (parts.length > 4) return null;
  const traceId = b3TraceId(parts[0] as string);
  const spanId = b3SpanId(parts[1] as string);
  if (!traceId || !spanId) return null;
  const sampling = parts[2];
  if (sampling !== undefined && sampling !== '0' && sampling !== '1' && sampling !== 'd') return null;
  if (parts[3] !== undefined && !b3SpanId(parts[3])) return null;
  return {
    traceId,
    parentSpanId: spanId,
    sampled: sampling === undefined ? undefined : sampling !== '0',
    flags: 0,
    traceState: undefined,
    format: 'b3-single',
  };
}

/** A B3 sampling decision without a trace: the proxy starts the trace and keeps the decision. */
function b3Only(sampled: boolean, format: 'b3-single' | 'b3-multi'): IncomingTrace {
  return { traceId: undefined, parentSpanId: undefined, sampled, flags: 0, traceState: undefined, format };
}

/** `x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled`, `x-b3-flags`. */
export function parseB3Multi(headers: HeaderMap): IncomingTrace | null {
  const rawTrace = headers['x-b3-traceid'];
  const rawSpan = headers['x-b3-spanid'];
  const rawSampled = headers['x-b3-sampled'];
  const debug = headers['x-b3-flags'] === '1';
  let sampled: boolean | undefined;
  if (rawSampled === '1' || rawSampled === 'true' || debug) sampled = true;
  else if (rawSampled === '0' || rawSampled === 'false') sampled = false;
  if (typeof rawTrace === 'string' && typeof rawSpan === 'string') {
    const traceId = b3TraceId(rawTrace.trim());
    const spanId = b3SpanId(rawSpan.trim());
    if (traceId && spanId)
      return { traceId, parentSpanId: spanId, sampled, flags: 0, traceState: undefined, format: 'b3-multi' };
    return null;
  }
  if (rawTrace === undefined && rawSpan === undefined && sampled !== undefined)
    return b3Only(sampled, 'b3-multi');
  return null;
}

const NEW_TRACE: IncomingTrace = Object.freeze({
  traceId: undefined,
  parentSpanId: undefined,
  sampled: undefined,
  flags: 0,
  traceState: undefined,
  format: 'none',
});

/** The caller's trace context, or none (`traceId` undefined) when it sent none that parses. */
export function extractTrace(headers: HeaderMap): IncomingTrace {
  const w3c = parseTraceparent(headers.traceparent);
  if (w3c) {
    return {
      traceId: w3c.traceId,
      parentSpanId: w3c.parentSpanId,
      sampled: (w3c.flags & TraceFlags.sampled) !== 0,
      flags: w3c.flags & KNOWN_TRACE_FLAGS,
      traceState: validTracestate(headers.tracestate),
      format: 'w3c',
    };
  }
  if (headers.b3 !== undefined) {
    const single = parseB3Single(headers.b3);
    if (single) return single;
  }
  if (
    headers['x-b3-traceid'] !== undefined ||
    headers['x-b3-sampled'] !== undefined ||
    headers['x-b3-flags'] !== undefined
  ) {
    const multi = parseB3Multi(headers);
    if (multi) return multi;
  }
  return NEW_TRACE;
}

/** The caller's `tracestate` re-joined, or undefined when absent, empty or invalid (dropped whole, as the spec says). */
function validTracestate(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseTracestate(value);
  return parsed.ok && parsed.header !== '' ? parsed.header : undefined;
}

/**
 * The context this proxy's spans take and propagate: the caller's trace and flags, the sampled flag set by
 * `sample` when the caller made no decision; a trace the proxy starts gets a random id, so the random flag.
 */
export function decideTrace(
  incoming: IncomingTrace,
  newTraceId: () => string,
  sample: (traceId: string) => boolean,
): TraceDecision {
  const traceId = incoming.traceId ?? newTraceId();
  const sampled = incoming.sampled ?? sample(traceId);
  let flags = incoming.flags & ~TraceFlags.sampled;
  if (sampled) flags |= TraceFlags.sampled;
  if (incoming.traceId === undefined) flags |= TraceFlags.random;
  return { traceId, flags, traceState: incoming.traceState };
}

/**
 * Rewrites the request's trace headers so the next hop sees `spanId` as its parent. `tracestate` only
 * travels with the `traceparent` it belongs to, and only when valid; B3 headers the caller sent are
 * rewritten in the same format, so a B3-only service downstream stays in the trace.
 */
export function injectTrace(
  headers: HeaderMap,
  incoming: IncomingTrace,
  trace: TraceDecision,
  spanId: string,
): void {
  const traceId = trace.traceId;
  const sampled = (trace.flags & TraceFlags.sampled) !== 0;
  headers.traceparent = formatTraceparent(traceId, spanId, trace.flags);
  if (trace.traceState !== undefined) headers.tracestate = trace.traceState;
  else if (headers.tracestate !== undefined) headers.tracestate = undefined;
  if (headers.b3 !== undefined) {
    const parent = incoming.parentSpanId ? `-${incoming.parentSpanId}` : '';
    headers.b3 = `${traceId}-${spanId}-${sampled ? '1' : '0'}${parent}`;
  }
  if (headers['x-b3-traceid'] !== undefined || headers['x-b3-sampled'] !== undefined) {
    headers['x-b3-traceid'] = traceId;
    headers['x-b3-spanid'] = spanId;
    headers['x-b3-sampled'] = sampled ? '1' : '0';
    if (incoming.parentSpanId) headers['x-b3-parentspanid'] = incoming.parentSpanId;
    else if (headers['x-b3-parentspanid'] !== undefined) headers['x-b3-parentspanid'] = undefined;
  }
}

/** Every header that carries trace context, W3C and B3. */
export const TRACE_CONTEXT_HEADERS: ReadonlySet<string> = new Set([
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
]);

/** A copy of `headers` without trace context: the next hop starts a trace of its own. */
export function withoutTraceContext(headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const name in headers) if (!TRACE_CONTEXT_HEADERS.has(name)) out[name] = headers[name];
  return out;
}
