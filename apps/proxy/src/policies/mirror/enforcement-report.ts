/**
 * The FaultInjectionPolicies and MirrorPolicies of the config in force as /config shows them: where each
 * applies (a service, or one route rule of it), that it is enforced, and for a mirror where its copies go
 * now (the endpoints of its backend) or why they are dropped.
 */
import type { ProxyConfig, RoutePolicies } from '@weft/schema';
import { ruleLabel } from '../../routing/route-rules.ts';
import type { RoutingTable } from '../../routing/routing-table.ts';
import { compiledFault } from '../fault/fault-policy.ts';
import { compiledMirror } from './mirror-policy.ts';

interface Applied {
  service: string;
  namespace: string;
  /** The HTTPRoute rule it applies to; absent: every request to the service that no rule's own overrides. */
  rule?: string;
  source: string;
  enforced: true;
}

export interface FaultReport extends Applied {
  /** "delay 5s to 10% of matching requests", "abort with 503 to 20% of matching requests". */
  faults: string[];
}

export interface MirrorReport extends Applied {
  /** "reviews.shop version v2" */
  to: string;
  percentage: number;
  maxBodyBytes: number;
  /** Where copies go now; empty when they are dropped (see `problems`). */
  endpoints: string[];
  problems: string[];
}

export interface FaultsAndMirrorsReport {
  faultInjection: FaultReport[];
  mirrors: MirrorReport[];
}

/** Undefined when the config has neither kind, so /config stays as it was for configs without them. */
export function faultsAndMirrorsReport(
  config: ProxyConfig,
  routes: RoutingTable,
): FaultsAndMirrorsReport | undefined {
  const out: FaultsAndMirrorsReport = { faultInjection: [], mirrors: [] };
  const add = (where: Omit<Applied, 'source' | 'enforced'>, p: RoutePolicies): void => {
    if (p.faultInjection !== undefined) {
      const f = compiledFault(p.faultInjection);
      const faults: string[] = [];
      if (f.delayShare > 0)
        faults.push(`delay ${f.delayMs}ms to ${f.delayShare * 100}% of matching requests`);
      if (f.abortShare > 0)
        faults.push(`abort with ${f.abortStatus ?? 0} to ${f.abortShare * 100}% of matching requests`);
      out.faultInjection.push({ ...where, source: f.source, enforced: true, faults });
    }
    if (p.mirror !== undefined) {
      const m = compiledMirror(p.mirror);
      const subset = m.subset(routes);
      out.mirrors.push({
        ...where,
        source: m.source,
        enforced: true,
        to: m.target,
        percentage: m.share * 100,
        maxBodyBytes: m.maxBodyBytes,
        endpoints: subset?.endpoints.map((e) => e.address) ?? [],
        problems:
          subset === undefined ? [`${m.target} has no endpoints in the config: copies are dropped`] : [],
      });
    }
  };
  for (const p of config.policies ?? []) {
    const service = { service: p.service, namespace: p.namespace };
    add(service, p);
    for (const r of p.routes ?? [])
      if (r.policies !== undefined) add({ ...service, rule: ruleLabel(r) }, r.policies);
  }
  return out.faultInjection.length === 0 && out.mirrors.length === 0 ? undefined : out;
}
