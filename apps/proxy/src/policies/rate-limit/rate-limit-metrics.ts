/**
 * Requests the inbound proxy refused itself, by reason: `rate` (a token bucket was empty: 429) or
 * `concurrency` (maxInFlight reached: 503). One series per policy, rule and route rule that refused;
 * their number is bounded by the rules configs carry, not by callers (no client label).
 */
import type { PrometheusText } from '../../telemetry/prometheus.ts';

export type RateLimitReason = 'rate' | 'concurrency';

export const RATE_LIMITED_METRIC = 'weft_proxy_rate_limited_total';

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
}

export class RateLimitMetrics {
  readonly #series = new Map<string, Series>();

  /** `rule`: the refusing rule's name, or "concurrency"; `route`: the HTTPRoute rule the policy is on. */
  refused(reason: RateLimitReason, policy: string, rule: string, route: string | undefined): void {
    const key = `${reason}\n${policy}\n${rule}\n${route ?? ''}`;
    const found = this.#series.get(key);
    if (found !== undefined) {
      found.value++;
      return;
    }
    const labels = { reason, policy, rule, ...(route === undefined ? {} : { route }) };
    this.#series.set(key, { labels, value: 1 });
  }

  /** Refusals so far for one reason, every rule together. */
  total(reason: RateLimitReason): number {
    let sum = 0;
    for (const s of this.#series.values()) if (s.labels.reason === reason) sum += s.value;
    return sum;
  }

  render(text: PrometheusText): void {
    text.family(
      RATE_LIMITED_METRIC,
      'counter',
      'Inbound requests the proxy refused itself: reason="rate" answered 429 (a RateLimitPolicy rule had no token), reason="concurrency" answered 503 (maxInFlight requests were in flight). They also count in weft_requests_total by status code.',
    );
    for (const s of this.#series.values()) text.sample(RATE_LIMITED_METRIC, s.labels, s.value);
  }
}
