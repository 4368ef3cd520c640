'use client';
/**
 * Every change to the policies, newest first: mesh-wide, or one policy's. Who, when, what (create / update /
 * delete) and the diff of the policy's YAML before and after; editors revert to any earlier version in one
 * confirmed step (RevertPanel). In Kubernetes mode this is Weft's own audit trail (the cluster keeps none):
 * writes through Weft carry the user, changes made past it (kubectl) are recorded as "kubernetes" when the
 * API sees them.
 */
import { useQuery } from '@tanstack/react-query';
import { diffCounts } from '@weft/schema';
import Link from 'next/link';
import { Fragment, useMemo, useState } from 'react';
import { useHasRole } from '@/components/Session.tsx';
import { Empty, ErrorState, LiveStatus, Loading, PageHeader, StaleNotice } from '@/components/ui.tsx';
import { formatDateTime } from '@/lib/format.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { useTRPC } from '@/lib/trpc.ts';
import { DiffView } from '../policy-editor/DiffView.tsx';
// The diff's look, shared with the editors.
import '../policy-editor/editor.css';
import { editHref, historyHref, refName, type PolicyRefLike } from './paths.ts';
import { RevertPanel, type RevertOutcome } from './RevertPanel.tsx';
import { latestRevisionKeys, revisionKey, stateDiff } from './revisionText.ts';
import type { PolicyRevision } from './types.ts';

/** Changes asked for at a time, up to what the API answers at most (its PolicyStorageLimits.maxHistory). */
const PAGE_SIZE = 100;
const MAX_HISTORY = 500;

const ACTION_LABEL: Record<PolicyRevision['action'], string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
};

function revisionDiff(r: PolicyRevision): string {
  return stateDiff(
    r.ref,
    { spec: r.previousSpec, label: r.revision > 1 ? `before (revision ${r.revision - 1})` : 'before (none)' },
    { spec: r.spec, label: `revision ${r.revision}` },
  );
}

