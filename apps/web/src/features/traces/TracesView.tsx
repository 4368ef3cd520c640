'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams, type ReadonlyURLSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { meshServices } from '@/lib/external.ts';
import { useTimeWindow, useWindowHref } from '@/lib/window.ts';
import { formatDateTime, formatMs } from '@/lib/format.ts';
import { Empty, ErrorState, LiveStatus, Loading, PageHeader, StaleNotice } from '@/components/ui.tsx';
import { REFRESH_MS } from '@/lib/live.ts';

const LIMIT = 100;

interface Filters {
  service: string;
  minMs: string;
  errorsOnly: boolean;
}

function filtersFromUrl(params: URLSearchParams | ReadonlyURLSearchParams): Filters {
  return {
    service: params.get('service') ?? '',
    minMs: params.get('minMs') ?? '',
    errorsOnly: params.get('errors') === '1',
  };
}

/**
 * Filters live in the URL (shareable, back button); the controls update at once from local state while the
 * URL catches up, so a checkbox never flickers back between the click and the navigation.
 */
function useFilters(): [Filters, (patch: Partial<Filters>) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const query = params.toString();
  const [filters, setFilters] = useState<Filters>(() => filtersFromUrl(params));
  // Back/forward or a shared link: the URL wins.
  useEffect(() => setFilters(filtersFromUrl(new URLSearchParams(query))), [query]);
  const latest = useRef(filters);
  latest.current = filters;
  const update = useCallback(
    (patch: Partial<Filters>) => {
      const merged = { ...latest.current, ...patch };
      latest.current = merged;
      setFilters(merged);
      const next = new URLSearchParams(query);
      const set = (key: string, value: string) => (value ? next.set(key, value) : next.delete(key));
      set('service', merged.service);
      set('minMs', merged.minMs);
      set('errors', merged.errorsOnly ? '1' : '');
      const qs = next.toString();
      router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
    },
    [query, router, pathname],
  );
  return [filters, update];
}

