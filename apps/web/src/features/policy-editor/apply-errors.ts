/**
 * What a failed apply or delete means for the user: a 409 (someone else changed it meanwhile), a refusal
 * with validate() findings (nothing was written), a role the API refused, or anything else.
 */
import { isTRPCClientError } from '@trpc/client';
import type { PathedIssue } from './issues.ts';

export type ApplyFailure =
  | { type: 'conflict'; message: string }
  | { type: 'refused'; message: string; findings: PathedIssue[] }
  | { type: 'forbidden'; message: string }
  | { type: 'failed'; message: string };

interface ErrorData {
  code?: unknown;
  httpStatus?: unknown;
  findings?: unknown;
}

function isFinding(value: unknown): value is PathedIssue {
  if (value === null || typeof value !== 'object') return false;
  const f = value as Record<string, unknown>;
  return (
    typeof f.code === 'string' &&
    typeof f.message === 'string' &&
    typeof f.path === 'string' &&
    (f.severity === 'error' || f.severity === 'warning')
  );
}

export function classifyApplyError(error: unknown): ApplyFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (!isTRPCClientError(error)) return { type: 'failed', message };
  const data = (error.data ?? {}) as ErrorData;
  if (data.code === 'CONFLICT' || data.httpStatus === 409) return { type: 'conflict', message };
  if (data.code === 'FORBIDDEN' || data.httpStatus === 403) return { type: 'forbidden', message };
  if (data.code === 'BAD_REQUEST' || data.httpStatus === 400) {
    const findings = Array.isArray(data.findings) ? data.findings.filter(isFinding) : [];
    return { type: 'refused', message, findings };
  }
  return { type: 'failed', message };
}
