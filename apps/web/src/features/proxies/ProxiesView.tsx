'use client';
/**
 * The live proxies and where each stands with its config: the version in force (last ACKed), whether the
 * latest one sent is still waiting for an answer, and a NACK with the proxy's reason in full. The API keeps
 * this state in memory, so right after an API restart every proxy shows Pending until it answers again.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Empty, ErrorState, LiveStatus, Loading, PageHeader, StaleNotice, Stat } from '@/components/ui.tsx';
import { formatAgo, formatDateTime } from '@/lib/format.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { useTRPC, type RouterOutputs } from '@/lib/trpc.ts';

type ProxyRow = RouterOutputs['proxies']['list'][number];
/** When the NACK came, if the API says (newer APIs do). */
function nackAtMs(nack: object): number | undefined {
  const at = (nack as { atMs?: unknown }).atMs;
  return typeof at === 'number' ? at : undefined;
}

type AckState = 'acked' | 'pending' | 'nack';

function ackState(p: ProxyRow): AckState {
  if (p.nack) return 'nack';
  if (p.ackedVersion !== null && p.ackedVersion === p.configVersion) return 'acked';
  return 'pending';
}

const STATE_RANK: Record<AckState, number> = { nack: 0, pending: 1, acked: 2 };

/** A ticking clock for "n s ago". */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function ProxiesView() {
  const trpc = useTRPC();
  const query = useQuery(trpc.proxies.list.queryOptions(undefined, { refetchInterval: REFRESH_MS }));
  const [filter, setFilter] = useState('');
  const now = useNow();

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    return (query.data ?? [])
      .filter(
        (p) =>
          !needle || `${p.proxyId} ${p.service}.${p.namespace} ${p.version}`.toLowerCase().includes(needle),
      )
      .sort(
        (a, b) =>
          STATE_RANK[ackState(a)] - STATE_RANK[ackState(b)] ||
          `${a.namespace}/${a.service}/${a.version}/${a.proxyId}`.localeCompare(
            `${b.namespace}/${b.service}/${b.version}/${b.proxyId}`,
          ),
      );
  }, [query.data, filter]);

  const totals = useMemo(() => {
    const list = query.data ?? [];
    const count = (s: AckState) => list.filter((p) => ackState(p) === s).length;
    return { proxies: list.length, acked: count('acked'), pending: count('pending'), nack: count('nack') };
  }, [query.data]);

  return (
    <div className="page" data-test="proxies-page">
      <PageHeader
        title="Proxies"
        subtitle="Every live proxy, the config version it runs, and its answer to the latest one it was sent"
      >
        <LiveStatus updatedAt={query.dataUpdatedAt} fetching={query.isFetching} />
      </PageHeader>

      {query.isPending ? (
        <Loading what="proxies" />
      ) : query.isError && !query.data ? (
        <ErrorState error={query.error} what="proxies" />
      ) : (
        <>
          {query.isError ? <StaleNotice error={query.error} /> : null}
          <div className="stat-row">
            <Stat label="Proxies" value={totals.proxies} testId="proxies-total" />
            <Stat label="Acked" value={totals.acked} testId="proxies-acked" />
            <Stat label="Pending" value={totals.pending} testId="proxies-pending" />
            <Stat
              label="NACK"
              value={<span className={totals.nack ? 'text-failing' : undefined}>{totals.nack}</span>}
              testId="proxies-nack"
            />
          </div>
          <div className="panel">
            <div className="panel-toolbar">
              <input
                type="search"
                className="input"
                placeholder="Filter by proxy or service…"
                value={filter}
                onChange={(e) => setFilter(e.target.value)}
                data-test="proxy-filter"
                aria-label="Filter proxies"
              />
            </div>
            {rows.length === 0 ? (
              <Empty testId="proxies-empty">
                {query.data?.length
                  ? 'No proxy matches the filter.'
                  : 'No proxies are connected. A proxy shows up here once it registers with the control plane.'}
              </Empty>
            ) : (
              <table className="table proxies-table" data-test="proxies-table">
                <thead>
                  <tr>
                    <th>Proxy</th>
                    <th>Service</th>
                    <th>Version</th>
                    <th>Config in force</th>
                    <th>State</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((p) => (
                    <ProxyTableRow key={p.proxyId} proxy={p} now={now} />
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

function ProxyTableRow({ proxy: p, now }: { proxy: ProxyRow; now: number }) {
  const state = ackState(p);
  const nack = p.nack;
  const nackAt = nack ? nackAtMs(nack) : undefined;
  return (
    <tr
      className={state === 'nack' ? 'row-error proxy-row' : 'proxy-row'}
      data-test="proxy-row"
      data-proxy-id={p.proxyId}
      data-ack-state={state}
    >
      <td className="mono nowrap" data-test="proxy-id">
        {p.proxyId}
        {p.ready === false ? (
          <>
            {' '}
            <span
              className="tag"
              data-test="proxy-not-ready"
              title="Its application fails the readiness check: no caller is sent to this endpoint"
            >
              not ready
            </span>
          </>
        ) : null}
      </td>
      <td className="nowrap" data-test="proxy-service">
        <span className="strong">{p.service}</span>
        <span className="muted">.{p.namespace}</span>
      </td>
      <td>
        <span className="tag">{p.version}</span>
      </td>
      <td className="nowrap" data-test="proxy-config-version">
        {p.ackedVersion ? (
          <code className="mono" title={`Put in force ${p.ackedAtMs ? formatDateTime(p.ackedAtMs) : ''}`}>
            {p.ackedVersion}
          </code>
        ) : (
          <span className="muted">none acknowledged</span>
        )}
      </td>
      <td className="ack-cell" data-test="proxy-ack">
        {state === 'acked' ? (
          <span
            className="ack-badge ack-acked"
            title={p.ackedAtMs ? `Acknowledged ${formatDateTime(p.ackedAtMs)}` : undefined}
          >
            <span className="dot" aria-hidden />
            Acked{p.ackedAtMs ? ` ${formatAgo(p.ackedAtMs, now)}` : ''}
          </span>
        ) : state === 'pending' ? (
          <span className="ack-pending-wrap">
            <span className="ack-badge ack-pending">
              <span className="dot" aria-hidden />
              Pending
            </span>
            <span className="muted small">
              {p.configVersion ? (
                <>
                  sent <code className="mono">{p.configVersion}</code>, no answer yet
                </>
              ) : (
                'no config sent yet'
              )}
            </span>
          </span>
        ) : nack ? (
          <div className="nack">
            <div className="nack-head">
              <span className="ack-badge ack-nack">
                <span className="dot" aria-hidden />
                NACK
              </span>
              <span className="small">
                refused <code className="mono">{nack.version}</code>
                {nackAt ? <span className="muted"> · {formatAgo(nackAt, now)}</span> : null}
                {p.ackedVersion ? <span className="muted"> · still running the config in force</span> : null}
              </span>
            </div>
            <pre className="nack-reason" data-test="proxy-nack-reason">
              {nack.reason}
            </pre>
          </div>
        ) : null}
      </td>
    </tr>
  );
}