export function TracesView() {
  const trpc = useTRPC();
  const timeWindow = useTimeWindow();
  const href = useWindowHref();
  const router = useRouter();
  const [filters, setFilters] = useFilters();
  const [minDraft, setMinDraft] = useState(filters.minMs);
  useEffect(() => setMinDraft(filters.minMs), [filters.minMs]);

  const [namespace, service] = filters.service.includes('/')
    ? filters.service.split('/', 2)
    : [undefined, filters.service || undefined];
  const minDurationMs = Number(filters.minMs);
  const services = useQuery(
    trpc.services.list.queryOptions({ window: timeWindow.input }, { refetchInterval: 30_000 }),
  );
  // The list refreshes every few seconds; while the pointer is over it, it holds still so rows don't move under a click.
  const [paused, setPaused] = useState(false);
  const query = useQuery(
    trpc.traces.search.queryOptions(
      {
        window: timeWindow.input,
        namespace: namespace || undefined,
        service,
        minDurationMs:
          filters.minMs && Number.isFinite(minDurationMs) && minDurationMs >= 0 ? minDurationMs : undefined,
        errorsOnly: filters.errorsOnly,
        limit: LIMIT,
      },
      { refetchInterval: paused ? false : REFRESH_MS },
    ),
  );

  const serviceOptions = useMemo(() => {
    const ids = new Set(meshServices(services.data ?? []).map((s) => `${s.namespace}/${s.service}`));
    if (filters.service) ids.add(filters.service);
    return [...ids].sort();
  }, [services.data, filters.service]);

  const maxDuration = useMemo(
    () => Math.max(1, ...(query.data ?? []).map((t) => t.durationMs)),
    [query.data],
  );

  return (
    <div className="page" data-test="traces-page">
      <PageHeader title="Traces" subtitle={`Most recent traces in the ${timeWindow.label.toLowerCase()}`}>
        {paused ? (
          <span className="live-status" data-test="traces-paused">
            <span className="live-dot paused" aria-hidden />
            Paused while the pointer is over the list
          </span>
        ) : (
          <LiveStatus updatedAt={query.dataUpdatedAt} fetching={query.isFetching} />
        )}
      </PageHeader>
      <div className="panel">
        <form
          className="filters"
          data-test="trace-filters"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters({ minMs: minDraft.trim() });
          }}
        >
          <label>
            Service
            <select
              className="input"
              value={filters.service}
              onChange={(e) => setFilters({ service: e.target.value })}
              data-test="filter-service"
            >
              <option value="">All services</option>
              {serviceOptions.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Min duration (ms)
            <input
              className="input narrow"
              type="number"
              min={0}
              step="any"
              inputMode="decimal"
              placeholder="0"
              value={minDraft}
              onChange={(e) => setMinDraft(e.target.value)}
              onBlur={() => minDraft.trim() !== filters.minMs && setFilters({ minMs: minDraft.trim() })}
              data-test="filter-min-duration"
            />
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={filters.errorsOnly}
              onChange={(e) => setFilters({ errorsOnly: e.target.checked })}
              data-test="filter-errors-only"
            />
            Errors only
          </label>
          <button type="submit" className="button" data-test="filter-apply">
            Apply
          </button>
          {filters.service || filters.minMs || filters.errorsOnly ? (
            <button
              type="button"
              className="button link"
              onClick={() => setFilters({ service: '', minMs: '', errorsOnly: false })}
              data-test="filter-clear"
            >
              Clear filters
            </button>
          ) : null}
        </form>

        {query.isPending ? (
          <Loading what="traces" />
        ) : !query.data ? (
          <ErrorState error={query.error} what="traces" />
        ) : (
          <>
            {query.isError ? <StaleNotice error={query.error} /> : null}
            {query.data.length === 0 ? (
              <Empty testId="traces-empty">No trace matches these filters in this window.</Empty>
            ) : (
              <table
                className="table clickable"
                data-test="traces-table"
                onMouseEnter={() => setPaused(true)}
                onMouseLeave={() => setPaused(false)}
              >
                <thead>
                  <tr>
                    <th>Root</th>
                    <th>Start</th>
                    <th className="num">Duration</th>
                    <th className="duration-col" aria-label="Duration bar" />
                    <th className="num">Spans</th>
                    <th className="num">Errors</th>
                    <th>Services</th>
                  </tr>
                </thead>
                <tbody>
                  {query.data.map((t) => {
                    const target = href(`/traces/${t.traceId}`);
                    return (
                      <tr
                        key={t.traceId}
                        data-test="trace-row"
                        data-trace-id={t.traceId}
                        data-span-count={t.spanCount}
                        data-error-count={t.errorCount}
                        data-service-count={t.services.length}
                        data-duration-ms={t.durationMs}
                        className={t.errorCount ? 'row-error' : undefined}
                        onClick={(e) => {
                          if ((e.target as HTMLElement).closest('a')) return;
                          router.push(target);
                        }}
                      >
                        <td className="trace-root">
                          <div className="ellipsis" title={`${t.rootService} ${t.rootName}`}>
                            <Link href={target} data-test="trace-link" className="strong-link">
                              {t.rootService}
                            </Link>{' '}
                            <span>{t.rootName}</span>
                          </div>
                          <div className="mono muted tiny">{t.traceId}</div>
                        </td>
                        <td className="nowrap">{formatDateTime(t.startMs)}</td>
                        <td className="num" data-test="trace-duration">
                          {formatMs(t.durationMs)}
                        </td>
                        <td className="duration-col">
                          <div className="duration-bar">
                            <div
                              className={t.errorCount ? 'fill error' : 'fill'}
                              style={{ width: `${Math.max(1, (t.durationMs / maxDuration) * 100)}%` }}
                            />
                          </div>
                        </td>
                        <td className="num">{t.spanCount}</td>
                        <td className="num">
                          {t.errorCount ? <span className="text-failing">{t.errorCount}</span> : 0}
                        </td>
                        <td className="trace-services" data-test="trace-services">
                          {t.services.map((s) => (
                            <span key={s} className="tag" title={s}>
                              {s.includes('/') ? s.slice(s.indexOf('/') + 1) : s}
                            </span>
                          ))}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            {query.data.length >= LIMIT ? (
              <div className="muted small table-footnote">
                Showing the {LIMIT} most recent traces; narrow the filters to see others.
              </div>
            ) : null}
          </>
        )}
      </div>
    </div>
  );
}
