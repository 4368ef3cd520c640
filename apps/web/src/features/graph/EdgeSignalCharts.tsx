'use client';
/**
 * An edge's signals in the graph's side panel: request rate (and errors), success rate and p50/p95/p99 over
 * the window, as three short charts in the service page's style (same colours, axes and tooltips), sized for
 * the 340 px panel.
 */
import type { EdgeSignals } from '@weft/schema';
import { memo, useMemo, type ReactElement } from 'react';
import {
  Area,
  AreaChart,
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatAxisNumber, formatMs, formatRps, formatTick } from '@/lib/format.ts';
import { emptyTrafficPoint, stepSeconds, stepsOfWindow } from '../service/signalPoints.ts';

const CHART_HEIGHT = 96;
const MARGIN = { top: 4, right: 6, bottom: 0, left: 0 };
const AXIS_TICK = { fontSize: 10, fill: '#6a6e73' };
const LATENCY_SERIES = [
  { key: 'p50', color: '#0066cc' },
  { key: 'p95', color: '#ec7a08' },
  { key: 'p99', color: '#a30000' },
] as const;

interface ChartPoint {
  t: number;
  requests: number;
  rps: number;
  errorRps: number;
  success: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

function MiniChart({ title, children }: { title: string; children: ReactElement }) {
  return (
    <div className="edge-chart">
      <div className="chart-title">{title}</div>
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        {children}
      </ResponsiveContainer>
    </div>
  );
}

function EdgeSignalChartsView({ signals }: { signals: EdgeSignals }) {
  const points = useMemo<ChartPoint[]>(() => {
    // Same rules as the service page: rates from counts over the time each step covers, gaps as zeros.
    return stepsOfWindow(signals, emptyTrafficPoint).map((p) => {
      const seconds = stepSeconds(p.t, signals);
      return {
        t: p.t,
        requests: p.requests,
        rps: p.requests / seconds,
        errorRps: p.errors / seconds,
        success: p.successRate === null ? null : p.successRate * 100,
        p50: p.p50,
        p95: p.p95,
        p99: p.p99,
      };
    });
  }, [signals]);
  const windowMs = signals.window.toMs - signals.window.fromMs;
  const domain = useMemo<[number, number]>(
    () => [signals.window.fromMs, signals.window.toMs],
    [signals.window],
  );
  const withRequests = points.filter((p) => p.requests > 0).length;
  const dot = withRequests <= 2 ? { r: 2 } : false;
  const tick = (v: number) => formatTick(v, windowMs);
  const label = (v: unknown) => (typeof v === 'number' ? formatTick(v, Math.min(windowMs, 3_600_000)) : '');
  if (withRequests === 0) {
    return (
      <div className="chart-empty edge-chart-empty" data-test="edge-signals" data-points={0}>
        No calls on this edge in this window
      </div>
    );
  }
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
  const grid = <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e4e4e4" />;
  return (
    <div className="edge-charts" data-test="edge-signals" data-points={withRequests}>
      <MiniChart title="Requests per second">
        <AreaChart data={points} margin={MARGIN}>
          {grid}
          {xAxis}
          <YAxis tick={AXIS_TICK} width={46} tickFormatter={formatAxisNumber} allowDecimals />
          <Tooltip
            labelFormatter={label}
            formatter={(v) => (typeof v === 'number' ? formatRps(v) : String(v))}
          />
          <Area
            type="linear"
            dataKey="rps"
            name="rps"
            stroke="#0066cc"
            fill="#0066cc"
            fillOpacity={0.15}
            strokeWidth={1.5}
            isAnimationActive={false}
            dot={dot}
          />
          <Area
            type="linear"
            dataKey="errorRps"
            name="errors/s"
            stroke="#c9190b"
            fill="#c9190b"
            fillOpacity={0.25}
            strokeWidth={1.5}
            isAnimationActive={false}
            dot={dot}
          />
        </AreaChart>
      </MiniChart>
      <MiniChart title="Success rate">
        <LineChart data={points} margin={MARGIN}>
          {grid}
          {xAxis}
          <YAxis
            tick={AXIS_TICK}
            width={46}
            domain={[(min: number) => Math.max(0, Math.floor(Math.min(min, 99) - 1)), 100]}
            allowDataOverflow
            tickFormatter={(v: number) => `${Number(v.toFixed(1))}%`}
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
      </MiniChart>
      <MiniChart title="Latency p50 / p95 / p99">
        <LineChart data={points} margin={MARGIN}>
          {grid}
          {xAxis}
          <YAxis tick={AXIS_TICK} width={46} tickFormatter={(v: number) => formatMs(v)} />
          <Tooltip
            labelFormatter={label}
            formatter={(v) => (typeof v === 'number' ? formatMs(v) : String(v))}
          />
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
      </MiniChart>
    </div>
  );
}

export const EdgeSignalCharts = memo(EdgeSignalChartsView);
