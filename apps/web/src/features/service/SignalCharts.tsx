'use client';
import type { GoldenSignals } from '@weft/schema';
import { memo, useMemo, type ReactElement } from 'react';
import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatAxisNumber, formatMs, formatRps, formatTick } from '@/lib/format.ts';
import {
  EJECTION_SERIES,
  OVERLAY_SERIES,
  seriesWithData,
  toChartPoints,
  type ChartPoint,
} from './signalPoints.ts';

const CHART_HEIGHT = 210;
const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };
const AXIS_TICK = { fontSize: 11, fill: '#6a6e73' };

/** Lower bound of the success-rate axis: tight around the data so that a dip from 100% to 97% is visible. */
function successFloor(points: ChartPoint[]): number {
  const values = points.map((p) => p.success).filter((v): v is number => v !== null);
  if (values.length === 0) return 0;
  const min = Math.min(...values);
  if (min >= 99.5) return 99;
  if (min >= 99) return 98;
  if (min >= 95) return 90;
  return Math.max(0, Math.floor(min / 10) * 10 - 10);
}

function ChartCard({
  title,
  testId,
  points,
  hasData,
  children,
}: {
  title: string;
  testId: string;
  points: number;
  hasData: boolean;
  children: ReactElement;
}) {
  return (
    <div className="chart-card" data-test={testId} data-points={points}>
      <div className="chart-title">{title}</div>
      {hasData ? (
        <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
          {children}
        </ResponsiveContainer>
      ) : (
        <div className="chart-empty" style={{ height: CHART_HEIGHT }} data-test="chart-empty">
          No requests in this window
        </div>
      )}
    </div>
  );
}

const RATE_SERIES = [
  { key: 'rps', name: 'rps', color: '#0066cc', opacity: 0.15 },
  { key: 'errorRps', name: 'errors/s', color: '#c9190b', opacity: 0.25 },
] as const;

const LATENCY_SERIES = [
  { key: 'p50', color: '#0066cc' },
  { key: 'p95', color: '#ec7a08' },
  { key: 'p99', color: '#a30000' },
] as const;

function SignalChartsView({ signals }: { signals: GoldenSignals }) {
  const points = useMemo(() => toChartPoints(signals), [signals]);
  const windowMs = signals.window.toMs - signals.window.fromMs;
  const domain = useMemo<[number, number]>(
    () => [signals.window.fromMs, signals.window.toMs],
    [signals.window],
  );
  const tick = useMemo(() => (v: number) => formatTick(v, windowMs), [windowMs]);
  const label = useMemo(
    () => (v: unknown) => (typeof v === 'number' ? formatTick(v, Math.min(windowMs, 3_600_000)) : ''),
    [windowMs],
  );
  const withRequests = points.filter((p) => p.requests > 0).length;
  // A series with a step or two of data is a dot, not an invisible zero-length line.
  const dot = withRequests <= 2 ? { r: 2.5 } : false;
  const withLatency = points.filter((p) => p.p50 !== null).length;
  const refusals = seriesWithData(OVERLAY_SERIES, points);
  const ejections = seriesWithData(EJECTION_SERIES, points);
  const floor = successFloor(points);

  const xAxis = (
    <XAxis
      dataKey="t"
      type="number"
      scale="time"
      domain={domain}
      tickFormatter={tick}
      tick={AXIS_TICK}
      minTickGap={40}
      allowDataOverflow
    />
  );

  return (
    <div className="chart-grid">
      <ChartCard
        title="Requests per second"
        testId="chart-rps"
        points={withRequests}
        hasData={withRequests > 0}
      >
        <AreaChart data={points} margin={MARGIN}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e4" />
          {xAxis}
          <YAxis tick={AXIS_TICK} width={44} tickFormatter={formatAxisNumber} allowDecimals />
          {ejections.length > 0 && (
            // Ejections are a few events, not a rate: counts per step on their own axis, right.
            <YAxis
              yAxisId="ejections"
              orientation="right"
              tick={AXIS_TICK}
              width={28}
              allowDecimals={false}
            />
          )}
          <Tooltip
            labelFormatter={label}
            formatter={(v, name) =>
              typeof v !== 'number'
                ? String(v)
                : EJECTION_SERIES.some((s) => s.name === name)
                  ? String(v)
                  : formatRps(v)
            }
          />
          <Legend iconSize={8} wrapperStyle={{ fontSize: 11 }} />
          {RATE_SERIES.map(({ key, name, color, opacity }) => (
            <Area
              key={key}
              type="linear"
              dataKey={key}
              name={name}
              stroke={color}
              fill={color}
              fillOpacity={opacity}
              strokeWidth={1.5}
              isAnimationActive={false}
              dot={dot}
            />
          ))}
          {refusals.map(({ key, name, color }) => (
            <Area
              key={key}
              type="linear"
              dataKey={key}
              name={name}
              stroke={color}
              fill="none"
              strokeDasharray="4 2"
              strokeWidth={1.5}
              isAnimationActive={false}
              dot={false}
            />
          ))}
          {ejections.map(({ key, name, color }) => (
            <Area
              key={key}
              yAxisId="ejections"
              type="stepAfter"
              dataKey={key}
              name={name}
              stroke={color}
              fill="none"
              strokeDasharray="2 2"
              strokeWidth={1.5}
              isAnimationActive={false}
              dot={false}
            />
          ))}
        </AreaChart>
      </ChartCard>

      <ChartCard
        title="Success rate"
        testId="chart-success"
        points={points.filter((p) => p.success !== null).length}
        hasData={withRequests > 0}
      >
        <LineChart data={points} margin={MARGIN}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e4" />
          {xAxis}
          <YAxis
            tick={AXIS_TICK}
            width={56}
            domain={[floor, 100]}
            allowDataOverflow
            tickFormatter={(v: number) => `${Number(v.toFixed(2))}%`}
          />
          <Tooltip
            labelFormatter={label}
            formatter={(v) => (typeof v === 'number' ? `${v.toFixed(2)}%` : String(v))}
          />
          <Line
            type="linear"
            dataKey="success"
            name="success"
            stroke="#3e8635"
            strokeWidth={1.75}
            isAnimationActive={false}
            dot={dot}
          />
        </LineChart>
      </ChartCard>

      <ChartCard title="Latency" testId="chart-latency" points={withLatency} hasData={withLatency > 0}>
        <LineChart data={points} margin={MARGIN}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e4" />
          {xAxis}
          <YAxis tick={AXIS_TICK} width={52} tickFormatter={(v: number) => formatMs(v)} />
          <Tooltip
            labelFormatter={label}
            formatter={(v) => (typeof v === 'number' ? formatMs(v) : String(v))}
          />
          <Legend iconSize={8} wrapperStyle={{ fontSize: 11 }} />
          {LATENCY_SERIES.map(({ key, color }) => (
            <Line
              key={key}
              type="linear"
              dataKey={key}
              name={key}
              stroke={color}
              strokeWidth={1.5}
              dot={dot}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ChartCard>
    </div>
  );
}

export const SignalCharts = memo(SignalChartsView);
