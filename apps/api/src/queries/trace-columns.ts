/**
 * The Span table's JSON columns (events, links, resource, scope) read back into view shapes. Parsed
 * defensively: rows written before these columns existed hold their defaults, and a malformed value must not
 * make a whole trace unreadable, so anything unexpected becomes "nothing" rather than an error.
 */
import type { InstrumentationScopeView, SpanEventView, SpanLinkView } from '@weft/schema';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Attribute values are stored as strings; anything else (an older or foreign writer) is shown as its JSON. */
export function attributeMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    out[key] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

export function parseAttributes(column: string): Record<string, string> {
  return attributeMap(parseJson(column));
}

/** Epoch µs as a number or a decimal string (JSON has no 64-bit integers); NaN when neither. */
function epochUs(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return Number.NaN;
}

/** Events with times relative to their span's start (`spanStartUs`, epoch µs), in time order. */
export function parseEvents(column: string, spanStartUs: bigint): SpanEventView[] {
  const parsed = parseJson(column);
  if (!Array.isArray(parsed)) return [];
  const start = Number(spanStartUs);
  const events: SpanEventView[] = [];
  for (const e of parsed) {
    if (!isObject(e)) continue;
    const at = epochUs(e.timeUs);
    events.push({
      name: text(e.name),
      offsetUs: Number.isFinite(at) ? at - start : 0,
      attributes: attributeMap(e.attributes),
    });
  }
  return events.sort((a, b) => a.offsetUs - b.offsetUs);
}

/** `traceStored` is false here: the caller looks the linked traces up (`getTrace`). */
export function parseLinks(column: string): SpanLinkView[] {
  const parsed = parseJson(column);
  if (!Array.isArray(parsed)) return [];
  const links: SpanLinkView[] = [];
  for (const l of parsed) {
    if (!isObject(l) || !text(l.traceId) || !text(l.spanId)) continue;
    links.push({
      traceId: text(l.traceId).toLowerCase(),
      spanId: text(l.spanId).toLowerCase(),
      traceState: text(l.traceState),
      attributes: attributeMap(l.attributes),
      traceStored: false,
    });
  }
  return links;
}

/** null for the default `{}` (no scope named). */
export function parseScope(column: string): InstrumentationScopeView | null {
  const parsed = parseJson(column);
  if (!isObject(parsed)) return null;
  const scope = {
    name: text(parsed.name),
    version: text(parsed.version),
    attributes: attributeMap(parsed.attributes),
  };
  return scope.name || scope.version || Object.keys(scope.attributes).length > 0 ? scope : null;
}
