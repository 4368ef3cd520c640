'use client';
import { useQuery } from '@tanstack/react-query';
import type { ServiceSummary } from '@weft/schema';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { meshServices } from '@/lib/external.ts';
import { useTimeWindow, useWindowHref } from '@/lib/window.ts';
import { formatMs, formatPercent, formatRps } from '@/lib/format.ts';
import {
  Empty,
  ErrorState,
  HealthBadge,
  LiveStatus,
  Loading,
  PageHeader,
  StaleNotice,
  Stat,
} from '@/components/ui.tsx';

type SortKey = 'namespace' | 'service' | 'instances' | 'rps' | 'successRate' | 'p95' | 'health';

const HEALTH_RANK = { failing: 0, degraded: 1, healthy: 2, idle: 3 } as const;

function sortValue(s: ServiceSummary, key: SortKey): string | number {
  switch (key) {
    case 'namespace':
      return `${s.namespace}/${s.service}`;
    case 'service':
      return s.service;
    case 'instances':
      return s.instances;
    case 'rps':
      return s.traffic.rps;
    case 'successRate':
      return s.traffic.successRate ?? 2;
    case 'p95':
      return s.traffic.p95 ?? -1;
    case 'health':
      return HEALTH_RANK[s.health];
  }
}

export function OverviewView() {
  const trpc = useTRPC();
  const timeWindow = useTimeWindow();
  const href = useWindowHref();
  const query = useQuery({
    ...trpc.services.list.queryOptions({ window: timeWindow.input }),
    // Hosts outside the mesh (egress) are graph nodes, not services: no page, no proxy, no policies.
    select: meshServices,
  });
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'namespace', desc: false });

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const list = (query.data ?? []).filter(
      (s) => !needle || `${s.namespace}/${s.service}`.toLowerCase().includes(needle),
    );
    return list.sort((a, b) => {
      const va = sortValue(a, sort.key);
      const vb = sortValue(b, sort.key);
      const cmp =
        typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return sort.desc ? -cmp : cmp;
    });
  }, [query.data, filter, sort]);

  const totals = useMemo(() => {
    const list = query.data ?? [];
    return {
      services: list.length,
      failing: list.filter((s) => s.health === 'failing').length,
      degraded: list.filter((s) => s.health === 'degraded').length,
      instances: list.reduce((n, s) => n + s.instances, 0),
    };
  }, [query.data]);

  const header = (key: SortKey, label: string, numeric = false) => (
    <th
      className={numeric ? 'num sortable' : 'sortable'}
      aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
      onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : numeric }))}
      data-test={`sort-${key}`}
    >
      {label}
      {sort.key === key ? (sort.desc ? ' ▾' : ' ▴') : ''}
    </th>
  );

  return (
    <div className="page" data-test="overview-page">
      <PageHeader title="Services" subtitle={`Golden signals over the ${timeWindow.label.toLowerCase()}`}>
        <LiveStatus updatedAt={query.dataUpdatedAt} fetching={query.isFetching} />
      </PageHeader>

      {query.isPending ? (
        <Loading what="services" />
      ) : query.isError && !query.data ? (
        <ErrorState error={query.error} what="services" />
      ) : (
        <>
          {query.isError ? <StaleNotice error={query.error} /> : null}
          <div className="stat-row">
            <Stat label="Services" value={totals.services} testId="overview-total-services" />
            <Stat label="Instances" value={totals.instances} />
            <Stat label="Degraded" value={totals.degraded} />
            <Stat
              label="Failing"
              value={<span className={totals.failing ? 'text-failing' : undefined}>{totals.failing}</span>}
            />
          </div>
          <div className="panel">
            <div className="panel-toolbar">
              <input
                type="search"
                className="input"
                placeholder="Filter by namespace/service…"
                value={filter}
                onChange={(e) => setFilter(e.target.value)}
                data-test="service-filter"
                aria-label="Filter services"
              />
            </div>
            {rows.length === 0 ? (
              <Empty testId="services-empty">
                {query.data?.length ? 'No service matches the filter.' : 'No services have reported yet.'}
              </Empty>
            ) : (
              <table className="table" data-test="services-table">
                <thead>
                  <tr>
                    {header('namespace', 'Namespace')}
                    {header('service', 'Service')}
                    <th>Versions</th>
                    {header('instances', 'Instances', true)}
                    {header('rps', 'RPS', true)}
                    {header('successRate', 'Success', true)}
                    {header('p95', 'p95', true)}
                    {header('health', 'Health')}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((s) => (
                    <tr key={s.id} data-test={`service-row-${s.namespace}/${s.service}`}>
                      <td className="muted">{s.namespace}</td>
                      <td>
                        <Link
                          href={href(
                            `/services/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.service)}`,
                          )}
                          data-test={`service-link-${s.namespace}/${s.service}`}
                          className="strong-link"
                        >
                          {s.service}
                        </Link>
                      </td>
                      <td>
                        {s.versions.length ? (
                          s.versions.map((v) => (
                            <span key={v} className="tag">
                              {v}
                            </span>
                          ))
                        ) : (
                          <span className="muted">–</span>
                        )}
                      </td>
                      <td className="num">{s.instances}</td>
                      <td className="num" data-test="cell-rps">
                        {formatRps(s.traffic.rps)}
                      </td>
                      <td className="num" data-test="cell-success">
                        {formatPercent(s.traffic.successRate, 2)}
                      </td>
                      <td className="num" data-test="cell-p95">
                        {formatMs(s.traffic.p95)}
                      </td>
                      <td>
                        <HealthBadge health={s.health} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </div>
  );
}
