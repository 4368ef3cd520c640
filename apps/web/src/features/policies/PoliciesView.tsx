'use client';
/**
 * Traffic policies (policy.weft.dev/v1alpha1), read-only: what each targets, whether the control plane
 * Accepted it and the proxies Programmed it (status, reason, the message on hover or expanded), and the
 * validation findings with their codes (docs/validation-codes.md). Writing comes with the editors.
 */
import { useQuery } from '@tanstack/react-query';
import { VALIDATION_CODES, type Condition } from '@weft/schema';
import { useMemo, useState } from 'react';
import { Empty, ErrorState, LiveStatus, Loading, PageHeader, StaleNotice, Stat } from '@/components/ui.tsx';
import { formatDateTime } from '@/lib/format.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { useTRPC, type RouterOutputs } from '@/lib/trpc.ts';

type StoredPolicy = RouterOutputs['policies']['list'][number];
type PolicyFinding = StoredPolicy['findings'][number];

function policyKey(p: StoredPolicy): string {
  const { kind, metadata } = p.resource;
  return `${kind}/${metadata.namespace}/${metadata.name}`;
}

function conditionOf(p: StoredPolicy, type: string): Condition | undefined {
  return p.conditions.find((c) => c.type === type);
}

function codeTitle(code: string): string | undefined {
  return (VALIDATION_CODES as Record<string, { title: string } | undefined>)[code]?.title;
}

