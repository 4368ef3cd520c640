/** The ingest bench's results: throughput/cost table, delivery (nothing dropped) table, goal checks. */
import type { ApiProfile } from './ingest-profile.ts';
import { percentile, type ProbeSummary, type SendOutcome } from './ingest-load.ts';
import type { StoredCounts } from './ingest-verify.ts';

export type Database = 'sqlite' | 'postgresql';
export type Signal = 'spans' | 'rollups';

export const DATABASE_LABEL: Record<Database, string> = { sqlite: 'SQLite', postgresql: 'PostgreSQL' };

/**
 * Goals of issue 9 ("Telemetry at mesh scale"; before it, shared PRODUCT.md's 20k / 2k): telemetry ingest into
 * one API process, SQLite and PostgreSQL, nothing dropped.
 */
export const INGEST_GOALS: Record<Signal, number> = { spans: 40_000, rollups: 5_000 };

export interface PhaseMeasurement {
  signal: Signal;
  send: SendOutcome;
  apiCpuMicros: number;
  /** Share of the API's CPU time spent in user space (0..1). */
  apiUserShare: number;
  /** PostgreSQL server processes (0 for SQLite, which runs inside the API process). */
  dbServerCpuMicros: number;
  /** The bench process itself (senders, probes). */
  benchCpuMicros: number;
  /** Highest VmRSS of the API sampled during the phase, and its VmHWM at the end. */
  apiMaxRssKib: number;
  apiPeakRssKib: number;
  healthz: ProbeSummary;
  loop: ProbeSummary;
  /** CPU of processes outside the bench during the phase, percent of one core. */
  otherCpuPercent: number;
  /** When the phase ran, in `process.hrtime` microseconds (to cut the API's CPU profile). */
  fromUs: number;
  toUs: number;
}

export interface WarmupOutcome {
  spans: SendOutcome;
  rollups: SendOutcome;
}

export interface DatabaseRun {
  database: Database;
  phases: PhaseMeasurement[];
  warmup?: WarmupOutcome;
  stored?: StoredCounts;
  apiReadyRssKib?: number;
  apiStartS?: number;
  apiExit?: number | string;
  apiLogLines: string[];
  /** --cpu-prof: the API's main thread during each measured phase. */
  profiles?: ApiProfile[];
  profileFile?: string;
  /** Set when the run stopped early (the API died, the database did not start, …). */
  error?: string;
}

function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value < 10 ? fmt(value, 1) : fmt(value);
}

export function rate(p: PhaseMeasurement): number {
  return p.send.elapsedS > 0 ? p.send.itemsOk / p.send.elapsedS : 0;
}

function alignedTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (cell: string, i: number): string =>
    right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0);
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(c, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Failed POSTs by reason over one or more sends: `3× HTTP 500, 1× ECONNRESET`, or `0`. */
function failureText(...sends: SendOutcome[]): string {
  const counts = new Map<string, number>();
  for (const send of sends) {
    for (const [reason, f] of send.failures) counts.set(reason, (counts.get(reason) ?? 0) + f.count);
  }
  if (counts.size === 0) return '0';
  return [...counts].map(([reason, n]) => `${n}× ${reason}`).join(', ');
}

export function throughputTable(runs: readonly DatabaseRun[]): string {
  const header = [
    'database',
    'signal',
    'sent',
    'POSTs',
    'per POST',
    'wall s',
    'rate /s',
    'goal /s',
    'POST p50 ms',
    'POST p99 ms',
    'API CPU',
    'API CPU-µs/item',
    'API max RSS',
    '/healthz p50 / p99 / max ms',
    'event loop p99 / max ms',
  ];
  const right = [false, false, true, true, true, true, true, true, true, true, true, true, true, true, true];
  const rows: string[][] = [];
  for (const run of runs) {
    for (const p of run.phases) {
      const s = p.send;
      rows.push([
        DATABASE_LABEL[run.database],
        p.signal,
        fmt(s.itemsSent),
        fmt(s.posts),
        fmt(s.posts > 0 ? s.itemsSent / s.posts : 0, p.signal === 'spans' ? 0 : 1),
        `${fmt(s.elapsedS, 1)}${s.timeLimited ? ' (limit)' : ''}${s.pacedAt ? ' (paced)' : ''}`,
        fmt(rate(p)),
        `≥ ${fmt(INGEST_GOALS[p.signal])}`,
        ms(percentile(s.latenciesMs, 0.5)),
        ms(percentile(s.latenciesMs, 0.99)),
        `${fmt((100 * p.apiCpuMicros) / (s.elapsedS * 1e6 || 1))}%`,
        fmt(s.itemsOk > 0 ? p.apiCpuMicros / s.itemsOk : Number.NaN, 1),
        `${fmt(p.apiMaxRssKib / 1024)} MiB`,
        `${ms(p.healthz.p50Ms)} / ${ms(p.healthz.p99Ms)} / ${ms(p.healthz.maxMs)}`,
        `${ms(p.loop.p99Ms)} / ${ms(p.loop.maxMs)}`,
      ]);
    }
    if (run.phases.length === 0) {
      rows.push([DATABASE_LABEL[run.database], '(not measured)', ...header.slice(2).map(() => '—')]);
    }
  }
  return alignedTable(header, rows, right);
}

export interface Delivery {
  signal: Signal;
  postsOk: number;
  posts: number;
  failures: string;
  /** Items in every POST sent, answered 200 or not (warm-up included). */
  sent: number;
  apiStored: number;
  apiDuplicates: number;
  /** Items the bench got a 200 for (warm-up included): what the database must hold. */
  expected: number;
  stored: number | undefined;
  /** For rollups: requests summed over the histograms, expected vs stored. */
  requestsExpected?: number;
  requestsStored?: number;
  ok: boolean;
}

export function deliveries(run: DatabaseRun): Delivery[] {
  const out: Delivery[] = [];
  for (const signal of ['spans', 'rollups'] as const) {
    const phase = run.phases.find((p) => p.signal === signal);
    const warm = run.warmup?.[signal];
    if (!phase || !warm) continue;
    const posts = phase.send.posts + warm.posts;
    const postsOk = phase.send.ok + warm.ok;
    const expected = phase.send.itemsOk + warm.itemsOk;
    const stored = run.stored ? (signal === 'spans' ? run.stored.spans : run.stored.rollups) : undefined;
    const d: Delivery = {
      signal,
      posts,
      postsOk,
      failures: failureText(warm, phase.send),
      sent: phase.send.itemsSent + warm.itemsSent,
      apiStored: phase.send.apiStored + warm.apiStored,
      apiDuplicates:
        phase.send.apiDuplicates + warm.apiDuplicates + phase.send.apiRejected + warm.apiRejected,
      expected,
      stored,
      ok: false,
    };
    if (signal === 'rollups') {
      d.requestsExpected = phase.send.requestsOk + warm.requestsOk;
      d.requestsStored = run.stored?.rollupRequests;
    }
    d.ok =
      postsOk === posts &&
      d.apiStored === expected &&
      d.apiDuplicates === 0 &&
      stored === expected &&
      stored === d.sent &&
      (d.requestsExpected === undefined || d.requestsExpected === d.requestsStored);
    out.push(d);
  }
  return out;
}

export function deliveryTable(runs: readonly DatabaseRun[]): string {
  const header = [
    'database',
    'signal',
    'POSTs 200 / sent',
    'failed POSTs',
    'items sent',
    'answered 200',
    'API stored / duplicates',
    'in database',
    'not stored',
    'requests in histograms sent / stored',
    'nothing dropped',
  ];
  const right = [false, false, true, false, true, true, true, true, true, true, false];
  const rows: string[][] = [];
  for (const run of runs) {
    for (const d of deliveries(run)) {
      rows.push([
        DATABASE_LABEL[run.database],
        d.signal,
        `${fmt(d.postsOk)} / ${fmt(d.posts)}`,
        d.failures,
        fmt(d.sent),
        fmt(d.expected),
        `${fmt(d.apiStored)} / ${fmt(d.apiDuplicates)}`,
        d.stored === undefined ? '?' : fmt(d.stored),
        d.stored === undefined ? '?' : fmt(d.sent - d.stored),
        d.requestsExpected === undefined
          ? '—'
          : `${fmt(d.requestsExpected)} / ${d.requestsStored === undefined ? '?' : fmt(d.requestsStored)}`,
        d.ok ? 'yes' : '**NO**',
      ]);
    }
  }
  return alignedTable(header, rows, right);
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

export function goalLines(runs: readonly DatabaseRun[]): string[] {
  const lines: string[] = [];
  for (const run of runs) {
    const db = DATABASE_LABEL[run.database];
    if (run.error && run.phases.length < 2) {
      lines.push(`- MISS ${db}: not fully measured (${run.error.split('\n')[0] ?? ''})`);
    }
    for (const p of run.phases) {
      const r = rate(p);
      const goal = INGEST_GOALS[p.signal];
      if (p.send.pacedAt) {
        // Paced at the goal: the rate cannot exceed it; the question is whether the API kept up.
        const kept = p.send.maxBehindMs < 1000 && !p.send.timeLimited;
        lines.push(
          `- ${kept ? 'KEPT UP' : 'FELL BEHIND'} ${db} ${p.signal} paced at ${fmt(p.send.pacedAt)}/s: ${fmt(r)}/s delivered, senders at most ${fmt(p.send.maxBehindMs)} ms behind schedule (run without --pace for the maximum rate)`,
        );
        continue;
      }
      lines.push(
        `- ${verdict(r >= goal)} ${db} ${p.signal}: ${fmt(r)}/s (goal ≥ ${fmt(goal)}/s; ${fmt((100 * r) / goal)}% of it)${p.send.timeLimited ? ` — stopped by the time limit after ${fmt(p.send.itemsSent)} sent` : ''}`,
      );
    }
    const ds = deliveries(run);
    if (ds.length > 0) {
      const ok = ds.every((d) => d.ok);
      const detail = ds
        .map(
          (d) =>
            `${d.signal}: ${fmt(d.postsOk)}/${fmt(d.posts)} POSTs answered 200, ${d.stored === undefined ? '?' : fmt(d.stored)} of ${fmt(d.sent)} sent stored`,
        )
        .join('; ');
      lines.push(`- ${verdict(ok)} ${db} nothing dropped: ${detail}`);
    }
  }
  return lines;
}

export function phaseNotes(runs: readonly DatabaseRun[]): string[] {
  const lines: string[] = [];
  for (const run of runs) {
    const db = DATABASE_LABEL[run.database];
    if (run.apiStartS !== undefined) {
      lines.push(
        `${db}: the API answered /healthz ${fmt(run.apiStartS, 1)} s after it was started; RSS when ready ${fmt((run.apiReadyRssKib ?? 0) / 1024)} MiB.`,
      );
    }
    for (const p of run.phases) {
      const s = p.send;
      const wall = s.elapsedS * 1e6 || 1;
      lines.push(
        `${db} ${p.signal}: API CPU ${fmt((100 * p.apiCpuMicros) / wall)}% of a core (${fmt(100 * p.apiUserShare)}% user)` +
          (run.database === 'postgresql'
            ? `, PostgreSQL server ${fmt((100 * p.dbServerCpuMicros) / wall)}% (${fmt(s.itemsOk > 0 ? p.dbServerCpuMicros / s.itemsOk : 0, 1)} µs/item)`
            : '') +
          `, bench senders ${fmt((100 * p.benchCpuMicros) / wall)}%, other processes ${fmt(p.otherCpuPercent)}%; ` +
          `API VmHWM ${fmt(p.apiPeakRssKib / 1024)} MiB; POST latency max ${ms(s.latenciesMs.length > 0 ? Math.max(...s.latenciesMs) : Number.NaN)} ms; ` +
          (s.overloadRetries > 0
            ? `${fmt(s.overloadRetries)} POSTs refused as overloaded (429/503) and sent again after Retry-After; `
            : '') +
          `/healthz ${p.healthz.samples} probes, ${p.healthz.overOneSecond} over 1 s${p.healthz.failures > 0 ? `, ${p.healthz.failures} failed` : ''}; ` +
          `event-loop probe ${p.loop.samples} probes, p50 ${ms(p.loop.p50Ms)} ms, ${p.loop.overOneSecond} over 1 s${p.loop.failures > 0 ? `, ${p.loop.failures} failed` : ''}.`,
      );
      for (const [reason, f] of s.failures) {
        lines.push(`${db} ${p.signal}: ${f.count}× ${reason}, e.g. \`${f.example.replace(/`/g, "'")}\``);
      }
    }
    if (run.warmup) {
      for (const signal of ['spans', 'rollups'] as const) {
        for (const [reason, f] of run.warmup[signal].failures) {
          lines.push(
            `${db} warm-up ${signal}: ${f.count}× ${reason}, e.g. \`${f.example.replace(/`/g, "'")}\``,
          );
        }
      }
    }
    if (run.stored) {
      lines.push(
        `${db} database after the run: ${fmt(run.stored.spans)} spans, ${fmt(run.stored.rollups)} histogram data points counted (RollupReceipt rows), aggregated into ${fmt(run.stored.rollupRows)} SeriesRollup rows at the finest resolution (${fmt(run.stored.rollupRequests)} requests in their histograms).`,
      );
    }
    if (run.apiExit !== undefined && run.apiExit !== 0) {
      lines.push(`${db}: the API exited with ${String(run.apiExit)} when stopped.`);
    }
    if (run.apiLogLines.length > 0) {
      lines.push(
        `${db}: the API logged ${run.apiLogLines.length} error line(s), e.g. ${[
          ...new Set(run.apiLogLines.map((l) => l.slice(0, 240))),
        ]
          .slice(0, 3)
          .map((l) => `\`${l.replace(/`/g, "'")}\``)
          .join('; ')}`,
      );
    }
    if (run.error) lines.push(`${db}: **${run.error.split('\n').slice(0, 3).join(' ')}**`);
  }
  return lines;
}
