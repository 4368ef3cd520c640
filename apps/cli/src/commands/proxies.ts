/** `weft proxies`: every registered proxy, the config version it was sent and the one it acknowledged. */
import { NAMESPACE_FLAG, outputFlag, stringFlag, type Command } from '../command.ts';
import { ExitCode } from '../errors.ts';
import { formatAge, formatJson, formatTable } from '../format.ts';

/** What proxies.list answers per proxy. */
export interface ProxyStatus {
  proxyId: string;
  namespace: string;
  service: string;
  version: string;
  configVersion: string | number | null;
  ackedVersion: string | number | null;
  ackedAtMs: number | null;
  nack: { version: string | number; reason: string } | null;
}

function acked(p: ProxyStatus, nowMs: number): string {
  if (p.nack) return `NACK ${p.nack.version}: ${p.nack.reason}`;
  if (p.ackedVersion === null || p.ackedVersion === undefined) return '-';
  const age = p.ackedAtMs ? ` (${formatAge(nowMs - p.ackedAtMs)} ago)` : '';
  return `${p.ackedVersion}${age}`;
}

export function proxiesTable(proxies: readonly ProxyStatus[], nowMs: number): string {
  const rows = [...proxies]
    .sort(
      (a, b) =>
        a.namespace.localeCompare(b.namespace) ||
        a.service.localeCompare(b.service) ||
        a.proxyId.localeCompare(b.proxyId),
    )
    .map((p) => [
      p.proxyId,
      `${p.service}.${p.namespace}`,
      p.version,
      p.configVersion === null || p.configVersion === undefined ? '-' : String(p.configVersion),
      acked(p, nowMs),
    ]);
  return formatTable(['PROXY', 'SERVICE', 'VERSION', 'CONFIG', 'ACKED'], rows);
}

export const proxiesCommand: Command = {
  name: 'proxies',
  summary: 'List the proxies, their config version and what they acknowledged',
  synopsis: '[-n NS] [-o table|json]',
  description:
    'CONFIG is the config version the API has for the proxy, ACKED the one the proxy last acknowledged (and\n' +
    'when), or "NACK <version>: <reason>" when it refused one.',
  flags: {
    namespace: NAMESPACE_FLAG,
    output: { type: 'string', short: 'o', value: 'FORMAT', help: 'table (default) or json' },
  },
  args: [0, 0],
  async run(ctx, flags) {
    const output = outputFlag(flags, ['table', 'json'] as const, this.name);
    const namespace = stringFlag(flags, 'namespace');
    const all = await ctx.client().query<ProxyStatus[]>('proxies.list');
    const proxies = namespace ? all.filter((p) => p.namespace === namespace) : all;
    if (output === 'json') {
      ctx.io.stdout(formatJson(proxies));
    } else if (proxies.length === 0) {
      ctx.io.stderr(`No proxies registered${namespace ? ` in namespace "${namespace}"` : ''}.\n`);
    } else {
      ctx.io.stdout(proxiesTable(proxies, ctx.io.now()));
    }
    return ExitCode.ok;
  },
};
