/**
 * Reads a field's limits and default from the kind's shared zod schema, by the same dotted path the field's
 * issues and `data-test` use ("rules.0.limit.requests"). Hints therefore never restate a number the schema
 * already holds: when the schema's limit changes, the hint changes with it.
 */
import type { z } from 'zod';
import { formatCount } from './convert.ts';

/** The parts of zod's internal definition we walk (zod 4: every schema has `def.type`). */
interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  defaultValue?: unknown;
  checks?: { _zod: { def: { check: string; minimum?: number; maximum?: number } } }[];
  entries?: Record<string, string>;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { def: SchemaDef }).def;
}

/** What wraps a field without changing its value's type. */
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly']);

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let def = defOf(current); WRAPPERS.has(def.type) && def.innerType; def = defOf(current)) {
    current = def.innerType;
  }
  return current;
}

/** The schema of the field at `path` in `schema` (array indexes walk into the element), or undefined. */
export function schemaAt(schema: z.ZodType, path: string): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path === '' ? [] : path.split('.')) {
    if (current === undefined) return undefined;
    const def = defOf(unwrap(current));
    if (def.type === 'object') current = def.shape?.[segment];
    else if (def.type === 'array' && /^\d+$/.test(segment)) current = def.element;
    else return undefined;
  }
  return current;
}

export interface FieldFacts {
  /** The field may be left out (`.optional()`). */
  optional: boolean;
  /** The value zod fills in when the field is left out (`.default(…)`). */
  defaultValue: unknown;
  min: number | undefined;
  max: number | undefined;
  integer: boolean;
  /** For enums: the allowed values. */
  options: readonly string[] | undefined;
}

/** What the schema says about one field: optional or defaulted, numeric bounds, enum values, list length. */
export function fieldFacts(schema: z.ZodType, path: string): FieldFacts {
  const field = schemaAt(schema, path);
  const facts: FieldFacts = {
    optional: false,
    defaultValue: undefined,
    min: undefined,
    max: undefined,
    integer: false,
    options: undefined,
  };
  if (field === undefined) return facts;
  // The outermost wrappers decide presence: optional(), or default() which also makes it optional on input.
  for (let current = field, def = defOf(current); WRAPPERS.has(def.type) && def.innerType;) {
    if (def.type === 'optional') facts.optional = true;
    if (def.type === 'default' && facts.defaultValue === undefined) facts.defaultValue = def.defaultValue;
    current = def.innerType;
    def = defOf(current);
  }
  const inner = unwrap(field);
  const def = defOf(inner);
  if (def.type === 'number') {
    const number = inner as z.ZodNumber;
    facts.min = number.minValue ?? undefined;
    facts.max = number.maxValue ?? undefined;
    facts.integer = number.isInt;
  } else if (def.type === 'array' || def.type === 'string') {
    for (const check of def.checks ?? []) {
      const c = check._zod.def;
      if (c.check === 'min_length') facts.min = c.minimum;
      if (c.check === 'max_length') facts.max = c.maximum;
    }
  } else if (def.type === 'enum') {
    facts.options = Object.values(def.entries ?? {});
  }
  return facts;
}

/**
 * "1–1,000 requests", "0–100 %, default 50": the range and the default of a numeric field, for its hint.
 * zod's integer checks carry the safe-integer bounds when no explicit limit was set; those are left out.
 */
export function rangeHint(
  facts: FieldFacts,
  unit: string,
  show: (value: number) => string = formatCount,
): string {
  const unbounded = (value: number | undefined) =>
    value === undefined || Math.abs(value) >= Number.MAX_SAFE_INTEGER;
  const parts: string[] = [];
  const { min, max } = facts;
  const unitText = unit ? ` ${unit}` : '';
  if (!unbounded(min) && !unbounded(max))
    parts.push(`${show(min as number)}–${show(max as number)}${unitText}`);
  else if (!unbounded(min)) parts.push(`at least ${show(min as number)}${unitText}`);
  else if (!unbounded(max)) parts.push(`at most ${show(max as number)}${unitText}`);
  else if (unit) parts.push(unit);
  if (typeof facts.defaultValue === 'number') parts.push(`default ${show(facts.defaultValue)}`);
  if (typeof facts.defaultValue === 'string') parts.push(`default ${facts.defaultValue}`);
  return parts.join(', ');
}
