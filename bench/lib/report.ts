/** The bench's results as a markdown table (aligned, so it reads the same in a terminal) plus ratios and goals. */
import type { LoadResult } from './load.ts';

export type TargetName = 'direct' | 'weft' | 'nginx';

export interface Measurement {
  target: TargetName;
  connections: number;
  load: LoadResult;
  /** CPU used by processes outside the bench during the measurement, percent of one core. */
  otherCpuPercent: number;
  /** Absent for `direct` (no proxy in the path). */
  proxy?: {
    cpuMicros: number;
    cpuMicrosPerRequest: number;
    /** CPU time over wall time of the measurement: 100% is one core. */
    cpuPercent: number;
    /** Part of the CPU time spent in user space (0..1); the rest is the kernel (sockets). */
    userShare: number;
    peakRssMib: number;
    processes: number;
  };
}

export const TARGET_LABEL: Record<TargetName, string> = {
  direct: 'direct',
  weft: 'Weft proxy',
  nginx: 'nginx proxy',
};

/** Goals from shared PRODUCT.md ("Goals we measure ourselves against"). */
export const GOALS = {
  cpuMicrosPerRequest: 40,
  cpuRatioToNginx: 4,
  addedP50Us1Conn: 100,
  addedP99Us1Conn: 400,
} as const;

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${fmt(Math.abs(value))}`;
}

function errorCount(load: LoadResult): number {
  const e = load.errors;
  return e.connect + e.read + e.write + e.timeout + e.status;
}

function errorText(load: LoadResult): string {
  const e = load.errors;
  if (errorCount(load) === 0) return '0';
  const parts = Object.entries(e)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.join(', ');
}

export function find(
  results: readonly Measurement[],
  target: TargetName,
  connections: number,
): Measurement | undefined {
  return results.find((m) => m.target === target && m.connections === connections);
}

function alignedTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAlign: readonly boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (cell: string, i: number): string =>
    rightAlign[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0);
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(c, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (rightAlign[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function resultsTable(results: readonly Measurement[]): string {
  const header = [
    'target',
    'conns',
    'req/s',
    'p50 µs',
    'p99 µs',
    'p50 over direct',
    'p99 over direct',
    'proxy CPU-µs/req',
    'proxy CPU',
    'proxy peak RSS',
    'other procs CPU',
    'errors',
  ];
  const right = [false, true, true, true, true, true, true, true, true, true, true, false];
  const rows = results.map((m) => {
    const direct = find(results, 'direct', m.connections);
    const overDirect = (pick: (l: LoadResult) => number): string =>
      m.target === 'direct' || !direct ? '—' : `${signed(pick(m.load) - pick(direct.load))} µs`;
    return [
      TARGET_LABEL[m.target],
      String(m.connections),
      fmt(m.load.requestsPerS),
      fmt(m.load.p50Us),
      fmt(m.load.p99Us),
      overDirect((l) => l.p50Us),
      overDirect((l) => l.p99Us),
      m.proxy ? fmt(m.proxy.cpuMicrosPerRequest, 1) : '—',
      m.proxy ? `${fmt(m.proxy.cpuPercent)}%` : '—',
      m.proxy ? `${fmt(m.proxy.peakRssMib, 1)} MiB` : '—',
      `${fmt(m.otherCpuPercent)}%`,
      errorText(m.load),
    ];
  });
  return alignedTable(header, rows, right);
}

/** Other processes' CPU (percent of one core) above which latency numbers are mostly scheduler noise. */
export const BUSY_PERCENT = 25;

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

/** Ratios and the PRODUCT.md goals, one line each (markdown list). */
export function ratiosAndGoals(
  results: readonly Measurement[],
  connectionLevels: readonly number[],
): string[] {
  const lines: string[] = [];
  for (const c of connectionLevels) {
    const weft = find(results, 'weft', c);
    const nginx = find(results, 'nginx', c);
    const direct = find(results, 'direct', c);
    if (weft?.proxy && nginx?.proxy && nginx.proxy.cpuMicrosPerRequest > 0) {
      lines.push(
        `- ${c} conn: Weft vs nginx CPU-µs/request = ${fmt(weft.proxy.cpuMicrosPerRequest, 1)} / ${fmt(nginx.proxy.cpuMicrosPerRequest, 1)} = **${fmt(weft.proxy.cpuMicrosPerRequest / nginx.proxy.cpuMicrosPerRequest, 1)}×**`,
      );
    }
    if (weft && direct) {
      lines.push(
        `- ${c} conn: Weft adds p50 ${signed(weft.load.p50Us - direct.load.p50Us)} µs, p99 ${signed(weft.load.p99Us - direct.load.p99Us)} µs over direct; throughput ${fmt((100 * weft.load.requestsPerS) / direct.load.requestsPerS)}% of direct`,
      );
    }
    if (nginx && direct) {
      lines.push(
        `- ${c} conn: nginx adds p50 ${signed(nginx.load.p50Us - direct.load.p50Us)} µs, p99 ${signed(nginx.load.p99Us - direct.load.p99Us)} µs over direct; throughput ${fmt((100 * nginx.load.requestsPerS) / direct.load.requestsPerS)}% of direct`,
      );
    }
  }
  return lines;
}

export function goalChecks(results: readonly Measurement[], connectionLevels: readonly number[]): string[] {
  const lines: string[] = [];
  for (const c of connectionLevels) {
    const weft = find(results, 'weft', c);
    const nginx = find(results, 'nginx', c);
    if (!weft?.proxy) continue;
    const cpu = weft.proxy.cpuMicrosPerRequest;
    lines.push(
      `- ${verdict(cpu <= GOALS.cpuMicrosPerRequest)} proxy cost at ${c} conn: ${fmt(cpu, 1)} CPU-µs/request (goal ≤ ${GOALS.cpuMicrosPerRequest})`,
    );
    if (nginx?.proxy && nginx.proxy.cpuMicrosPerRequest > 0) {
      const ratio = cpu / nginx.proxy.cpuMicrosPerRequest;
      lines.push(
        `- ${verdict(ratio <= GOALS.cpuRatioToNginx)} proxy cost at ${c} conn vs nginx in this run: ${fmt(ratio, 1)}× (goal ≤ ${GOALS.cpuRatioToNginx}×)`,
      );
    }
  }
  const weft1 = find(results, 'weft', 1);
  const direct1 = find(results, 'direct', 1);
  if (weft1 && direct1) {
    const p50 = weft1.load.p50Us - direct1.load.p50Us;
    const p99 = weft1.load.p99Us - direct1.load.p99Us;
    const busiest = Math.max(weft1.otherCpuPercent, direct1.otherCpuPercent);
    const caveat =
      busiest > BUSY_PERCENT
        ? ` — **not trustworthy: other processes used up to ${fmt(busiest)}% of a core during these rows**`
        : '';
    lines.push(
      `- ${verdict(p50 <= GOALS.addedP50Us1Conn)} one connection: p50 ${signed(p50)} µs over direct (goal ≤ +${GOALS.addedP50Us1Conn} µs)${caveat}`,
    );
    lines.push(
      `- ${verdict(p99 <= GOALS.addedP99Us1Conn)} one connection: p99 ${signed(p99)} µs over direct (goal ≤ +${GOALS.addedP99Us1Conn} µs)${caveat}`,
    );
  }
  return lines;
}

export function anyErrors(results: readonly Measurement[]): boolean {
  return results.some((m) => errorCount(m.load) > 0);
}
