/** Number formatting shared by every table, label and chart, so the same value reads the same everywhere. */

export function formatRps(rps: number | null | undefined): string {
  if (rps === null || rps === undefined) return '–';
  if (rps === 0) return '0';
  if (rps < 0.01) return '<0.01';
  if (rps < 10) return rps.toFixed(2);
  if (rps < 1000) return rps.toFixed(1);
  return `${(rps / 1000).toFixed(1)}k`;
}

/** Success rate 0..1 → "99.5%". */
export function formatPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '–';
  const pct = ratio * 100;
  if (pct === 100 || pct === 0) return `${pct.toFixed(0)}%`;
  return `${pct.toFixed(digits)}%`;
}

export function errorRatio(requests: number, errors: number): number | null {
  return requests > 0 ? errors / requests : null;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms === 0) return '0';
  if (ms < 1) return `${(ms * 1000).toFixed(0)}µs`;
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 100 ? 1 : 0)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  return `${(ms / 60_000).toFixed(1)}min`;
}

export function formatUs(us: number): string {
  return formatMs(us / 1000);
}

/** Axis label for an offset in a trace: as short as possible ("0", "500µs", "2.5ms", "1.2s"). */
export function formatOffsetUs(us: number): string {
  if (us === 0) return '0';
  const trim = (n: number) => String(Number(n.toPrecision(3)));
  if (us < 1000) return `${trim(us)}µs`;
  if (us < 1_000_000) return `${trim(us / 1000)}ms`;
  return `${trim(us / 1_000_000)}s`;
}

/** Axis tick: no padded decimals ("4", "12", "0.5", "1.2k"). */
export function formatAxisNumber(v: number): string {
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function formatDateTime(epochMs: number): string {
  return dateTimeFormat.format(epochMs);
}

/** Axis tick for a time series: clock time for short windows, date + time for long ones. */
export function formatTick(epochMs: number, windowMs: number): string {
  const d = new Date(epochMs);
  const hh = String(d.getHours()).padStart(2, '0');
  const mm = String(d.getMinutes()).padStart(2, '0');
  if (windowMs <= 60 * 60_000) return `${hh}:${mm}:${String(d.getSeconds()).padStart(2, '0')}`;
  if (windowMs <= 24 * 3600_000) return `${hh}:${mm}`;
  return `${d.getMonth() + 1}/${d.getDate()} ${hh}:${mm}`;
}

export function formatAgo(epochMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - epochMs) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}
