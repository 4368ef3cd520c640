'use client';
/**
 * Each version's golden signals side by side, live: what the split does to real traffic. The numbers cover
 * the last 30 s (so a change shows within seconds) from `services.versions`, whose percentiles come from
 * merged buckets; the sparkline is the version's request rate over 5 minutes from `signals.service`.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import type { TrafficStats } from '@weft/schema';
import { Line, LineChart, ResponsiveContainer, YAxis } from 'recharts';
import { formatMs, formatPercent, formatRps } from '@/lib/format.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { useTRPC } from '@/lib/trpc.ts';
import { versionColor } from './palette.ts';
import { toChartPoints } from '../../service/signalPoints.ts';

const NOW_WINDOW = { lastMs: 30_000 };
const TREND_WINDOW = { lastMs: 5 * 60_000 };
const TREND_STEP_MS = 10_000;

export interface CanaryVersion {
  version: string;
  /** Share the draft gives it, in percent. */
  percent: number;
}

export function CanarySignals({
  namespace,
  service,
  versions,
}: {
  namespace: string;
  service: string;
  versions: readonly CanaryVersion[];
}) {
  const trpc = useTRPC();
  const now = useQuery(
    trpc.services.versions.queryOptions({ window: NOW_WINDOW, namespace }, { refetchInterval: REFRESH_MS }),
  );
  const trends = useQueries({
    queries: versions.map((v) =>
      trpc.signals.service.queryOptions(
        { namespace, service, version: v.version, window: TREND_WINDOW, stepMs: TREND_STEP_MS },
        { refetchInterval: REFRESH_MS },
      ),
    ),
  });
  const stats = new Map(
    (now.data ?? []).filter((r) => r.service === service).map((r) => [r.version, r] as const),
  );
  const totalRps = [...stats.values()].reduce((a, r) => a + r.traffic.rps, 0);

  return (
    <section className="pe-canary-signals" aria-label="Signals per version" data-test="canary-signals">
      <div className="pe-subhead">
        <h3>Live, per version</h3>
        <span className="muted small">last 30 s · refreshes every {REFRESH_MS / 1000} s</span>
      </div>
      {now.isError && !now.data ? (
        <div className="form-alert">Could not load the versions' signals: {now.error.message}</div>
      ) : null}
      <div className="pe-signal-cards">
        {versions.map((v, i) => {
          const row = stats.get(v.version);
          // Through the service page's rules: the newest step's rate is over its elapsed part, gaps are zeros.
          const trend = trends[i]?.data;
          const points = trend ? toChartPoints(trend) : [];
          return (
            <VersionCard
              key={v.version}
              version={v.version}
              color={versionColor(i)}
              percent={v.percent}
              traffic={row?.traffic}
              instances={row?.instances}
              observedShare={row && totalRps > 0 ? row.traffic.rps / totalRps : null}
              loading={now.isPending}
              trend={points.map((p) => ({ t: p.t, rps: p.rps }))}
            />
          );
        })}
      </div>
    </section>
  );
}

function VersionCard({
  version,
  color,
  percent,
  traffic,
  instances,
  observedShare,
  loading,
  trend,
}: {
  version: string;
  color: string;
  percent: number;
  traffic: TrafficStats | undefined;
  instances: number | undefined;
  observedShare: number | null;
  loading: boolean;
  trend: { t: number; rps: number }[];
}) {
  const low =
    traffic?.successRate !== null && traffic?.successRate !== undefined && traffic.successRate < 0.99;
  return (
    <div className="pe-signal-card" style={{ borderTopColor: color }} data-test={`canary-signals-${version}`}>
      <div className="pe-signal-card-head">
        <span className="tag">{version}</span>
        <span className="muted small">
          {instances === undefined ? (loading ? '…' : 'no instances') : `${instances} inst.`}
        </span>
      </div>
      <dl className="pe-signal-stats">
        <dt>Requests</dt>
        <dd data-test="canary-rps">{traffic ? `${formatRps(traffic.rps)}/s` : '–'}</dd>
        <dt>Success</dt>
        <dd data-test="canary-success" className={low ? 'text-failing' : undefined}>
          {formatPercent(traffic?.successRate, 2)}
        </dd>
        <dt>p95</dt>
        <dd data-test="canary-p95">{formatMs(traffic?.p95)}</dd>
        <dt>Share</dt>
        <dd data-test="canary-share">
          {observedShare === null ? '–' : formatPercent(observedShare, 0)}
          <span className="muted small"> (draft {percent}%)</span>
        </dd>
      </dl>
      <div className="pe-sparkline" aria-hidden>
        {trend.length > 1 ? (
          <ResponsiveContainer width="100%" height={36}>
            <LineChart data={trend} margin={{ top: 2, right: 0, bottom: 2, left: 0 }}>
              <YAxis hide domain={[0, 'auto']} />
              <Line
                type="monotone"
                dataKey="rps"
                stroke={color}
                strokeWidth={1.5}
                dot={false}
                isAnimationActive={false}
              />
            </LineChart>
          </ResponsiveContainer>
        ) : null}
      </div>
    </div>
  );
}
