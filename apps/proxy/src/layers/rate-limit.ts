/**
 * Inbound rate limiting (RateLimitPolicy), after the caller's identity is known: `rateLimit` answers 429
 * when a rule's token bucket is empty, `concurrencyLimit` answers 503 when `maxInFlight` requests are
 * already in flight. The policy is the one of the config in force at the time of each request (the route
 * rule's the request matches, else the service's; see policies/rate-limit/inbound-rate-limits.ts).
 *
 * Replies name the policy and rule that refused (`x-weft-rate-limited-by`, and the body), carry
 * `Retry-After`, and every response a rule applied to carries the draft IETF RateLimit fields.
 */
import { Headers } from '@weft/schema';
import type { HeaderMap, ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import type { Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import type { InboundRateLimits } from '../policies/rate-limit/inbound-rate-limits.ts';
import { describeLimit, type RateVerdict } from '../policies/rate-limit/rate-limit-policy.ts';
import type { RateLimitMetrics } from '../policies/rate-limit/rate-limit-metrics.ts';
import {
  limitField,
  policyField,
  RATELIMIT_HEADER,
  RATELIMIT_POLICY_HEADER,
  secondsUntil,
} from '../policies/rate-limit/ratelimit-headers.ts';
import { MatchInput } from '../routing/route-match.ts';

/** Retry-After of a shed request: the in-flight ones give no estimate of when a slot frees up. */
export const OVERLOADED_RETRY_AFTER_S = 1;

export interface RateLimitLayerOptions {
  /** The rate limits of the config in force at the time of each request. */
  limits: () => InboundRateLimits | undefined;
  metrics: RateLimitMetrics;
  /** Monotonic milliseconds; performance.now unless a test steps a clock by hand. */
  now?: () => number;
}

export function rateLimit(o: RateLimitLayerOptions): Layer {
  const now = o.now ?? (() => performance.now());
  return (next) => async (req) => {
    const table = o.limits();
    if (table === undefined || table.empty) return next(req);
    const policy = table.policyFor(req.method, req.path, req.headers);
    if (policy === undefined) return next(req);
    req.rateLimit = policy;
    if (policy.rules.length === 0) return next(req);

    const verdict = policy.check(new MatchInput(req.method, req.path, req.headers), req.source, now());
    if (verdict.applied.length === 0) return next(req);
    if (!verdict.allowed) {
      o.metrics.refused('rate', policy.source, verdict.refusedBy.name, policy.scope);
      return rateLimited(req, verdict);
    }
    // Computed before the upstream answers: the tokens left when the request was let in.
    const policyValue = policyField(verdict.applied);
    const limitValue = limitField(verdict.applied);
    const res = await next(req);
    addField(res.headers, RATELIMIT_POLICY_HEADER, policyValue);
    addField(res.headers, RATELIMIT_HEADER, limitValue);
    return res;
  };
}

export function concurrencyLimit(metrics: RateLimitMetrics): Layer {
  return (next) => (req) => {
    const limit = req.rateLimit?.concurrency;
    if (limit === undefined) return next(req);
    if (!limit.tryAcquire()) {
      const policy = req.rateLimit;
      const source = policy?.source ?? '';
      metrics.refused('concurrency', source, 'concurrency', policy?.scope);
      const reply = localReply(
        req,
        503,
        'overloaded',
        `overloaded: ${source} allows ${limit.max} requests in flight${scopeOf(policy?.scope)}; retry after ${OVERLOADED_RETRY_AFTER_S} s`,
      );
      reply.headers['retry-after'] = String(OVERLOADED_RETRY_AFTER_S);
      reply.headers[Headers.rateLimitedBy] = `${source} concurrency`;
      return Promise.resolve(reply);
    }
    // Until the response has been written (or the client went away), not just until its headers.
    req.onComplete(() => limit.release());
    return next(req);
  };
}

function rateLimited(req: ProxyRequest, verdict: Extract<RateVerdict, { allowed: false }>): ProxyResponse {
  const rule = verdict.refusedBy;
  const retryAfter = Math.max(1, secondsUntil(verdict.retryAfterMs));
  const scope = req.rateLimit?.scope;
  const per = rule.spec.perClient ? ` per calling workload (this one: ${clientName(req)})` : '';
  const reply = localReply(
    req,
    429,
    'rate-limited',
    `rate limited by ${rule.label}${scopeOf(scope)}: ${describeLimit(rule.spec.limit)}${per}; retry after ${retryAfter} s`,
  );
  reply.headers['retry-after'] = String(retryAfter);
  reply.headers[Headers.rateLimitedBy] = rule.label;
  reply.headers[RATELIMIT_POLICY_HEADER] = policyField(verdict.applied);
  reply.headers[RATELIMIT_HEADER] = limitField(verdict.applied);
  return reply;
}

function clientName(req: ProxyRequest): string {
  return `${req.source.service}.${req.source.namespace}`;
}

function scopeOf(route: string | undefined): string {
  return route === undefined ? '' : ` (on ${route})`;
}

/** Adds our list members after any the application sent (a Structured Field list may be split so). */
function addField(headers: HeaderMap, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (typeof existing === 'string') headers[name] = `${existing}, ${value}`;
  else headers[name] = [...existing, value];
}
