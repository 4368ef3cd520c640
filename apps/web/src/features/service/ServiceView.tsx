'use client';
import { useQuery } from '@tanstack/react-query';
import { healthFromTraffic, type TrafficStats } from '@weft/schema';
import Link from 'next/link';
import { useTRPC } from '@/lib/trpc.ts';
import { stepForWindow, useTimeWindow, useWindowHref } from '@/lib/window.ts';
import { errorRatio, formatAgo, formatCount, formatMs, formatPercent, formatRps } from '@/lib/format.ts';
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
import { ActionsMenu } from '../policy-editor/ActionsMenu.tsx';
import { ServicePolicies } from './ServicePolicies.tsx';
import { SignalCharts } from './SignalCharts.tsx';

function serviceHref(id: string): string | null {
  const [namespace, service, ...rest] = id.split('/');
  if (!namespace || !service || rest.length) return null;
  return `/services/${encodeURIComponent(namespace)}/${encodeURIComponent(service)}`;
}

function EdgeTable({
  rows,
  peerLabel,
  direction,
  testId,
}: {
  rows: { peer: string; traffic: TrafficStats }[];
  peerLabel: string;
  direction: 'inbound' | 'outbound';
  testId: string;
}) {
  const href = useWindowHref();
  if (rows.length === 0)
    return <Empty testId={`${testId}-empty`}>No {direction} traffic in this window.</Empty>;
  return (
    <table className="table" data-test={testId}>
      <thead>
        <tr>
          <th>{peerLabel}</th>
          <th className="num">RPS</th>
          <th className="num">Requests</th>
          <th className="num">Errors</th>
          <th className="num">Success</th>
          <th className="num">p50</th>
          <th className="num">p95</th>
          <th className="num">p99</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ peer, traffic: t }) => {
          const link = serviceHref(peer);
          return (
            <tr key={peer} data-test={`${testId}-row-${peer}`}>
              <td>{link ? <Link href={href(link)}>{peer}</Link> : <span className="muted">{peer}</span>}</td>
              <td className="num">{formatRps(t.rps)}</td>
              <td className="num">{formatCount(t.requests)}</td>
              <td className="num">{formatCount(t.errors)}</td>
              <td className="num">{formatPercent(t.successRate, 2)}</td>
              <td className="num">{formatMs(t.p50)}</td>
              <td className="num">{formatMs(t.p95)}</td>
              <td className="num">{formatMs(t.p99)}</td>
              <td>
                <HealthBadge health={healthFromTraffic(t.requests, t.errors)} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function ServiceView({ namespace, service }: { namespace: string; service: string }) {
  const trpc = useTRPC();
  const timeWindow = useTimeWindow();
  const href = useWindowHref();
  const detail = useQuery(
    trpc.services.detail.queryOptions({ namespace, service, window: timeWindow.input }),
  );
  const signals = useQuery(
    trpc.signals.service.queryOptions({
      namespace,
      service,
      window: timeWindow.input,
      stepMs: stepForWindow(timeWindow.ms),
    }),
  );
  const d = detail.data;
  const tracesHref = href(`/traces?service=${encodeURIComponent(`${namespace}/${service}`)}`);

  return (
    <div className="page" data-test="service-page">
      <div className="breadcrumb">
        <Link href={href('/')}>Services</Link> <span>/</span> <span>{namespace}</span> <span>/</span>{' '}
        <strong>{service}</strong>
      </div>
      <PageHeader
        title={
          <>
            {service} {d ? <HealthBadge health={d.health} testId="service-health" /> : null}
          </>
        }
        subtitle={
          <>
            namespace <strong>{namespace}</strong>
            {d?.versions.length ? (
              <>
                {' '}
                · versions{' '}
                {d.versions.map((v) => (
                  <span key={v} className="tag">
                    {v}
                  </span>
                ))}
              </>
            ) : null}
          </>
        }
      >
        <LiveStatus
          updatedAt={Math.max(detail.dataUpdatedAt, signals.dataUpdatedAt)}
          fetching={detail.isFetching || signals.isFetching}
        />
        <Link className="button" href={tracesHref} data-test="service-traces-link">
          View traces →
        </Link>
        <ActionsMenu namespace={namespace} service={service} />
      </PageHeader>

      {detail.isPending ? (
        <Loading what="service" />
      ) : !d ? (
        <ErrorState error={detail.error} what={`service ${namespace}/${service}`} />
      ) : (
        <>
          {detail.isError ? <StaleNotice error={detail.error} /> : null}
          <div className="stat-row" data-test="service-stats">
            <Stat label="RPS" value={formatRps(d.traffic.rps)} testId="stat-rps" />
            <Stat
              label="Success rate"
              value={formatPercent(d.traffic.successRate, 2)}
              testId="stat-success"
            />
            <Stat label="Requests" value={formatCount(d.traffic.requests)} testId="stat-requests" />
            <Stat
              label="Errors"
              value={
                <span className={d.traffic.errors ? 'text-failing' : undefined}>
                  {formatCount(d.traffic.errors)}{' '}
                  <span className="muted small">
                    ({formatPercent(errorRatio(d.traffic.requests, d.traffic.errors) ?? 0)})
                  </span>
                </span>
              }
              testId="stat-errors"
            />
            <Stat label="p50" value={formatMs(d.traffic.p50)} testId="stat-p50" />
            <Stat label="p95" value={formatMs(d.traffic.p95)} testId="stat-p95" />
            <Stat label="p99" value={formatMs(d.traffic.p99)} testId="stat-p99" />
            <Stat label="Instances" value={d.instances} testId="stat-instances" />
          </div>
        </>
      )}

      <section className="section">
        <h2>Golden signals</h2>
        {signals.isPending ? (
          <Loading what="signals" />
        ) : !signals.data ? (
          <ErrorState error={signals.error} what="signals" />
        ) : (
          <SignalCharts signals={signals.data} />
        )}
      </section>

      <section className="section">
        <h2>Policies in force</h2>
        <div className="panel">
          <ServicePolicies namespace={namespace} service={service} />
        </div>
      </section>

      {d ? (
        <>
          <div className="two-col">
            <section className="section">
              <h2>Inbound</h2>
              <div className="panel">
                <EdgeTable
                  rows={d.inbound.map((e) => ({ peer: e.from, traffic: e.traffic }))}
                  peerLabel="From"
                  direction="inbound"
                  testId="inbound-table"
                />
              </div>
            </section>
            <section className="section">
              <h2>Outbound</h2>
              <div className="panel">
                <EdgeTable
                  rows={d.outbound.map((e) => ({ peer: e.to, traffic: e.traffic }))}
                  peerLabel="To"
                  direction="outbound"
                  testId="outbound-table"
                />
              </div>
            </section>
          </div>
          <section className="section">
            <h2>Instances</h2>
            <div className="panel">
              {d.instancesList.length === 0 ? (
                <Empty testId="instances-empty">No proxy registered for this service.</Empty>
              ) : (
                <InstancesTable instances={d.instancesList} />
              )}
            </div>
          </section>
        </>
      ) : null}
    </div>
  );
}

function InstancesTable({
  instances,
}: {
  instances: {
    proxyId: string;
    version: string;
    inboundAddress: string;
    adminAddress: string;
    lastSeenMs: number;
    healthy: boolean;
  }[];
}) {
  const now = Date.now();
  return (
    <table className="table" data-test="instances-table">
      <thead>
        <tr>
          <th>Proxy</th>
          <th>Version</th>
          <th>Inbound</th>
          <th>Admin</th>
          <th>Last seen</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => (
          <tr key={i.proxyId} data-test="instance-row">
            <td className="mono">{i.proxyId}</td>
            <td>
              <span className="tag">{i.version}</span>
            </td>
            <td className="mono">{i.inboundAddress}</td>
            <td className="mono">{i.adminAddress}</td>
            <td>{formatAgo(i.lastSeenMs, now)}</td>
            <td>
              <span className={i.healthy ? 'status-ok' : 'status-bad'}>
                {i.healthy ? 'Healthy' : 'Not reporting'}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
