/**
 * A storage problem the operator can fix (wrong URL, server down, failed migration). The message says what is
 * wrong and what to do; callers print it without a stack trace.
 */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
}
