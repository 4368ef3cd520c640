/** Egress on /metrics: requests to hosts outside the mesh, forwarded or blocked, plain HTTP or CONNECT. */
import type { PrometheusText } from '../../telemetry/prometheus.ts';

export type EgressKind = 'http' | 'connect';
export type EgressOutcome = 'forwarded' | 'blocked';

export class EgressCounters {
  readonly counts: Record<EgressKind, Record<EgressOutcome, number>> = {
    http: { forwarded: 0, blocked: 0 },
    connect: { forwarded: 0, blocked: 0 },
  };

  count(kind: EgressKind, outcome: EgressOutcome): void {
    this.counts[kind][outcome]++;
  }
}

export function renderEgressMetrics(text: PrometheusText, counters: EgressCounters, mode: string): void {
  text.family(
    'weft_proxy_egress_requests_total',
    'counter',
    'Requests of the application to hosts outside the mesh, by kind (http: absolute-form or Host; connect: a CONNECT tunnel) and outcome (forwarded to the host, or blocked: 502 egress-blocked under the REGISTRY_ONLY outbound traffic policy).',
  );
  for (const kind of ['http', 'connect'] as const)
    for (const outcome of ['forwarded', 'blocked'] as const)
      text.sample('weft_proxy_egress_requests_total', { kind, outcome }, counters.counts[kind][outcome]);
  text.family(
    'weft_proxy_outbound_traffic_policy_info',
    'gauge',
    'The outbound traffic policy in force: ALLOW_ANY (hosts outside the mesh are reachable) or REGISTRY_ONLY (they are not).',
  );
  text.sample('weft_proxy_outbound_traffic_policy_info', { mode }, 1);
}