export function HistoryView({ policy }: { policy?: PolicyRefLike }) {
  const trpc = useTRPC();
  const [limit, setLimit] = useState(PAGE_SIZE);
  const input = policy
    ? {
        kind: policy.kind as PolicyRevision['ref']['kind'],
        namespace: policy.namespace,
        name: policy.name,
        limit,
      }
    : { limit };
  const query = useQuery(
    trpc.policies.history.queryOptions(input, {
      refetchInterval: REFRESH_MS,
      placeholderData: (previous) => previous,
    }),
  );
  const platform = useQuery(trpc.platform.info.queryOptions(undefined, { staleTime: 60_000 }));
  const canEdit = useHasRole('editor');
  const [expanded, setOpen] = useState<ReadonlySet<string>>(() => new Set());
  const [reverting, setReverting] = useState<string | null>(null);
  const [reverted, setReverted] = useState<{ name: string; outcome: RevertOutcome } | null>(null);

  const revisions = useMemo(() => query.data ?? [], [query.data]);
  const latest = useMemo(() => latestRevisionKeys(revisions), [revisions]);
  const toggle = (key: string) => {
    const next = new Set(expanded);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setOpen(next);
  };
  const columns = policy ? 6 : 7;

  return (
    <div className="page" data-test={policy ? 'policy-history-page' : 'history-page'}>
      <div className="breadcrumb">
        <Link href="/policies">Config</Link>
        <span>/</span>
        {policy ? (
          <>
            <Link href={historyHref()}>History</Link>
            <span>/</span>
            {refName(policy)}
          </>
        ) : (
          'History'
        )}
      </div>
      <PageHeader
        title={policy ? `History of ${policy.namespace}/${policy.name}` : 'History'}
        subtitle={
          policy
            ? `Every change to ${refName(policy)}, newest first, and what it changed`
            : 'Every change to every policy, newest first: who, when and what changed'
        }
      >
        {policy ? (
          <Link href={editHref(policy)} className="button" data-test="history-open-policy">
            {canEdit ? 'Edit' : 'Open'}
          </Link>
        ) : null}
        <LiveStatus updatedAt={query.dataUpdatedAt} fetching={query.isFetching} />
      </PageHeader>

      {platform.data?.platform === 'kubernetes' ? (
        <div className="notice small" data-test="history-kubernetes-note">
          The cluster keeps no history of custom resources: this is Weft&apos;s own audit trail. Changes made
          through Weft carry the user; changes made past it (kubectl, GitOps) are recorded as{' '}
          <span className="mono">kubernetes</span> when the control plane sees them, including ones made while
          it was down, except a delete made while it was down.
        </div>
      ) : null}

      {reverted ? (
        <div className="form-success" role="status" data-test="history-reverted">
          {reverted.outcome.action === 'unchanged'
            ? `${reverted.name} was already as at revision ${reverted.outcome.revertedTo}: nothing changed.`
            : `Reverted ${reverted.name} to revision ${reverted.outcome.revertedTo}: ${ACTION_LABEL[reverted.outcome.action]}, recorded as a new revision below.`}
        </div>
      ) : null}

      {query.isPending ? (
        <Loading what="history" />
      ) : query.isError && !query.data ? (
        <ErrorState error={query.error} what="history" />
      ) : (
        <>
          {query.isError ? <StaleNotice error={query.error} /> : null}
          <div className="panel">
            {revisions.length === 0 ? (
              <Empty testId="history-empty">
                {policy ? `${refName(policy)} has no recorded changes.` : 'No policy has been changed yet.'}
              </Empty>
            ) : (
              <table className="table history-table" data-test="history-table">
                <thead>
                  <tr>
                    <th className="num">Revision</th>
                    <th>When</th>
                    <th>Who</th>
                    <th>Change</th>
                    {policy ? null : <th>Policy</th>}
                    <th className="num">Lines</th>
                    <th>
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {revisions.map((r) => {
                    const key = revisionKey(r);
                    const isOpen = expanded.has(key);
                    const isLive = latest.has(key);
                    const diff = isOpen ? revisionDiff(r) : '';
                    const counts = diffCounts(revisionDiff(r));
                    return (
                      <Fragment key={key}>
                        <tr
                          className={`history-row${isOpen ? ' history-row-open' : ''}`}
                          data-test={`history-row-${r.revision}`}
                          data-policy={`${r.ref.kind}/${r.ref.namespace}/${r.ref.name}`}
                          data-action={r.action}
                        >
                          <td className="num mono">#{r.revision}</td>
                          <td className="nowrap">{formatDateTime(r.atMs)}</td>
                          <td className="nowrap" data-test="history-by">
                            {r.by}
                          </td>
                          <td className="nowrap">
                            <span className={`tag action-tag action-${r.action}`} data-test="history-action">
                              {ACTION_LABEL[r.action]}
                            </span>
                            {isLive ? (
                              <span className="muted small" title="This revision is what is live now">
                                live now
                              </span>
                            ) : null}
                          </td>
                          {policy ? null : (
                            <td className="nowrap">
                              <Link href={historyHref(r.ref)} data-test="history-policy">
                                <span className="muted">{r.ref.kind} </span>
                                {r.ref.namespace}/{r.ref.name}
                              </Link>
                            </td>
                          )}
                          <td className="num nowrap mono small">
                            <span className="pe-diff-count-add">+{counts.added}</span>{' '}
                            <span className="pe-diff-count-del">−{counts.removed}</span>
                          </td>
                          <td className="row-actions">
                            <button
                              type="button"
                              className="button"
                              aria-expanded={isOpen}
                              onClick={() => toggle(key)}
                              data-test={`history-toggle-${r.revision}`}
                            >
                              {isOpen ? 'Hide diff' : 'Diff'}
                            </button>
                            {canEdit ? (
                              <button
                                type="button"
                                className="button"
                                disabled={isLive || reverting === key}
                                title={isLive ? 'This is what is live now' : undefined}
                                onClick={() => {
                                  setReverted(null);
                                  setReverting(key);
                                }}
                                data-test={`history-revert-${r.revision}`}
                              >
                                Revert to this version
                              </button>
                            ) : null}
                          </td>
                        </tr>
                        {reverting === key ? (
                          <tr className="history-detail">
                            <td colSpan={columns}>
                              <RevertPanel
                                revision={r}
                                onCancel={() => setReverting(null)}
                                onDone={(outcome) => {
                                  setReverting(null);
                                  setReverted({ name: refName(r.ref), outcome });
                                }}
                              />
                            </td>
                          </tr>
                        ) : null}
                        {isOpen ? (
                          <tr className="history-detail">
                            <td colSpan={columns}>
                              <DiffView diff={diff} empty="The spec did not change." testId="history-diff" />
                            </td>
                          </tr>
                        ) : null}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            )}
            {revisions.length >= limit && limit < MAX_HISTORY ? (
              <div className="table-footnote">
                <button
                  type="button"
                  className="button"
                  onClick={() => setLimit((l) => Math.min(MAX_HISTORY, l + PAGE_SIZE))}
                  data-test="history-more"
                >
                  Show older changes
                </button>
              </div>
            ) : revisions.length >= MAX_HISTORY ? (
              <div className="table-footnote muted small">
                The newest {MAX_HISTORY} changes; older ones are kept but not listed here.
              </div>
            ) : null}
          </div>
        </>
      )}
    </div>
  );
}
