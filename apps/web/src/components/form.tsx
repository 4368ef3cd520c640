'use client';
/** Form pieces for the admin pages: labelled fields with their error, API errors, copy-to-clipboard. */
import { isTRPCClientError } from '@trpc/client';
import { useEffect, useState, type ReactNode } from 'react';
import type { z } from 'zod';

export type FieldErrors = Partial<Record<string, string>>;

/** The first message per field of a zod error (client-side validation with the API's own schema). */
export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : '_';
    // Schemas without their own message for min(1) say "Too small: expected string to have >=1 characters".
    const empty = issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1;
    errors[key] ??= empty ? 'must not be empty' : issue.message;
  }
  return errors;
}

/** The API's per-field errors (its errorFormatter sends zod's flattened error), if the call failed on input. */
export function serverFieldErrors(error: unknown): FieldErrors {
  if (!isTRPCClientError(error)) return {};
  const data = error.data as { zodError?: { fieldErrors?: Record<string, string[] | undefined> } | null };
  const errors: FieldErrors = {};
  for (const [field, messages] of Object.entries(data?.zodError?.fieldErrors ?? {})) {
    if (messages?.[0]) errors[field] = messages[0];
  }
  return errors;
}

/** One line saying why a call failed (a zod refusal names the fields instead of dumping JSON). */
export function errorLine(error: unknown): string {
  const fields = serverFieldErrors(error);
  const named = Object.entries(fields).map(([field, message]) => `${field} ${message}`);
  if (named.length) return named.join('; ');
  return error instanceof Error ? error.message : String(error);
}

export function Field({
  label,
  error,
  hint,
  children,
  className,
}: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <label className={`field${error ? ' invalid' : ''}${className ? ` ${className}` : ''}`}>
      <span className="field-label">{label}</span>
      {children}
      {error ? (
        <span className="field-error" data-test="field-error">
          {error}
        </span>
      ) : hint ? (
        <span className="field-hint">{hint}</span>
      ) : null}
    </label>
  );
}

export function FormAlert({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="form-alert" role="alert" data-test={testId ?? 'form-error'}>
      {children}
    </div>
  );
}

/**
 * Copies `text`. The Clipboard API needs a secure context (https, or localhost); elsewhere the text is
 * selected in the page for Ctrl-C instead, and the button says so.
 */
export function CopyButton({ text, label, testId }: { text: string; label: string; testId: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'manual'>('idle');
  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), 2_000);
    return () => clearTimeout(timer);
  }, [state]);
  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('manual');
    }
  };
  return (
    <button
      type="button"
      className="button"
      onClick={() => void onCopy()}
      data-test={testId}
      data-state={state}
    >
      {state === 'copied' ? 'Copied' : state === 'manual' ? 'Select and press Ctrl-C' : label}
    </button>
  );
}
