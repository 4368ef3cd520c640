'use client';
/**
 * The Config page (Kiali's Istio Config list, for Weft's policies): every policy with its target, whether
 * the control plane Accepted it and the proxies Programmed it (reason and message on hover or expanded, and
 * the NACKs that name it), its validation findings; below, every finding with its code, and which proxies run
 * which config version. Each row opens the policy's editor, its history, or deletes it (editors only; the
 * delete carries the resourceVersion shown, so a policy changed meanwhile is not deleted blind).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { POLICY_KIND_NAMES } from '@weft/schema';
import { useCallback, useMemo } from 'react';
import { ConfirmButton } from '@/components/form.tsx';
import { useHasRole } from '@/components/Session.tsx';
import { Empty, ErrorState, LiveStatus, Loading, PageHeader, StaleNotice, Stat } from '@/components/ui.tsx';
import { formatDateTime } from '@/lib/format.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { useTRPC } from '@/lib/trpc.ts';
import { ConditionView } from './ConditionView.tsx';
import { FindingBadges, ValidationsList } from './Findings.tsx';
import { matchesConfigFilter, parseConfigFilter, withConfigFilter, type ConfigFilter } from './filters.ts';
import { configRowTestId, editHref, historyHref, refName } from './paths.ts';
import { ProxyConfigPanel } from './ProxyConfigPanel.tsx';
import { nacksNaming, summarizeProxies, type ProxyConfigRow } from './proxyState.ts';
import { refOfPolicy, type StoredPolicy } from './types.ts';

function conditionOf(p: StoredPolicy, type: string) {
  return p.conditions.find((c) => c.type === type);
}

function useConfigFilter(): [ConfigFilter, (change: Partial<ConfigFilter>) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filter = useMemo(() => parseConfigFilter(params), [params]);
  const setFilter = useCallback(
    (change: Partial<ConfigFilter>) => {
      const next = withConfigFilter(new URLSearchParams(params.toString()), { ...filter, ...change });
      const query = next.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [params, filter, router, pathname],
  );
  return [filter, setFilter];
}

export function ConfigView() {
  const trpc = useTRPC();
  const query = useQuery(trpc.policies.list.queryOptions(undefined, { refetchInterval: REFRESH_MS }));
  const proxies = useQuery(trpc.proxies.list.queryOptions(undefined, { refetchInterval: REFRESH_MS }));
  const canEdit = useHasRole('editor');
  const [filter, setFilter] = useConfigFilter();

  const all = query.data;
  const rows = useMemo(
    () =>
      (all ?? [])
        .filter((p) => matchesConfigFilter(p, filter))
        .sort((a, b) => {
          const ma = a.resource.metadata;
          const mb = b.resource.metadata;
          return (
            ma.namespace.localeCompare(mb.namespace) ||
            ma.name.localeCompare(mb.name) ||
            a.resource.kind.localeCompare(b.resource.kind)
          );
        }),
    [all, filter],
  );
  const namespaces = useMemo(() => {
    const found = new Set((all ?? []).map((p) => p.resource.metadata.namespace));
    if (filter.namespace) found.add(filter.namespace);
    return [...found].sort();
  }, [all, filter.namespace]);

  const proxySummary = useMemo(() => summarizeProxies(proxies.data ?? []), [proxies.data]);
  const totals = useMemo(() => {
    const list = all ?? [];
    const notTrue = (type: string) => list.filter((p) => conditionOf(p, type)?.status !== 'True').length;
    const findings = list.flatMap((p) => p.findings);
    return {
      policies: list.length,
      notAccepted: notTrue('Accepted'),
      notProgrammed: notTrue('Programmed'),
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity !== 'error').length,
    };
  }, [all]);

  return (
    <div className="page" data-test="policies-page">
      <PageHeader
        title="Config"
        subtitle="Every policy, whether the control plane accepted it and the proxies programmed it, and what validation found"
      >
        <Link href={historyHref()} className="button" data-test="config-history-all">
          History
        </Link>
        <LiveStatus updatedAt={query.dataUpdatedAt} fetching={query.isFetching} />
      </PageHeader>

      {query.isPending ? (
        <Loading what="policies" />
      ) : query.isError && !all ? (
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
              testId="policies-not-accepted"
            />
            <Stat label="Not programmed" value={totals.notProgrammed} testId="policies-not-programmed" />
            <Stat
              label="Findings"
              value={
                <span className="stat-split">
                  <span className={totals.errors ? 'text-failing' : undefined}>{totals.errors}</span>
                  <span className="stat-unit">errors</span>
                  <span>{totals.warnings}</span>
                  <span className="stat-unit">warnings</span>
                </span>
              }
              testId="policies-findings"
            />
            <Stat
              label="Proxies ACKed"
              value={
                proxies.data ? (
                  <span className={proxySummary.nack ? 'text-failing' : undefined}>
                    {proxySummary.acked}/{proxySummary.total}
                  </span>
                ) : (
                  '–'
                )
              }
              hint="Proxies whose last answer was an ACK of the latest config they were sent"
              testId="policies-proxies-acked"
            />
          </div>
          <div className="panel">
            <ConfigFilters
              filter={filter}
              setFilter={setFilter}
              namespaces={namespaces}
              shown={rows.length}
              total={all?.length ?? 0}
            />
            {rows.length === 0 ? (
              <Empty testId="policies-empty">
                {all?.length ? (
                  'No policy matches the filters.'
                ) : (
                  <>
                    No policies yet. Apply one with <code className="mono">weft policy apply -f …</code> (see{' '}
                    <code className="mono">examples/policies/</code>).
                  </>
                )}
              </Empty>
            ) : (
              <div className="table-scroll">
                <table className="table policies-table config-table" data-test="policies-table">
                  <thead>
                    <tr>
                      <th>Kind</th>
                      <th>Namespace/name</th>
                      <th>Target</th>
                      <th>Accepted</th>
                      <th>Programmed</th>
                      <th>Findings</th>
                      <th className="actions-col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((p) => (
                      <ConfigRow
                        key={configRowTestId(refOfPolicy(p))}
                        policy={p}
                        proxies={proxies.data ?? []}
                        canEdit={canEdit}
                      />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>

          <section className="section" aria-labelledby="validations-title">
            <h2 id="validations-title">Validations</h2>
            <ValidationsList policies={rows} />
          </section>

          <section className="section" aria-labelledby="proxy-config-title">
            <h2 id="proxy-config-title">Proxies</h2>
            {proxies.isError && !proxies.data ? (
              <ErrorState error={proxies.error} what="proxies" />
            ) : proxies.isPending ? (
              <Loading what="proxies" />
            ) : (
              <ProxyConfigPanel summary={proxySummary} />
            )}
          </section>
        </>
      )}
    </div>
  );
}

function ConfigFilters({
  filter,
  setFilter,
  namespaces,
  shown,
  total,
}: {
  filter: ConfigFilter;
  setFilter: (change: Partial<ConfigFilter>) => void;
  namespaces: readonly string[];
  shown: number;
  total: number;
}) {
  return (
    <div className="filters" data-test="config-filters">
      <label>
        Namespace
        <select
          className="input narrow-filter"
          value={filter.namespace ?? ''}
          onChange={(e) => setFilter({ namespace: e.target.value || null })}
          data-test="config-filter-namespace"
        >
          <option value="">All namespaces</option>
          {namespaces.map((ns) => (
            <option key={ns} value={ns}>
              {ns}
            </option>
          ))}
        </select>
      </label>
      <label>
        Kind
        <select
          className="input narrow-filter"
          value={filter.kind ?? ''}
          onChange={(e) => setFilter({ kind: (e.target.value || null) as ConfigFilter['kind'] })}
          data-test="config-filter-kind"
        >
          <option value="">All kinds</option>
          {POLICY_KIND_NAMES.map((kind) => (
            <option key={kind} value={kind}>
              {kind}
            </option>
          ))}
        </select>
      </label>
      <label>
        Name or target
        <input
          type="search"
          className="input"
          placeholder="Filter by name or target…"
          value={filter.text}
          onChange={(e) => setFilter({ text: e.target.value })}
          data-test="policy-filter"
        />
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={filter.onlyWithFindings}
          onChange={(e) => setFilter({ onlyWithFindings: e.target.checked })}
          data-test="config-filter-findings"
        />
        Only with findings
      </label>
      <span className="filters-count muted small" data-test="config-shown">
        {shown === total ? `${total} policies` : `${shown} of ${total} policies`}
      </span>
    </div>
  );
}

function ConfigRow({
  policy: p,
  proxies,
  canEdit,
}: {
  policy: StoredPolicy;
  proxies: readonly ProxyConfigRow[];
  canEdit: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = refOfPolicy(p);
  const { metadata, spec } = p.resource;
  const target = spec.targetRef;
  const accepted = conditionOf(p, 'Accepted');
  const nacks = nacksNaming(proxies, refName(ref));
  const testId = configRowTestId(ref);
  return (
    <tr
      id={testId}
      className={accepted?.status === 'False' || nacks.length ? 'row-error policy-row' : 'policy-row'}
      data-test={testId}
      data-policy={`${ref.kind}/${ref.namespace}/${ref.name}`}
    >
      <td className="nowrap">
        <span className="tag" data-test="policy-kind">
          {ref.kind}
        </span>
      </td>
      <td className="policy-name-cell" data-test="policy-name">
        <div className="nowrap">
          <span className="muted">{metadata.namespace}/</span>
          <Link href={editHref(ref)} className="strong">
            {metadata.name}
          </Link>
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
        {target.name}
        {target.sectionName ? <span className="muted"> § {target.sectionName}</span> : null}
        <div className="muted tiny">{target.kind}</div>
      </td>
      <td className="condition-cell">
        <ConditionView condition={accepted} type="Accepted" />
      </td>
      <td className="condition-cell">
        <ConditionView condition={conditionOf(p, 'Programmed')} type="Programmed" />
        {nacks.map((proxy) => (
          <details key={proxy.proxyId} className="condition-details row-nack" data-test="policy-nack">
            <summary title={proxy.nack?.reason}>
              <span className="ack-badge ack-nack">
                <span className="dot" aria-hidden />
                NACK
              </span>
              <span className="mono tiny">{proxy.proxyId}</span>
            </summary>
            <pre className="nack-reason">{proxy.nack?.reason}</pre>
          </details>
        ))}
      </td>
      <td className="findings-cell" data-test="policy-findings">
        <FindingBadges findings={p.findings} />
      </td>
      <td className="row-actions">
        <Link href={editHref(ref)} className="button" data-test="config-open">
          {canEdit ? 'Edit' : 'Open'}
        </Link>
        <Link href={historyHref(ref)} className="button" data-test="config-history">
          History
        </Link>
        {canEdit ? (
          <ConfirmButton
            label="Delete"
            pendingLabel="Deleting…"
            question="Delete it?"
            mutation={trpc.policies.delete.mutationOptions({
              onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.policies.pathKey() }),
            })}
            variables={{ ...ref, resourceVersion: metadata.resourceVersion }}
            testId="config-delete"
          />
        ) : null}
      </td>
    </tr>
  );
}
