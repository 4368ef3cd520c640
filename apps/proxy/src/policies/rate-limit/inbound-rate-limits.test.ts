import { describe, expect, it } from 'vitest';
import type { ProxyConfig, RouteRule, ServicePolicy } from '@weft/schema';
import type { WorkloadIdentity } from '../../identity.ts';
import { MatchInput } from '../../routing/route-match.ts';
import { RateLimits } from './inbound-rate-limits.ts';
import type { EnforcedRateLimit, RateLimitSpec } from './rate-limit-policy.ts';
import { limitField, policyField, quotaWindow } from './ratelimit-headers.ts';

const self: WorkloadIdentity = { service: 'pricing', namespace: 'shop', version: 'v1' };
const cart: WorkloadIdentity = { service: 'cart', namespace: 'shop', version: 'v1' };
const web: WorkloadIdentity = { service: 'web', namespace: 'shop', version: 'v2' };
const SOURCE = 'RateLimitPolicy shop/pricing-rate-limit';

function config(
  rateLimit: Omit<RateLimitSpec, 'source'> | undefined,
  more: Partial<ServicePolicy> = {},
  version = '1',
): ProxyConfig {
  return {
    version,
    services: [],
    policies: [
      {
        namespace: 'shop',
        service: 'catalog',
        rateLimit: { source: 'RateLimitPolicy shop/other', rules: [] },
      },
      {
        namespace: 'shop',
        service: 'pricing',
        ...(rateLimit ? { rateLimit: { ...rateLimit, source: SOURCE } } : {}),
        ...more,
      },
    ],
  };
}

const limit = (requests: number, burst = 0, interval = '1s') => ({ requests, interval, burst });

function policyOf(limits: RateLimits, c: ProxyConfig, path = '/', headers = {}): EnforcedRateLimit {
  const policy = limits.forConfig(c)?.policyFor('GET', path, headers);
  if (policy === undefined) throw new Error('no policy');
  return policy;
}

/** Requests that pass out of `n` sent at `now` by `client`. */
function passes(p: EnforcedRateLimit, n: number, now: number, client = cart, path = '/'): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (p.check(new MatchInput('GET', path, {}), client, now).allowed) ok++;
  return ok;
}