export function PoliciesView() {
  const trpc = useTRPC();
  const query = useQuery(trpc.policies.list.queryOptions(undefined, { refetchInterval: REFRESH_MS }));
  const [filter, setFilter] = useState('');

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return (query.data ?? [])
      .filter(
        (p) => !needle || `${policyKey(p)} ${p.resource.spec.targetRef.name}`.toLowerCase().includes(needle),
      )
      .sort((a, b) => {
        const ma = a.resource.metadata;
        const mb = b.resource.metadata;
        return (
          ma.namespace.localeCompare(mb.namespace) ||
          ma.name.localeCompare(mb.name) ||
          a.resource.kind.localeCompare(b.resource.kind)
        );
      });
  }, [query.data, filter]);

  const totals = useMemo(() => {
    const list = query.data ?? [];
    const notTrue = (type: string) => list.filter((p) => conditionOf(p, type)?.status !== 'True').length;
    return {
      policies: list.length,
      notAccepted: notTrue('Accepted'),
      notProgrammed: notTrue('Programmed'),
      warnings: list.filter((p) => p.findings.length > 0).length,
    };
  }, [query.data]);

  return (
    <div className="page" data-test="policies-page">
      <PageHeader
        title="Policies"
        subtitle="Traffic policies, whether the control plane accepted them and the proxies put them in force"
      >
        <LiveStatus updatedAt={query.dataUpdatedAt} fetching={query.isFetching} />
      </PageHeader>

      {query.isPending ? (
        <Loading what="policies" />
      ) : query.isError && !query.data ? (
        <ErrorState error={query.error} what="policies" />
      ) : (
        <>
          {query.isError ? <StaleNotice error={query.error} /> : null}
          <div className="stat-row">
            <Stat label="Policies" value={totals.policies} testId="policies-total" />
            <Stat
              label="Not accepted"
              value={
                <span className={totals.notAccepted ? 'text-failing' : undefined}>{totals.notAccepted}</span>
              }
            />
            <Stat label="Not programmed" value={totals.notProgrammed} />
            <Stat label="With findings" value={totals.warnings} />
          </div>
          <div className="panel">
            <div className="panel-toolbar">
              <input
                type="search"
                className="input"
                placeholder="Filter by name, kind or target…"
                value={filter}
                onChange={(e) => setFilter(e.target.value)}
                data-test="policy-filter"
                aria-label="Filter policies"
              />
            </div>
            {rows.length === 0 ? (
              <Empty testId="policies-empty">
                {query.data?.length ? (
                  'No policy matches the filter.'
                ) : (
                  <>
                    No policies yet. Apply one with <code className="mono">weft policy apply -f …</code> (see{' '}
                    <code className="mono">examples/policies/</code>).
                  </>
                )}
              </Empty>
            ) : (
              <div className="table-scroll">
                <table className="table policies-table" data-test="policies-table">
                  <thead>
                    <tr>
                      <th>Kind</th>
                      <th>Namespace/name</th>
                      <th>Target</th>
                      <th>Accepted</th>
                      <th>Programmed</th>
                      <th>Findings</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((p) => (
                      <PolicyTableRow key={policyKey(p)} policy={p} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        </>
      )}
    </div>
  );
}

function PolicyTableRow({ policy: p }: { policy: StoredPolicy }) {
  const { kind, metadata, spec } = p.resource;
  const target = spec.targetRef;
  const accepted = conditionOf(p, 'Accepted');
  return (
    <tr
      className={accepted?.status === 'False' ? 'row-error policy-row' : 'policy-row'}
      data-test="policy-row"
      data-policy={`${kind}/${metadata.namespace}/${metadata.name}`}
    >
      <td className="nowrap">
        <span className="tag" data-test="policy-kind">
          {kind}
        </span>
      </td>
      <td className="policy-name-cell" data-test="policy-name">
        <div className="nowrap">
          <span className="muted">{metadata.namespace}/</span>
          <span className="strong">{metadata.name}</span>
        </div>
        <div
          className="muted tiny"
          title={`generation ${metadata.generation ?? '–'}, resourceVersion ${metadata.resourceVersion ?? '–'}; updated ${formatDateTime(p.updatedAtMs)} by ${p.updatedBy}`}
          data-test="policy-updated"
        >
          gen {metadata.generation ?? '–'} · {formatDateTime(p.updatedAtMs)} by {p.updatedBy}
        </div>
      </td>
      <td className="nowrap" data-test="policy-target">
        <span className="muted small">{target.kind} </span>
        {target.name}
        {target.sectionName ? <span className="muted"> § {target.sectionName}</span> : null}
      </td>
      <td className="condition-cell">
        <ConditionView condition={accepted} type="Accepted" />
      </td>
      <td className="condition-cell">
        <ConditionView condition={conditionOf(p, 'Programmed')} type="Programmed" />
      </td>
      <td className="findings-cell" data-test="policy-findings">
        {p.findings.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <ul className="findings">
            {p.findings.map((f, i) => (
              <FindingView key={`${f.code}-${f.path}-${i}`} finding={f} />
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

/** Status as colour and word, the reason beside it; the message on hover and when expanded. */
export function ConditionView({ condition: c, type }: { condition: Condition | undefined; type: string }) {
  if (!c) {
    return (
      <span className="muted small" data-test={`condition-${type}`} data-status="none">
        not reported
      </span>
    );
  }
  const since = Date.parse(c.lastTransitionTime);
  const tone = c.status === 'True' ? 'true' : c.status === 'False' ? 'false' : 'unknown';
  const head = (
    <>
      <span className={`condition-status condition-${tone}`} data-test="condition-status">
        <span className="dot" aria-hidden />
        {c.status}
      </span>
      <span className="condition-reason" data-test="condition-reason">
        {c.reason}
      </span>
    </>
  );
  return (
    <div className="condition" data-test={`condition-${type}`} data-status={c.status} data-reason={c.reason}>
      {c.message ? (
        <details className="condition-details">
          <summary title={c.message}>{head}</summary>
          <div className="condition-message" data-test="condition-message">
            {c.message}
            {Number.isFinite(since) ? <div className="muted tiny">since {formatDateTime(since)}</div> : null}
          </div>
        </details>
      ) : (
        <div className="condition-summary">{head}</div>
      )}
    </div>
  );
}

function FindingView({ finding: f }: { finding: PolicyFinding }) {
  const title = codeTitle(f.code);
  return (
    <li className={`finding finding-${f.severity}`} data-test="policy-finding" data-code={f.code}>
      <div className="finding-head">
        <span
          className={`finding-code severity-${f.severity}`}
          title={title ? `${f.code}: ${title}` : f.code}
        >
          {f.code}
        </span>
        {f.path ? <span className="muted mono finding-path">{f.path}</span> : null}
      </div>
      <span className="finding-text">{f.message}</span>
    </li>
  );
}
