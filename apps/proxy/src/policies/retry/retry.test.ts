import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RouteRule, ServicePolicy } from '@weft/schema';
import { ClientSignal } from '../../http/client-signal.ts';
import { ProxyRequest } from '../../http/exchange.ts';
import type { CompiledRouteRule } from '../../routing/route-rules.ts';
import type { ServiceRoute } from '../../routing/routing-table.ts';
import { Backoff } from '../../telemetry/backoff.ts';
import { bufferForReplay, replay } from './replayable-body.ts';
import { RetryBudget, RetryBudgets } from './retry-budget.ts';
import { requestTimeoutsFor, retryPlanFor } from './request-timeouts.ts';
import {
  isIdempotent,
  mayRetryMethod,
  retriesFailure,
  retriesStatus,
  retryPlan,
  type RetrySpec,
} from './retry-plan.ts';

function retrySpec(over: Partial<RetrySpec> = {}): RetrySpec {
  return {
    source: 'RetryPolicy shop/r',
    attempts: 3,
    backoff: { base: '25ms', max: '250ms', jitter: 0.5 },
    retryOn: ['connect-failure', 'reset', 'gateway-error'],
    nonIdempotent: false,
    budget: { ratio: 0.2, minPerSecond: 10 },
    ...over,
  };
}

describe('RetryBudget', () => {
  it('allows ratio × requests plus minPerSecond per covered second, then refuses', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 1 }, () => now);
    for (let i = 0; i < 10; i++) budget.recordRequest();
    // 0.2 × 10 + 1 × 1 s = 3 retries.
    expect([1, 2, 3, 4].map(() => budget.tryRetry())).toEqual([true, true, true, false]);
    // The next second adds its minimum; the first second's requests still count.
    now = 1000;
    expect([budget.tryRetry(), budget.tryRetry()]).toEqual([true, false]);
  });

  it('forgets requests and retries older than the 10 s window', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0 }, () => now);
    for (let i = 0; i < 4; i++) budget.recordRequest();
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
    now = 9_999; // still in the window
    expect(budget.tryRetry()).toBe(false);
    now = 10_000; // second 0 has left the window: no requests to retry against
    expect(budget.tryRetry()).toBe(false);
    budget.recordRequest();
    budget.recordRequest();
    expect([budget.tryRetry(), budget.tryRetry()]).toEqual([true, false]);
  });

  it('with ratio 0 and no minimum, never retries', () => {
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0 }, () => 0);
    for (let i = 0; i < 100; i++) budget.recordRequest();
    expect(budget.tryRetry()).toBe(false);
  });

  it('keeps one budget per destination service across config updates, with the new settings', () => {
    const now = 0;
    const budgets = new RetryBudgets(() => now);
    const a = budgets.for('reviews', 'shop', { ratio: 0, minPerSecond: 1 });
    expect(a.tryRetry()).toBe(true);
    expect(a.tryRetry()).toBe(false);
    const again = budgets.for('reviews', 'shop', { ratio: 0, minPerSecond: 2 });
    expect(again).toBe(a);
    expect([a.tryRetry(), a.tryRetry()]).toEqual([true, false]); // 2 per second, one already spent
    expect(budgets.for('ratings', 'shop', { ratio: 0, minPerSecond: 1 })).not.toBe(a);
  });
});

describe('retry conditions', () => {
  it('retries only idempotent methods unless the policy allows every method', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'].every(isIdempotent)).toBe(true);
    expect(['POST', 'PATCH', 'CONNECT'].some(isIdempotent)).toBe(false);
    expect(mayRetryMethod(retryPlan(retrySpec()), 'POST')).toBe(false);
    expect(mayRetryMethod(retryPlan(retrySpec({ nonIdempotent: true })), 'POST')).toBe(true);
  });

  it('matches statuses by retryOn', () => {
    const gateway = retryPlan(retrySpec());
    expect([500, 502, 503, 504, 429, 200].map((s) => retriesStatus(gateway, s))).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
    const all5xx = retryPlan(retrySpec({ retryOn: ['5xx'] }));
    expect([500, 501, 599, 404].map((s) => retriesStatus(all5xx, s))).toEqual([true, true, true, false]);
    const only503 = retryPlan(retrySpec({ retryOn: ['503'] }));
    expect([502, 503, 504].map((s) => retriesStatus(only503, s))).toEqual([false, true, false]);
  });

  it('treats failures as their own condition or the status they are answered with', () => {
    const connectOnly = retryPlan(retrySpec({ retryOn: ['connect-failure'] }));
    expect(retriesFailure(connectOnly, 'upstream-connect-failure', 502)).toBe(true);
    expect(retriesFailure(connectOnly, 'upstream-reset', 502)).toBe(false);
    expect(retriesFailure(connectOnly, 'upstream-timeout', 504)).toBe(false);
    const gateway = retryPlan(retrySpec({ retryOn: ['gateway-error'] }));
    expect(retriesFailure(gateway, 'upstream-reset', 502)).toBe(true);
    expect(retriesFailure(gateway, 'upstream-timeout', 504)).toBe(true);
    expect(retriesFailure(gateway, 'client-aborted', 499)).toBe(false);
    expect(retriesFailure(gateway, 'internal-error', 500)).toBe(false);
  });

  it('backs off exponentially from base to max, jittered downwards within the jitter fraction', () => {
    const plan = retryPlan(retrySpec({ backoff: { base: '25ms', max: '250ms', jitter: 0.5 } }));
    const delays = (random: number) => {
      const b = new Backoff({ ...plan.backoff, initialMs: plan.backoff.baseMs, random: () => random });
      return Array.from({ length: 6 }, () => b.next());
    };
    expect(delays(0)).toEqual([25, 50, 100, 200, 250, 250]);
    expect(delays(0.999999)).toEqual([13, 25, 50, 100, 125, 125]);
    for (const r of [0.1, 0.5, 0.9]) {
      const got = delays(r);
      const max = [25, 50, 100, 200, 250, 250];
      got.forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(Math.floor((max[i] as number) * 0.5));
        expect(d).toBeLessThanOrEqual(max[i] as number);
      });
    }
  });
});

