/**
 * Counters of the retry layer, per destination service: retries made (by outcome: the retry's answer ended
 * the request, or it failed again) and retries refused because the service's budget was spent.
 */
import { RetryMetricNames } from '@weft/schema';
import type { PrometheusText } from '../../telemetry/prometheus.ts';

export type RetryOutcome = 'success' | 'failure';

interface ServiceCounts {
  service: string;
  namespace: string;
  success: number;
  failure: number;
  budgetExhausted: number;
}

/** Where retries are counted for the control plane too (telemetry/resilience-counters.ts). */
export interface RetrySink {
  retried(service: string, namespace: string, reason: string): void;
}

export class RetryMetrics {
  readonly #services = new Map<string, ServiceCounts>();
  readonly #sink: RetrySink | undefined;

  constructor(sink?: RetrySink) {
    this.#sink = sink;
  }

  /** `reason`: what the try before this retry failed with ("503", "upstream-connect-failure"). */
  retried(service: string, namespace: string, outcome: RetryOutcome, reason = ''): void {
    this.#counts(service, namespace)[outcome]++;
    this.#sink?.retried(service, namespace, reason);
  }

  budgetExhausted(service: string, namespace: string): void {
    this.#counts(service, namespace).budgetExhausted++;
  }

  /** `weft_proxy_retries_total` and `weft_proxy_retry_budget_exhausted_total`. */
  render(text: PrometheusText): void {
    const all = [...this.#services.values()];
    text.family(
      RetryMetricNames.retries,
      'counter',
      'Retries made by the outbound proxy, per destination service and outcome (success: the retry answered the request; failure: it failed too).',
    );
    for (const c of all) {
      const labels = { destination_service: c.service, destination_namespace: c.namespace };
      text.sample(RetryMetricNames.retries, { ...labels, outcome: 'success' }, c.success);
      text.sample(RetryMetricNames.retries, { ...labels, outcome: 'failure' }, c.failure);
    }
    text.family(
      RetryMetricNames.retryBudgetExhausted,
      'counter',
      'Retries not made because the retry budget of the destination service was spent.',
    );
    for (const c of all) {
      text.sample(
        RetryMetricNames.retryBudgetExhausted,
        { destination_service: c.service, destination_namespace: c.namespace },
        c.budgetExhausted,
      );
    }
  }

  #counts(service: string, namespace: string): ServiceCounts {
    const key = `${service}.${namespace}`;
    let counts = this.#services.get(key);
    if (counts === undefined) {
      counts = { service, namespace, success: 0, failure: 0, budgetExhausted: 0 };
      this.#services.set(key, counts);
    }
    return counts;
  }
}
