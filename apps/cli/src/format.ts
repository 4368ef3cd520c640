/** Output helpers: kubectl-style tables, ages, rates, percentages and latencies. */

/** Upper-case headers, left-aligned columns three spaces apart, no trailing spaces. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** kubectl's HumanDuration: "45s", "3m20s", "15m", "5h30m", "20h", "3d4h", "40d", "2y30d". */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '<unknown>';
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (seconds < 120) return `${seconds}s`;
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (years < 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** "12.35" requests per second; "0" when idle. */
export function formatRps(rps: number): string {
  if (rps === 0) return '0';
  return rps >= 100 ? rps.toFixed(0) : rps.toFixed(2);
}

/** 0..1 → "99.50%"; "-" when nothing was seen. */
export function formatSuccess(rate: number | null): string {
  return rate === null ? '-' : `${(rate * 100).toFixed(2)}%`;
}

/** "3.5ms", "120ms", "1.25s"; "-" when nothing was seen. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 10) return `${Math.round(ms * 10) / 10}ms`;
  return `${Math.round(ms)}ms`;
}

/** JSON with two-space indent and a final newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
