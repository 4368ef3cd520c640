'use client';
/**
 * The server's dry run (`policies.validate`) of the draft as it is typed, debounced: validate() checks the
 * draft against the cluster (the target exists, versions have instances, no rival policy…), which the
 * browser cannot. Only a draft the schema accepts is sent; an answer for an older draft is dropped.
 */
import { useMutation } from '@tanstack/react-query';
import type { PolicyResourceInput } from '@weft/schema';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import type { PathedIssue } from './issues.ts';

export const DRY_RUN_DEBOUNCE_MS = 400;

export type DryRunState =
  | { status: 'off' }
  | { status: 'checking'; findings: readonly PathedIssue[] }
  | { status: 'done'; findings: readonly PathedIssue[] }
  | { status: 'failed'; message: string };

/** `key` identifies the draft's content (its canonical YAML); `enabled` is false while the schema refuses it. */
export function useDryRun(resource: PolicyResourceInput, key: string, enabled: boolean): DryRunState {
  const trpc = useTRPC();
  const { mutateAsync } = useMutation(trpc.policies.validate.mutationOptions({ retry: 1 }));
  const [answer, setAnswer] = useState<
    { key: string; findings: PathedIssue[] } | { key: string; error: string } | null
  >(null);
  const latestKey = useRef(key);
  const latestResource = useRef(resource);
  latestResource.current = resource;

  useEffect(() => {
    latestKey.current = key;
    if (!enabled) return;
    const timer = setTimeout(() => {
      mutateAsync(latestResource.current).then(
        (result) => {
          if (latestKey.current === key) setAnswer({ key, findings: result.findings });
        },
        (error: unknown) => {
          if (latestKey.current === key) {
            setAnswer({ key, error: error instanceof Error ? error.message : String(error) });
          }
        },
      );
    }, DRY_RUN_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key, enabled, mutateAsync]);

  if (!enabled) return { status: 'off' };
  if (answer?.key === key) {
    return 'error' in answer
      ? { status: 'failed', message: answer.error }
      : { status: 'done', findings: answer.findings };
  }
  // Meanwhile the previous answer stays on screen, marked as being re-checked.
  return { status: 'checking', findings: answer && 'findings' in answer ? answer.findings : [] };
}
