/**
 * The timeouts of one outbound request, from the policies that apply to it. The more specific wins: the
 * matched HTTPRoute rule (its TimeoutPolicy / RetryPolicy, then the rule's own HTTPRoute `timeouts`), then the
 * service the request goes to (its TimeoutPolicy / RetryPolicy), then the proxy default.
 *
 * - request: the deadline of the whole exchange, retries and the response body included. TimeoutPolicy
 *   `request`, else HTTPRoute `timeouts.request`, else the default.
 * - per try: how long one attempt may wait for response headers. TimeoutPolicy `perTry`, else RetryPolicy
 *   `perTryTimeout`, else HTTPRoute `timeouts.backendRequest`; without one, the rest of the request deadline.
 * - idle: silence allowed on the response body. TimeoutPolicy `idle`, else the pool's default.
 *
 * A duration of 0 means none, as Gateway API says of `0s`.
 */
import { durationMs, type ServicePolicy } from '@weft/schema';
import type { ProxyRequest } from '../../http/exchange.ts';
import { servicePolicyOf } from '../fault/request-policy.ts';
import { retryPlan, type RetryPlan } from './retry-plan.ts';

type TimeoutSpec = NonNullable<ServicePolicy['timeout']>;
type RuleTimeouts = { request?: string | undefined; backendRequest?: string | undefined };

interface CompiledTimeouts {
  requestMs: number | undefined;
  perTryMs: number | undefined;
  idleMs: number | undefined;
}

export interface RequestTimeouts {
  /** Deadline of the whole exchange in ms after it arrived; 0: none. */
  requestMs: number;
  /** Per-attempt limit until response headers; 0: none (the deadline alone bounds each try). */
  perTryMs: number;
  /** Idle limit on the response body; 0: the pool's default. */
  idleMs: number;
}

const compiled = new WeakMap<object, CompiledTimeouts>();
const NONE: CompiledTimeouts = { requestMs: undefined, perTryMs: undefined, idleMs: undefined };

function ms(value: string | undefined): number | undefined {
  return value === undefined ? undefined : durationMs(value);
}

function compileTimeout(spec: TimeoutSpec | undefined): CompiledTimeouts {
  if (spec === undefined) return NONE;
  let c = compiled.get(spec);
  if (c === undefined) {
    c = { requestMs: ms(spec.request), perTryMs: ms(spec.perTry), idleMs: ms(spec.idle) };
    compiled.set(spec, c);
  }
  return c;
}

function compileRuleTimeouts(spec: RuleTimeouts | undefined): CompiledTimeouts {
  if (spec === undefined) return NONE;
  let c = compiled.get(spec);
  if (c === undefined) {
    c = { requestMs: ms(spec.request), perTryMs: ms(spec.backendRequest), idleMs: undefined };
    compiled.set(spec, c);
  }
  return c;
}

/** The RetryPolicy in force for the request: the matched rule's, else its destination service's. */
export function retryPlanFor(
  req: ProxyRequest,
  policies: readonly ServicePolicy[] | undefined,
): RetryPlan | undefined {
  const own = req.routeRule?.spec.policies?.retry;
  if (own !== undefined) return retryPlan(own);
  const route = req.route;
  const spec = route && servicePolicyOf(policies, route.service, route.namespace)?.retry;
  return spec === undefined ? undefined : retryPlan(spec);
}

export function requestTimeoutsFor(
  req: ProxyRequest,
  policies: readonly ServicePolicy[] | undefined,
  defaultRequestMs: number,
): RequestTimeouts {
  const rule = req.routeRule?.spec;
  const rulePolicy = compileTimeout(rule?.policies?.timeout);
  const ruleOwn = compileRuleTimeouts(rule?.timeouts);
  const route = req.route;
  const service = route && servicePolicyOf(policies, route.service, route.namespace);
  const servicePolicy = compileTimeout(service?.timeout);
  const ruleRetry = rule?.policies?.retry;
  // The retry policy that applies is the rule's when it has one, else the service's (see retryPlanFor).
  const ruleRetryTry = ruleRetry === undefined ? undefined : retryPlan(ruleRetry).perTryMs;
  const serviceRetry = ruleRetry === undefined ? service?.retry : undefined;
  const serviceRetryTry = serviceRetry === undefined ? undefined : retryPlan(serviceRetry).perTryMs;
  return {
    requestMs: rulePolicy.requestMs ?? ruleOwn.requestMs ?? servicePolicy.requestMs ?? defaultRequestMs,
    perTryMs:
      rulePolicy.perTryMs ??
      ruleRetryTry ??
      ruleOwn.perTryMs ??
      servicePolicy.perTryMs ??
      serviceRetryTry ??
      0,
    idleMs: rulePolicy.idleMs ?? servicePolicy.idleMs ?? 0,
  };
}
