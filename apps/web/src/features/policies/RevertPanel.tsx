'use client';
/**
 * "Revert to this version", confirmed: reads the policy as it is now, shows what will be live after the revert
 * (the diff from now to revision N, or that it will be deleted), and reverts with the resourceVersion it read.
 * If someone changes the policy meanwhile the API answers 409 and nothing is written: the panel says so and
 * offers to read it again. A refusal (validate() findings, e.g. the target is gone) shows the codes.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { isTRPCClientError } from '@trpc/client';
import { useCallback, useEffect, useState } from 'react';
import { FormAlert } from '@/components/form.tsx';
import { useTRPC, type RouterOutputs } from '@/lib/trpc.ts';
import { classifyApplyError } from '../policy-editor/apply-errors.ts';
import { DiffView } from '../policy-editor/DiffView.tsx';
import '../policy-editor/editor.css';
import { FindingCode } from './Findings.tsx';
import { refName } from './paths.ts';
import { stateDiff } from './revisionText.ts';
import type { PolicyRevision, StoredPolicy } from './types.ts';

export type RevertOutcome = RouterOutputs['policies']['revert'];

type Read =
  { state: 'loading' } | { state: 'read'; policy: StoredPolicy | null } | { state: 'failed'; error: unknown };

function isNotFound(error: unknown): boolean {
  if (!isTRPCClientError(error)) return false;
  const data = error.data as { code?: unknown } | undefined;
  return data?.code === 'NOT_FOUND';
}

export function RevertPanel({
  revision: r,
  onDone,
  onCancel,
}: {
  revision: PolicyRevision;
  onDone: (outcome: RevertOutcome) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [read, setRead] = useState<Read>({ state: 'loading' });
  const revert = useMutation(
    trpc.policies.revert.mutationOptions({
      onSuccess: async (outcome) => {
        await queryClient.invalidateQueries({ queryKey: trpc.policies.pathKey() });
        onDone(outcome);
      },
    }),
  );
  const { reset } = revert;

  // Read once when opened and on Reload only (not when the history refetches and hands a new `r`): what the
  // user confirms is what the revert checks against.
  const { kind, namespace, name: policyName } = r.ref;
  const load = useCallback(async () => {
    setRead({ state: 'loading' });
    reset();
    try {
      const policy = await queryClient.fetchQuery({
        ...trpc.policies.get.queryOptions({ kind, namespace, name: policyName }),
        staleTime: 0,
      });
      setRead({ state: 'read', policy });
    } catch (error) {
      setRead(isNotFound(error) ? { state: 'read', policy: null } : { state: 'failed', error });
    }
  }, [queryClient, trpc, kind, namespace, policyName, reset]);
  useEffect(() => {
    void load();
  }, [load]);

  const testId = `history-revert-${r.revision}`;
  const name = refName(r.ref);
  if (read.state === 'loading') {
    return (
      <div className="revert-panel" data-test={`${testId}-confirm`} data-state="loading">
        <span className="muted">Reading {name} as it is now…</span>
      </div>
    );
  }
  if (read.state === 'failed') {
    return (
      <div className="revert-panel" data-test={`${testId}-confirm`} data-state="failed">
        <FormAlert>
          Could not read {name}: {read.error instanceof Error ? read.error.message : String(read.error)}
        </FormAlert>
        <div className="revert-actions">
          <button type="button" className="button" onClick={() => void load()} data-test="history-reload">
            Try again
          </button>
          <button type="button" className="button link" onClick={onCancel} data-test={`${testId}-no`}>
            Cancel
          </button>
        </div>
      </div>
    );
  }

  const live = read.policy;
  const diff = stateDiff(
    r.ref,
    {
      spec: live?.resource.spec ?? null,
      label: live
        ? `live now (generation ${live.resource.metadata.generation ?? '–'})`
        : 'live now (deleted)',
    },
    {
      spec: r.spec,
      label:
        r.spec === null
          ? `after the revert (deleted, as at revision ${r.revision})`
          : `after the revert (revision ${r.revision})`,
    },
  );
  const nothingToDo = diff === '';
  const failure = revert.isError ? classifyApplyError(revert.error) : null;
  const outcome =
    r.spec === null
      ? live
        ? `${name} will be deleted, as it was at revision ${r.revision}.`
        : `${name} is deleted already, as it was at revision ${r.revision}.`
      : live
        ? `${name} will have the spec of revision ${r.revision} again (a new revision, by you).`
        : `${name} is deleted now: it will be created again with the spec of revision ${r.revision}.`;

  return (
    <div className="revert-panel" data-test={`${testId}-confirm`} data-state="read">
      <div className="revert-question">
        <strong>Revert to revision {r.revision}?</strong>{' '}
        {nothingToDo ? `Revision ${r.revision} is what is live now: nothing to revert.` : outcome}
      </div>
      {nothingToDo ? null : <DiffView diff={diff} empty="" testId="history-revert-preview" />}
      {failure?.type === 'conflict' ? (
        <div className="form-alert" role="alert" data-test="history-conflict">
          Someone changed {name} after you opened this, so nothing was reverted. Read it again to see what is
          live now, then decide.
          <div className="muted small">{failure.message}</div>
          <button type="button" className="button" onClick={() => void load()} data-test="history-reload">
            Reload
          </button>
        </div>
      ) : failure?.type === 'refused' ? (
        <div className="form-alert" role="alert" data-test="history-refused">
          Refused, nothing was written: {failure.message}
          {failure.findings.length ? (
            <ul className="findings revert-findings">
              {failure.findings.map((f, i) => (
                <li key={`${f.code}-${i}`} className="finding" data-test={`finding-${f.code}`}>
                  <FindingCode finding={f} /> <span className="mono tiny">{f.path}</span> {f.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : failure ? (
        <FormAlert testId="history-revert-error">Could not revert: {failure.message}</FormAlert>
      ) : null}
      <div className="revert-actions">
        <button
          type="button"
          className="button primary"
          disabled={nothingToDo || revert.isPending || failure?.type === 'conflict'}
          onClick={() =>
            revert.mutate({
              ...r.ref,
              revision: r.revision,
              expectedResourceVersion: live?.resource.metadata.resourceVersion ?? null,
            })
          }
          data-test={`${testId}-yes`}
        >
          {revert.isPending ? 'Reverting…' : `Revert to revision ${r.revision}`}
        </button>
        <button type="button" className="button link" onClick={onCancel} data-test={`${testId}-no`}>
          Cancel
        </button>
      </div>
    </div>
  );
}