describe('RateLimits (inbound, per config)', () => {
  it('enforces nothing for a service without a RateLimitPolicy', () => {
    const table = new RateLimits(self).forConfig(config(undefined));
    expect(table?.empty).toBe(true);
    expect(table?.policyFor('GET', '/', {})).toBeUndefined();
  });

  it('shares one bucket between callers unless the rule is per client', () => {
    const limits = new RateLimits(self);
    const p = policyOf(limits, config({ rules: [{ limit: limit(3, 1), perClient: false }] }));
    expect(passes(p, 3, 0, cart)).toBe(3);
    expect(passes(p, 3, 0, web)).toBe(1);
  });

  it('keeps per-client buckets apart: one caller using its burst leaves the others theirs', () => {
    const limits = new RateLimits(self);
    const p = policyOf(
      limits,
      config({ rules: [{ name: 'per-caller', limit: limit(3, 2), perClient: true }] }),
    );
    expect(passes(p, 10, 0, cart)).toBe(5);
    expect(passes(p, 10, 0, web)).toBe(5);
    expect(passes(p, 10, 0, { ...cart, version: 'v9' })).toBe(0); // versions of one service share
  });

  it('gives an overridden client its own limit, in shared and per-client rules alike', () => {
    const limits = new RateLimits(self);
    const overrides = [{ client: { namespace: 'shop', service: 'web' }, limit: limit(10) }];
    const shared = policyOf(limits, config({ rules: [{ limit: limit(2), perClient: false, overrides }] }));
    expect(passes(shared, 20, 0, web)).toBe(10);
    expect(passes(shared, 20, 0, cart)).toBe(2);
    const perClient = policyOf(
      new RateLimits(self),
      config({ rules: [{ limit: limit(2), perClient: true, overrides }] }),
    );
    expect(passes(perClient, 20, 0, web)).toBe(10);
    expect(passes(perClient, 20, 0, cart)).toBe(2);
  });

  it('applies a rule only to the requests its matches fit', () => {
    const limits = new RateLimits(self);
    const p = policyOf(
      limits,
      config({
        rules: [
          { limit: limit(1), perClient: false, matches: [{ path: { type: 'PathPrefix', value: '/quote' } }] },
        ],
      }),
    );
    expect(passes(p, 5, 0, cart, '/quote/42')).toBe(1);
    expect(passes(p, 5, 0, cart, '/quotes')).toBe(5);
    expect(passes(p, 5, 0, cart, '/health')).toBe(5);
  });

  it('takes no token from one rule when another refuses the request', () => {
    const limits = new RateLimits(self);
    const p = policyOf(
      limits,
      config({
        rules: [
          { name: 'wide', limit: limit(10), perClient: false },
          { name: 'narrow', limit: limit(2), perClient: false },
        ],
      }),
    );
    expect(passes(p, 6, 0)).toBe(2);
    const refused = p.check(new MatchInput('GET', '/', {}), cart, 0);
    expect(refused.allowed ? undefined : refused.refusedBy.label).toBe(`${SOURCE} rule narrow`);
    expect(p.rules[0]?.buckets.get('*', p.rules[0].limit, 0).tokens).toBe(8);
  });

  it('says how long until a token: Retry-After and the RateLimit fields agree', () => {
    const limits = new RateLimits(self);
    const p = policyOf(
      limits,
      config({ rules: [{ name: 'slow', limit: limit(1, 0, '1m'), perClient: true }] }),
    );
    expect(passes(p, 1, 0)).toBe(1);
    const v = p.check(new MatchInput('GET', '/', {}), cart, 14_500);
    expect(v.allowed).toBe(false);
    if (v.allowed) return;
    expect(v.retryAfterMs).toBe(45_500);
    expect(policyField(v.applied)).toBe('"slow";q=1;w=60');
    expect(limitField(v.applied)).toBe(`"slow";r=0;t=46;pk=:${Buffer.from('cart.shop').toString('base64')}:`);
  });

  it('keeps buckets across a config update that leaves the rule as it was, and refills a changed one', () => {
    const limits = new RateLimits(self);
    const rules = [{ name: 'r', limit: limit(2), perClient: false }];
    expect(passes(policyOf(limits, config({ rules }, {}, '1')), 5, 0)).toBe(2);
    expect(passes(policyOf(limits, config({ rules }, {}, '2')), 5, 0)).toBe(0);
    const changed = [{ name: 'r', limit: limit(3), perClient: false }];
    expect(passes(policyOf(limits, config({ rules: changed }, {}, '3')), 5, 0)).toBe(3);
  });

  it('carries the in-flight count across config updates and takes the new maximum', () => {
    const limits = new RateLimits(self);
    const first = policyOf(limits, config({ concurrency: { maxInFlight: 2 } }, {}, '1')).concurrency;
    expect(first?.tryAcquire()).toBe(true);
    expect(first?.tryAcquire()).toBe(true);
    expect(first?.tryAcquire()).toBe(false);
    const second = policyOf(limits, config({ concurrency: { maxInFlight: 3 } }, {}, '2')).concurrency;
    expect(second?.inFlight).toBe(2);
    expect(second?.tryAcquire()).toBe(true);
    expect(second?.tryAcquire()).toBe(false);
    second?.release();
    expect(second?.tryAcquire()).toBe(true);
  });

  it('takes the limit of the route rule a request matches, else the service limit', () => {
    const route = (index: number, path: string, withLimit: boolean): RouteRule => ({
      route: 'HTTPRoute shop/pricing',
      index,
      matches: [{ path: { type: 'PathPrefix', value: path } }],
      ...(withLimit
        ? {
            policies: {
              rateLimit: {
                source: 'RateLimitPolicy shop/quotes',
                rules: [{ limit: limit(1), perClient: false }],
              },
            },
          }
        : {}),
    });
    const limits = new RateLimits(self);
    const c = config(
      { rules: [{ limit: limit(100), perClient: false }] },
      {
        routes: [route(0, '/', false), route(1, '/quote', true), route(2, '/quote/free', false)],
      },
    );
    expect(policyOf(limits, c, '/quote/1').source).toBe('RateLimitPolicy shop/quotes');
    expect(policyOf(limits, c, '/quote/1').scope).toBe('HTTPRoute shop/pricing rule #1');
    expect(policyOf(limits, c, '/quote/free').source).toBe(SOURCE); // a more specific rule without a limit
    expect(policyOf(limits, c, '/other').source).toBe(SOURCE);
    expect(
      limits
        .forConfig(c)
        ?.report()
        .map((r) => r.route ?? 'service'),
    ).toEqual(['service', 'HTTPRoute shop/pricing rule #1']);
  });
});

describe('RateLimit fields', () => {
  it('states a sub-second interval per second (the draft allows whole seconds only)', () => {
    expect(quotaWindow({ requests: 10, intervalMs: 500, burst: 0 })).toEqual({ q: 20, w: 1 });
    expect(quotaWindow({ requests: 100, intervalMs: 60_000, burst: 0 })).toEqual({ q: 100, w: 60 });
  });

  it('names every applied rule, with the burst as a vendor parameter and what is left', () => {
    const limits = new RateLimits(self);
    const p = policyOf(
      limits,
      config({
        rules: [
          { name: 'per-caller', limit: limit(10, 5), perClient: true },
          { limit: limit(100), perClient: false },
        ],
      }),
    );
    const v = p.check(new MatchInput('GET', '/', {}), cart, 0);
    expect(policyField(v.applied)).toBe('"per-caller";q=10;w=1;weft-burst=5, "#1";q=100;w=1');
    expect(limitField(v.applied)).toBe(
      `"per-caller";r=14;t=1;pk=:${Buffer.from('cart.shop').toString('base64')}:, "#1";r=99;t=1`,
    );
  });
});
