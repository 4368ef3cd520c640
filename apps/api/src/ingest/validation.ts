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

export function issuesFromZod(error: z.ZodError, limit = 20): FieldIssue[] {
  return error.issues.slice(0, limit).map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
}

export function parseOrThrow<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new InvalidInputError(`invalid ${what}`, issuesFromZod(parsed.error));
  return parsed.data;
}
