/**
 * OTLP `AnyValue` (common.proto): every type a resource, span, event, link or data point attribute can hold —
 * string, bool, int, double, bytes, array and kvlist, nested — validated within OtlpLimits and rendered to the
 * one string the API stores per attribute. Rendering is deterministic: the same value always gives the same
 * text, whichever encoding (JSON or protobuf) carried it.
 *
 * - string → itself; bool → "true"/"false"; int → decimal; double → JavaScript's shortest round-trip text
 *   ("NaN", "Infinity", "-Infinity" for the special values); bytes → base64; empty → "".
 * - array → JSON array text, kvlist → JSON object text (keys in the order sent, a repeated key keeps its last
 *   value); inside them ints are JSON numbers when exact (else decimal strings), special doubles and bytes
 *   are strings, an empty value is null.
 */
import { z } from 'zod';
import { IngestLimits } from './limits.ts';

/** Bounds on one attribute value beyond IngestLimits (whose maxAttributeValueLength bounds the rendered text). */
export const AnyValueLimits = {
  /** Arrays and kvlists nested in one another, counting the outermost. */
  maxDepth: 8,
  /** Array entries and kvlist pairs in one attribute value, at every depth together. */
  maxElements: 1024,
} as const;

/** An AnyValue as the OTLP JSON encoding (or a protobuf message turned into an object) carries it. */
export interface AnyValueInput {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  /** base64 in the JSON encoding; raw bytes from protobuf. */
  bytesValue?: string | Uint8Array;
  arrayValue?: { values?: AnyValueInput[] };
  kvlistValue?: { values?: { key: string; value?: AnyValueInput }[] };
}

export type AnyValueKind = 'string' | 'bool' | 'int' | 'double' | 'bytes' | 'array' | 'kvlist' | 'empty';

/** An attribute value as stored: its kind and its rendered text. */
export interface RenderedValue {
  kind: AnyValueKind;
  text: string;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

class AnyValueProblem extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FIELDS = [
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'bytesValue',
  'arrayValue',
  'kvlistValue',
] as const;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

interface Walk {
  elements: number;
}

function parseInt64(v: unknown, path: (string | number)[]): bigint {
  let n: bigint | undefined;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) n = BigInt(v);
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  if (n === undefined) throw new AnyValueProblem(path, 'intValue must be a decimal integer');
  if (n < INT64_MIN || n > INT64_MAX)
    throw new AnyValueProblem(path, 'intValue must be within the int64 range');
  return n;
}

function parseDouble(v: unknown, path: (string | number)[]): number {
  if (typeof v === 'number') return v;
  // The protobuf JSON mapping writes the special values as strings.
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new AnyValueProblem(path, 'doubleValue must be a number');
}

function doubleText(n: number): string {
  return Number.isNaN(n) ? 'NaN' : String(n);
}

function bytesText(v: unknown, path: (string | number)[]): string {
  if (v instanceof Uint8Array) return base64Of(v);
  if (typeof v === 'string' && BASE64.test(v)) return v;
  throw new AnyValueProblem(path, 'bytesValue must be base64');
}

/** base64 without Node's Buffer: this package also runs in the browser. */
function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function checkLength(text: string, path: (string | number)[]): string {
  if (text.length > IngestLimits.maxAttributeValueLength) {
    throw new AnyValueProblem(
      path,
      `an attribute value must be at most ${IngestLimits.maxAttributeValueLength} characters`,
    );
  }
  return text;
}

/** The one field set on `v` (or undefined for an empty value); a problem when more than one is. */
function onlyField(v: unknown, path: (string | number)[]): (typeof FIELDS)[number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new AnyValueProblem(path, 'an attribute value must be an AnyValue object');
  }
  const record = v as Record<string, unknown>;
  const set = FIELDS.filter((f) => record[f] !== undefined && record[f] !== null);
  if (set.length > 1) {
    throw new AnyValueProblem(path, `an attribute value must have at most one of ${FIELDS.join(', ')}`);
  }
  return set[0];
}

function listOf(container: unknown, path: (string | number)[]): unknown[] {
  if (container === undefined || container === null) return [];
  const values = (container as { values?: unknown }).values;
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) throw new AnyValueProblem([...path, 'values'], 'values must be an array');
  return values;
}

