/** `weft_proxy_faults_injected_total` by kind and destination service. */
import type { PrometheusText } from '../../telemetry/prometheus.ts';

export type FaultKind = 'delay' | 'abort';

export interface FaultCount {
  kind: FaultKind;
  service: string;
  namespace: string;
  count: number;
}

export class FaultCounters {
  readonly #counts = new Map<string, FaultCount>();

  add(kind: FaultKind, service: string, namespace: string): void {
    const key = `${kind}\n${service}\n${namespace}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count++;
    else this.#counts.set(key, { kind, service, namespace, count: 1 });
  }

  /** Every series seen since start, in order of first injection. */
  entries(): readonly FaultCount[] {
    return [...this.#counts.values()];
  }
}

/** `weft_proxy_faults_injected_total{kind, destination_service, destination_namespace}`. */
export function renderFaultMetrics(text: PrometheusText, counters: FaultCounters): void {
  text.family(
    'weft_proxy_faults_injected_total',
    'counter',
    'Faults a FaultInjectionPolicy injected into outbound requests: delays and aborts (a request can get both).',
  );
  for (const c of counters.entries()) {
    text.sample(
      'weft_proxy_faults_injected_total',
      { kind: c.kind, destination_service: c.service, destination_namespace: c.namespace },
      c.count,
    );
  }
}
