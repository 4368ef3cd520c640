/**
 * `weft stat`: golden signals per service and version, like `linkerd viz stat`, from services.versions
 * (what each version's inbound proxies saw; versions with live instances and no traffic are idle rows).
 */
import { QueryLimits, type ServiceVersionStats } from '@weft/schema';
import { NAMESPACE_FLAG, outputFlag, stringFlag, type Command } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { formatJson, formatLatency, formatRps, formatSuccess, formatTable } from '../format.ts';

export interface StatRow {
  namespace: string;
  service: string;
  version: string;
  rps: number;
  /** 0..1; null when no request was seen. */
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s", "5m", "1h", "1h30m", "500ms", "7d" → milliseconds, within QueryLimits.maxWindowMs. */
export function parseWindow(value: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw new UsageError(`--window "${value}" is not a duration like 30s, 5m, 1h or 1h30m`, 'stat');
  }
  const ms = Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2]!] ?? 0), 0));
  if (ms < 1000) throw new UsageError(`--window "${value}" must be at least 1s`, 'stat');
  if (ms > QueryLimits.maxWindowMs) {
    throw new UsageError(
      `--window "${value}" is longer than the API allows (${QueryLimits.maxWindowMs / 86_400_000}d)`,
      'stat',
    );
  }
  return ms;
}

export function statRows(versions: readonly ServiceVersionStats[], namespace?: string): StatRow[] {
  return versions
    .filter((s) => namespace === undefined || s.namespace === namespace)
    .map((s) => ({
      namespace: s.namespace,
      service: s.service,
      version: s.version || '-',
      rps: s.traffic.rps,
      successRate: s.traffic.successRate,
      p50Ms: s.traffic.p50,
      p95Ms: s.traffic.p95,
      p99Ms: s.traffic.p99,
    }))
    .sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) ||
        a.service.localeCompare(b.service) ||
        a.version.localeCompare(b.version),
    );
}

export function statTable(rows: readonly StatRow[]): string {
  return formatTable(
    ['NAMESPACE', 'SERVICE', 'VERSION', 'RPS', 'SUCCESS', 'P50', 'P95', 'P99'],
    rows.map((r) => [
      r.namespace,
      r.service,
      r.version,
      formatRps(r.rps),
      formatSuccess(r.successRate),
      formatLatency(r.p50Ms),
      formatLatency(r.p95Ms),
      formatLatency(r.p99Ms),
    ]),
  );
}

export const statCommand: Command = {
  name: 'stat',
  summary: 'Golden signals per service and version: request rate, success rate, latency percentiles',
  synopsis: '[-n NS] [--window DURATION] [-o table|json]',
  description:
    'Numbers are what the services’ own (inbound) proxies saw over the window; percentiles come from merged\n' +
    'histograms. SUCCESS is the share of responses that were not 5xx; "-" means no requests.\n' +
    '-o json prints an array of {namespace, service, version, rps, successRate (0..1), p50Ms, p95Ms, p99Ms}.',
  flags: {
    namespace: NAMESPACE_FLAG,
    window: {
      type: 'string',
      short: 'w',
      value: 'DURATION',
      help: 'how far back: 30s, 5m (default), 1h, 1d…',
    },
    output: { type: 'string', short: 'o', value: 'FORMAT', help: 'table (default) or json' },
  },
  args: [0, 0],
  examples: ['weft stat -n shop', 'weft stat --window 1h -o json'],
  async run(ctx, flags) {
    const output = outputFlag(flags, ['table', 'json'] as const, this.name);
    const namespace = stringFlag(flags, 'namespace');
    const lastMs = parseWindow(stringFlag(flags, 'window') ?? '5m');
    const versions = await ctx.client().query<ServiceVersionStats[]>('services.versions', {
      window: { lastMs },
      ...(namespace !== undefined ? { namespace } : {}),
    });
    const rows = statRows(versions, namespace);
    if (output === 'json') {
      ctx.io.stdout(formatJson(rows));
    } else if (rows.length === 0) {
      ctx.io.stderr(
        `No traffic or services${namespace ? ` in namespace "${namespace}"` : ''} in the window.\n`,
      );
    } else {
      ctx.io.stdout(statTable(rows));
    }
    return ExitCode.ok;
  },
};
