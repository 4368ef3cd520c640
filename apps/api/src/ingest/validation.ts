import { OtlpLimits, attributeString } from '@weft/schema';
import type { z } from 'zod';

export interface FieldIssue {
  path: string;
  message: string;
}

/** Thrown for input that cannot be stored; carries field-level reasons for the 4xx body. */
export class InvalidInputError extends Error {
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** Zod's issues as field issues; `prefix` is the path of what was parsed within the request. */
export function issuesFromZod(error: z.ZodError, limit = 20, prefix = ''): FieldIssue[] {
  return error.issues.slice(0, limit).map((i) => {
    const path = i.path.map(String).join('.');
    return { path: prefix && path ? `${prefix}.${path}` : prefix || path || '(root)', message: i.message };
  });
}

/**
 * Items (spans, data points) refused one by one: how many, and the first few reasons, for the OTLP
 * partial_success message or, when nothing was accepted, the 400.
 */
export class Refusals {
  count = 0;
  readonly reasons: FieldIssue[] = [];

  add(items: number, issues: readonly FieldIssue[]): void {
    this.count += items;
    for (const issue of issues) {
      if (this.reasons.length >= OtlpLimits.maxReasonsQuoted) break;
      this.reasons.push(issue);
    }
  }

  /** "3 spans refused: path: message; path: message" (the first few reasons). */
  message(what: 'span' | 'data point'): string {
    const reasons = this.reasons.map((r) => `${r.path}: ${r.message}`).join('; ');
    const more = this.count > this.reasons.length ? ' …' : '';
    return `${this.count} ${what}${this.count === 1 ? '' : 's'} refused: ${reasons}${more}`;
  }
}

export function parseOrThrow<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new InvalidInputError(`invalid ${what}`, issuesFromZod(parsed.error));
  return parsed.data;
}

type Attribute = { key: string; value: Parameters<typeof attributeString>[0][number]['value'] };

/**
 * Reads a name-like attribute (service, namespace, version, proxy id) that is stored in an indexed column.
 * Longer than `maxBytes` bytes of UTF-8 is an issue at the attribute's path; the value is then undefined.
 */
export function boundedAttribute(
  attributes: readonly Attribute[],
  key: string,
  maxBytes: number,
  attributesPath: string,
  issues: FieldIssue[],
): string | undefined {
  const value = attributeString(attributes, key);
  if (value === undefined || Buffer.byteLength(value, 'utf8') <= maxBytes) return value;
  const index = attributes.findIndex((a) => a.key === key);
  issues.push({
    path: `${attributesPath}.${index}.value`,
    message: `"${key}" must be at most ${maxBytes} bytes (UTF-8)`,
  });
  return undefined;
}