function request(o: { rule?: RouteRule; method?: string; receivedAt?: number } = {}): ProxyRequest {
  const req = new ProxyRequest({
    method: o.method ?? 'GET',
    path: '/',
    authority: 'reviews',
    headers: {},
    body: null,
    remoteAddress: '127.0.0.1',
    receivedAt: o.receivedAt ?? 0,
    signal: new ClientSignal(),
  });
  req.route = { service: 'reviews', namespace: 'shop' } as ServiceRoute;
  if (o.rule) req.routeRule = { spec: o.rule } as CompiledRouteRule;
  return req;
}

const rule = (over: Partial<RouteRule>): RouteRule => ({
  route: 'HTTPRoute shop/reviews',
  index: 0,
  matches: [],
  ...over,
});

describe('requestTimeoutsFor', () => {
  const service = (over: Partial<ServicePolicy>): ServicePolicy[] => [
    { service: 'reviews', namespace: 'shop', ...over },
  ];

  it('uses the default deadline and no per-try limit when nothing sets one', () => {
    expect(requestTimeoutsFor(request(), undefined, 16_000)).toEqual({
      requestMs: 16_000,
      perTryMs: 0,
      idleMs: 0,
    });
  });

  it("takes the service's TimeoutPolicy, then its RetryPolicy's perTryTimeout", () => {
    const policies = service({
      timeout: { source: 'TimeoutPolicy shop/t', request: '2s', idle: '1s' },
      retry: retrySpec({ perTryTimeout: '300ms' }),
    });
    expect(requestTimeoutsFor(request(), policies, 16_000)).toEqual({
      requestMs: 2000,
      perTryMs: 300,
      idleMs: 1000,
    });
  });

  it("prefers the rule's TimeoutPolicy, then the rule's HTTPRoute timeouts, over the service's", () => {
    const policies = service({
      timeout: { source: 'TimeoutPolicy shop/t', request: '9s', perTry: '9s', idle: '9s' },
    });
    const own = rule({ timeouts: { request: '4s', backendRequest: '1s' } });
    expect(requestTimeoutsFor(request({ rule: own }), policies, 16_000)).toEqual({
      requestMs: 4000,
      perTryMs: 1000,
      idleMs: 9000,
    });
    const withPolicy = rule({
      timeouts: { request: '4s', backendRequest: '1s' },
      policies: { timeout: { source: 'TimeoutPolicy shop/rt', request: '3s', perTry: '500ms' } },
    });
    expect(requestTimeoutsFor(request({ rule: withPolicy }), policies, 16_000)).toEqual({
      requestMs: 3000,
      perTryMs: 500,
      idleMs: 9000,
    });
  });

  it('reads 0s as no timeout', () => {
    const policies = service({ timeout: { source: 'TimeoutPolicy shop/t', request: '0s' } });
    expect(requestTimeoutsFor(request(), policies, 16_000).requestMs).toBe(0);
  });

  it("picks the rule's RetryPolicy over the service's, and its perTryTimeout with it", () => {
    const policies = service({ retry: retrySpec({ attempts: 2, perTryTimeout: '1s' }) });
    expect(retryPlanFor(request(), policies)?.attempts).toBe(2);
    const ruled = request({ rule: rule({ policies: { retry: retrySpec({ attempts: 4 }) } }) });
    expect(retryPlanFor(ruled, policies)?.attempts).toBe(4);
    // The rule's policy has no perTryTimeout; the service's policy does not apply to this request.
    expect(requestTimeoutsFor(ruled, policies, 16_000).perTryMs).toBe(0);
    expect(retryPlanFor(request(), undefined)).toBeUndefined();
  });
});

describe('bufferForReplay', () => {
  it('keeps a body up to the cap for every try', async () => {
    const got = await bufferForReplay(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4);
    expect(got.kind).toBe('replayable');
    if (got.kind !== 'replayable') return;
    for (let i = 0; i < 2; i++)
      expect(Buffer.concat(await replay(got.chunks).toArray()).toString()).toBe('abcd');
  });

  it('streams a larger body on once, nothing lost', async () => {
    const got = await bufferForReplay(
      Readable.from([Buffer.from('abc'), Buffer.from('def'), Buffer.from('g')]),
      4,
    );
    expect(got.kind).toBe('too-large');
    if (got.kind !== 'too-large') return;
    expect(Buffer.concat(await got.body.toArray()).toString()).toBe('abcdefg');
  });
});
