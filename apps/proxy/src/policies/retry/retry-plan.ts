/**
 * A RetryPolicy compiled for the data path, and the rules that decide whether one try may be retried.
 *
 * Only idempotent methods (RFC 9110 9.2.2: GET, HEAD, OPTIONS, PUT, DELETE, TRACE) are retried unless the
 * policy sets `nonIdempotent`. There is no exception for a POST whose connection was refused: the proxy
 * cannot prove that a pooled connection's failure happened before the upstream saw the request, so a
 * POST is never sent twice without the policy's permission.
 *
 * A try that failed without a response counts as the status the proxy would answer for it: a connect
 * failure or a reset as 502, a per-try timeout as 504. So `gateway-error` (502, 503, 504) and `5xx` cover
 * them too, as in Envoy; `connect-failure` and `reset` name only those failures.
 */
import { durationMs, type RETRY_ON, type ServicePolicy } from '@weft/schema';
import type { ProxyErrorKind } from '../../http/exchange.ts';

export type RetryOn = (typeof RETRY_ON)[number];
export type RetrySpec = NonNullable<ServicePolicy['retry']>;

export interface RetryPlan {
  /** Total tries, the first included. */
  readonly attempts: number;
  readonly perTryMs: number | undefined;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number; readonly jitter: number };
  readonly nonIdempotent: boolean;
  readonly budget: { readonly ratio: number; readonly minPerSecond: number };
  readonly source: string;
  readonly retryOn: ReadonlySet<RetryOn>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

const plans = new WeakMap<RetrySpec, RetryPlan>();

/** The plan of a policy, compiled once per policy object (each config brings new ones). */
export function retryPlan(spec: RetrySpec): RetryPlan {
  let plan = plans.get(spec);
  if (plan === undefined) {
    plan = {
      attempts: spec.attempts,
      perTryMs: spec.perTryTimeout === undefined ? undefined : durationMs(spec.perTryTimeout),
      backoff: {
        baseMs: durationMs(spec.backoff.base),
        maxMs: durationMs(spec.backoff.max),
        jitter: spec.backoff.jitter,
      },
      nonIdempotent: spec.nonIdempotent,
      budget: { ratio: spec.budget.ratio, minPerSecond: spec.budget.minPerSecond },
      source: spec.source,
      retryOn: new Set(spec.retryOn),
    };
    plans.set(spec, plan);
  }
  return plan;
}

/** Whether the method may be retried under the plan at all. */
export function mayRetryMethod(plan: RetryPlan, method: string): boolean {
  return plan.nonIdempotent || isIdempotent(method);
}

/** Whether an upstream response with this status is worth another try. */
export function retriesStatus(plan: RetryPlan, status: number): boolean {
  const on = plan.retryOn;
  if (status >= 500 && status <= 599 && on.has('5xx')) return true;
  if ((status === 502 || status === 503 || status === 504) && on.has('gateway-error')) return true;
  return (
    (status === 502 && on.has('502')) ||
    (status === 503 && on.has('503')) ||
    (status === 504 && on.has('504'))
  );
}

/** Whether a try that got no response (its failure as classified for the client) is worth another. */
export function retriesFailure(plan: RetryPlan, kind: ProxyErrorKind, status: number): boolean {
  if (kind === 'upstream-connect-failure')
    return plan.retryOn.has('connect-failure') || retriesStatus(plan, status);
  if (kind === 'upstream-reset') return plan.retryOn.has('reset') || retriesStatus(plan, status);
  if (kind === 'upstream-timeout') return retriesStatus(plan, status);
  // The client went away, or a bug: never retried.
  return false;
}
