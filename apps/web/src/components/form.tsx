'use client';
/**
 * Form pieces for the admin pages: labelled fields with their error, API errors, confirm-then-act buttons,
 * copy-to-clipboard.
 */
import { useMutation, type UseMutationOptions } from '@tanstack/react-query';
import { isTRPCClientError } from '@trpc/client';
import { useEffect, useState, type InputHTMLAttributes, type ReactNode } from 'react';
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

/**
 * A form's draft and its per-field errors. `field(key)` gives a field's value, error and onChange (which
 * clears that field's error, and calls `onEdit`).
 */
export function useDraft<D extends Record<keyof D, string>>(empty: D, onEdit?: () => void) {
  const [draft, setDraft] = useState<D>(empty);
  const [errors, setErrors] = useState<FieldErrors>({});
  const field = (key: keyof D & string) => ({
    value: draft[key],
    error: errors[key],
    onChange: (value: string) => {
      setDraft((d) => ({ ...d, [key]: value }));
      setErrors((e) => ({ ...e, [key]: undefined }));
      onEdit?.();
    },
  });
  return { draft, setDraft, errors, setErrors, field };
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

/** A labelled text input (a `Field` around an `.input`) that reports its new value, not the event. */
export function TextField({
  label,
  error,
  hint,
  className,
  onChange,
  testId,
  ...input
}: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  className?: string;
  value: string;
  onChange: (value: string) => void;
  testId: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'className' | 'value' | 'onChange'>) {
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      <input className="input" {...input} onChange={(e) => onChange(e.target.value)} data-test={testId} />
    </Field>
  );
}

export function FormAlert({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="form-alert" role="alert" data-test={testId ?? 'form-error'}>
      {children}
    </div>
  );
}

/** A form's submit button (in its `.form-actions` cell), disabled and saying `pendingLabel` while the call runs. */
export function SubmitButton({
  label,
  pendingLabel,
  pending,
  testId,
}: {
  label: string;
  pendingLabel: string;
  pending: boolean;
  testId: string;
}) {
  return (
    <div className="form-actions">
      <button type="submit" className="button primary" disabled={pending} data-test={testId}>
        {pending ? pendingLabel : label}
      </button>
    </div>
  );
}

/** Why a call failed (`Could not <what>: …`), unless it failed on fields, which the fields show themselves. */
export function CallFailedAlert({ error, what }: { error: unknown; what: string }) {
  if (error == null || Object.keys(serverFieldErrors(error)).length) return null;
  return (
    <FormAlert>
      Could not {what}: {errorLine(error)}
    </FormAlert>
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

/**
 * A destructive call behind a confirmation: the button asks `question`, with a confirm and a cancel button,
 * and the confirm button runs `mutation` with `variables`.
 * Test ids: `testId` (the first button), `${testId}-confirm` (the question), `${testId}-yes`, `${testId}-no`.
 */
export function ConfirmButton<TData, TError, TVariables, TContext>({
  label,
  pendingLabel,
  question,
  mutation,
  variables,
  testId,
}: {
  label: string;
  pendingLabel: string;
  question: ReactNode;
  mutation: UseMutationOptions<TData, TError, TVariables, TContext>;
  variables: TVariables;
  testId: string;
}) {
  const [confirming, setConfirming] = useState(false);
  const action = useMutation(mutation);
  if (!confirming) {
    return (
      <button
        type="button"
        className="button danger-outline"
        onClick={() => setConfirming(true)}
        data-test={testId}
      >
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" data-test={`${testId}-confirm`}>
      <span className="confirm-text">{question}</span>
      <button
        type="button"
        className="button danger"
        disabled={action.isPending}
        onClick={() => action.mutate(variables)}
        data-test={`${testId}-yes`}
      >
        {action.isPending ? pendingLabel : label}
      </button>
      <button
        type="button"
        className="button link"
        onClick={() => setConfirming(false)}
        data-test={`${testId}-no`}
      >
        Cancel
      </button>
      {action.isError ? <span className="text-failing small">{errorLine(action.error)}</span> : null}
    </span>
  );
}
