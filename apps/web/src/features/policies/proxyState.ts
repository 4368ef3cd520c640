/**
 * Where the proxies stand with their config, for the Config page: every proxy gets the same compiled config,
 * so "which proxies run which version, which refused it and why" is one summary for the mesh, and a NACK
 * counts against a policy when its reason names it (as the API's Programmed condition decides).
 */
import type { RouterOutputs } from '@/lib/trpc.ts';

export type ProxyConfigRow = RouterOutputs['proxies']['list'][number];

export type AckState = 'acked' | 'pending' | 'nack';

export function ackState(p: ProxyConfigRow): AckState {
  if (p.nack) return 'nack';
  if (p.ackedVersion !== null && p.ackedVersion === p.configVersion) return 'acked';
  return 'pending';
}

export interface VersionGroup {
  /** The config version in force (last ACKed); null for proxies that have ACKed none yet. */
  version: string | null;
  proxyIds: string[];
}

export interface ProxySummary {
  total: number;
  acked: number;
  pending: number;
  nack: number;
  /** Proxies by the version they run, most proxies first. */
  inForce: VersionGroup[];
  nacks: ProxyConfigRow[];
}

export function summarizeProxies(rows: readonly ProxyConfigRow[]): ProxySummary {
  const groups = new Map<string | null, string[]>();
  const counts = { acked: 0, pending: 0, nack: 0 };
  for (const p of rows) {
    counts[ackState(p)]++;
    groups.set(p.ackedVersion, [...(groups.get(p.ackedVersion) ?? []), p.proxyId]);
  }
  const inForce = [...groups.entries()]
    .map(([version, proxyIds]) => ({ version, proxyIds: proxyIds.sort() }))
    .sort(
      (a, b) => b.proxyIds.length - a.proxyIds.length || String(a.version).localeCompare(String(b.version)),
    );
  const nacks = rows.filter((p) => p.nack).sort((a, b) => a.proxyId.localeCompare(b.proxyId));
  return { total: rows.length, ...counts, inForce, nacks };
}

/**
 * `name` ("TrafficSplit shop/a") appears in `text` as a whole name: not inside "TrafficSplit shop/ab" or
 * "TrafficSplit shop/a.b", but before a full stop, a colon or a space.
 */
export function mentionsPolicy(text: string, name: string): boolean {
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    const after = text.slice(at + name.length, at + name.length + 2);
    if (!/^([a-z0-9-]|\.[a-z0-9])/.test(after)) return true;
  }
  return false;
}

/** The proxies whose latest answer is a NACK that names the policy. */
export function nacksNaming(rows: readonly ProxyConfigRow[], name: string): ProxyConfigRow[] {
  return rows.filter((p) => p.nack && mentionsPolicy(p.nack.reason, name));
}