function nested(v: unknown, path: (string | number)[], depth: number, walk: Walk): Json {
  const field = onlyField(v, path);
  if (field === undefined) return null;
  const record = v as Record<string, unknown>;
  const raw = record[field];
  const at = [...path, field];
  switch (field) {
    case 'stringValue':
      return stringOf(raw, at);
    case 'boolValue':
      if (typeof raw !== 'boolean') throw new AnyValueProblem(at, 'boolValue must be true or false');
      return raw;
    case 'intValue': {
      const n = parseInt64(raw, at);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(n)
        : String(n);
    }
    case 'doubleValue': {
      const n = parseDouble(raw, at);
      return Number.isFinite(n) ? n : doubleText(n);
    }
    case 'bytesValue':
      return bytesText(raw, at);
    case 'arrayValue':
    case 'kvlistValue': {
      if (depth >= AnyValueLimits.maxDepth) {
        throw new AnyValueProblem(
          at,
          `arrays and kvlists may be nested at most ${AnyValueLimits.maxDepth} deep in one attribute value`,
        );
      }
      const values = listOf(raw, at);
      walk.elements += values.length;
      if (walk.elements > AnyValueLimits.maxElements) {
        throw new AnyValueProblem(
          at,
          `an attribute value may hold at most ${AnyValueLimits.maxElements} array entries and kvlist pairs`,
        );
      }
      if (field === 'arrayValue') {
        return values.map((item, i) => nested(item, [...at, 'values', i], depth + 1, walk));
      }
      const out: { [key: string]: Json } = {};
      values.forEach((pair, i) => {
        const pairPath = [...at, 'values', i];
        const key = (pair as { key?: unknown } | null)?.key;
        if (typeof key !== 'string' || key.length > IngestLimits.maxAttributeKeyLength) {
          throw new AnyValueProblem(
            [...pairPath, 'key'],
            `a kvlist key must be a string of at most ${IngestLimits.maxAttributeKeyLength} characters`,
          );
        }
        if (key in out) delete out[key];
        out[key] = nested((pair as { value?: unknown }).value, [...pairPath, 'value'], depth + 1, walk);
      });
      return out;
    }
  }
}

function stringOf(raw: unknown, at: (string | number)[]): string {
  if (typeof raw !== 'string') throw new AnyValueProblem(at, 'stringValue must be a string');
  if (raw.includes('\u0000')) {
    throw new AnyValueProblem(at, 'an attribute value must not contain NUL (\\u0000) characters');
  }
  return checkLength(raw, at);
}

/** Renders one attribute value; throws AnyValueProblem (path relative to the value) when it is not storable. */
function render(v: unknown): RenderedValue {
  const field = onlyField(v, []);
  if (field === undefined) return { kind: 'empty', text: '' };
  const raw = (v as Record<string, unknown>)[field];
  const at = [field];
  switch (field) {
    case 'stringValue':
      return { kind: 'string', text: stringOf(raw, at) };
    case 'boolValue':
      if (typeof raw !== 'boolean') throw new AnyValueProblem(at, 'boolValue must be true or false');
      return { kind: 'bool', text: String(raw) };
    case 'intValue':
      return { kind: 'int', text: String(parseInt64(raw, at)) };
    case 'doubleValue':
      return { kind: 'double', text: doubleText(parseDouble(raw, at)) };
    case 'bytesValue':
      return { kind: 'bytes', text: checkLength(bytesText(raw, at), at) };
    case 'arrayValue':
    case 'kvlistValue': {
      const json = nested(v, [], 0, { elements: 0 });
      return {
        kind: field === 'arrayValue' ? 'array' : 'kvlist',
        text: checkLength(JSON.stringify(json), at),
      };
    }
  }
}

/** A value of any AnyValue type, rendered (see the module comment); problems name the field path. */
export const anyValueSchema = z
  .custom<AnyValueInput>(() => true)
  .optional()
  .transform((input, ctx) => {
    try {
      return render(input);
    } catch (err) {
      if (!(err instanceof AnyValueProblem)) throw err;
      ctx.issues.push({ code: 'custom', input, message: err.message, path: err.path });
      return z.NEVER;
    }
  });
