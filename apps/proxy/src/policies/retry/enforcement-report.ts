/**
 * `/config`'s account of the retries and timeouts the outbound listener enforces: each RetryPolicy and
 * TimeoutPolicy (and each HTTPRoute rule's own `timeouts`), where it applies, and the values in force in
 * milliseconds. Absent from a config without any.
 */
import { durationMs, type ProxyConfig } from '@weft/schema';
import { ruleLabel } from '../../routing/route-rules.ts';
import { retryPlan } from './retry-plan.ts';
import { REPLAY_BODY_CAP_BYTES } from './replayable-body.ts';
import { RETRY_BUDGET_WINDOW_SECONDS } from './retry-budget.ts';

export interface RetryReport {
  /** "reviews.shop", or the HTTPRoute rule ("HTTPRoute shop/reviews rule #0") for a per-route policy. */
  appliesTo: string;
  source: string;
  enforced: true;
  attempts: number;
  perTryMs?: number;
  backoff: { baseMs: number; maxMs: number; jitter: number };
  retryOn: string[];
  /** Which methods are retried: "idempotent" (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or "all". */
  methods: 'idempotent' | 'all';
  budget: { ratio: number; minPerSecond: number; windowSeconds: number };
  /** Larger request bodies are sent once, never retried. */
  maxReplayBodyBytes: number;
}

export interface TimeoutReport {
  appliesTo: string;
  source: string;
  enforced: true;
  /** Deadline of the whole exchange (every try and the response body); 0: none. */
  requestMs?: number;
  /** Per try, until response headers. */
  perTryMs?: number;
  /** Silence allowed on the response body. */
  idleMs?: number;
}

const ms = (v: string | undefined): number | undefined => (v === undefined ? undefined : durationMs(v));

export function retriesAndTimeoutsReport(config: ProxyConfig): {
  retries?: RetryReport[];
  timeouts?: TimeoutReport[];
} {
  const retries: RetryReport[] = [];
  const timeouts: TimeoutReport[] = [];
  for (const p of config.policies ?? []) {
    const service = `${p.service}.${p.namespace}`;
    if (p.retry) retries.push(retryReport(service, p.retry));
    if (p.timeout)
      timeouts.push(
        timeoutReport(service, p.timeout.source, p.timeout.request, p.timeout.perTry, p.timeout.idle),
      );
    for (const rule of p.routes ?? []) {
      const label = ruleLabel(rule);
      if (rule.policies?.retry) retries.push(retryReport(label, rule.policies.retry));
      const t = rule.policies?.timeout;
      if (t) timeouts.push(timeoutReport(label, t.source, t.request, t.perTry, t.idle));
      if (
        rule.timeouts &&
        (rule.timeouts.request !== undefined || rule.timeouts.backendRequest !== undefined)
      )
        timeouts.push(
          timeoutReport(
            label,
            `${rule.route} (timeouts)`,
            rule.timeouts.request,
            rule.timeouts.backendRequest,
            undefined,
          ),
        );
    }
  }
  return {
    ...(retries.length > 0 ? { retries } : {}),
    ...(timeouts.length > 0 ? { timeouts } : {}),
  };
}

function retryReport(appliesTo: string, spec: Parameters<typeof retryPlan>[0]): RetryReport {
  const plan = retryPlan(spec);
  return {
    appliesTo,
    source: plan.source,
    enforced: true,
    attempts: plan.attempts,
    ...(plan.perTryMs === undefined ? {} : { perTryMs: plan.perTryMs }),
    backoff: { ...plan.backoff },
    retryOn: [...plan.retryOn],
    methods: plan.nonIdempotent ? 'all' : 'idempotent',
    budget: { ...plan.budget, windowSeconds: RETRY_BUDGET_WINDOW_SECONDS },
    maxReplayBodyBytes: REPLAY_BODY_CAP_BYTES,
  };
}

function timeoutReport(
  appliesTo: string,
  source: string,
  request: string | undefined,
  perTry: string | undefined,
  idle: string | undefined,
): TimeoutReport {
  const out: TimeoutReport = { appliesTo, source, enforced: true };
  const r = ms(request);
  const t = ms(perTry);
  const i = ms(idle);
  if (r !== undefined) out.requestMs = r;
  if (t !== undefined) out.perTryMs = t;
  if (i !== undefined) out.idleMs = i;
  return out;
}
