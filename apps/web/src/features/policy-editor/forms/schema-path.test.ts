import { POLICY_KINDS, PolicyLimits } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { formatByteSize } from './convert.ts';
import { fieldFacts, rangeHint, schemaAt } from './schema-path.ts';

const rateLimit = POLICY_KINDS.RateLimitPolicy.spec;

describe('schemaAt', () => {
  it('walks objects, optional blocks and array items by dotted path', () => {
    expect(schemaAt(rateLimit, 'rules.3.limit.requests')).toBeDefined();
    expect(schemaAt(rateLimit, 'rules.0.overrides.2.client.service')).toBeDefined();
    expect(schemaAt(rateLimit, 'rules.x.limit')).toBeUndefined();
    expect(schemaAt(rateLimit, 'nope')).toBeUndefined();
  });

  it('reaches into refined kinds (timeout, load balancing, fault injection)', () => {
    expect(fieldFacts(POLICY_KINDS.TimeoutPolicy.spec, 'request').optional).toBe(true);
    expect(fieldFacts(POLICY_KINDS.LoadBalancingPolicy.spec, 'ringHash.minRingSize').min).toBe(64);
    expect(fieldFacts(POLICY_KINDS.FaultInjectionPolicy.spec, 'abort.status').max).toBe(599);
  });
});

describe('fieldFacts', () => {
  it('reads bounds, integer-ness and presence from the shared schema', () => {
    expect(fieldFacts(rateLimit, 'rules.0.limit.requests')).toMatchObject({
      optional: false,
      min: 1,
      max: PolicyLimits.maxRequestsPerInterval,
      integer: true,
    });
    expect(fieldFacts(rateLimit, 'rules.0.limit.burst')).toMatchObject({ defaultValue: 0, min: 0 });
    expect(fieldFacts(rateLimit, 'rules')).toMatchObject({ optional: true, max: PolicyLimits.maxRules });
    expect(fieldFacts(rateLimit, 'rules.0.overrides').max).toBe(PolicyLimits.maxOverrides);
    expect(fieldFacts(POLICY_KINDS.RetryPolicy.spec, 'attempts').max).toBe(PolicyLimits.maxRetryAttempts);
    expect(fieldFacts(POLICY_KINDS.RetryPolicy.spec, 'budget.ratio')).toMatchObject({
      defaultValue: 0.2,
      min: 0,
      max: 1,
      integer: false,
    });
  });

  it('lists enum values', () => {
    expect(fieldFacts(rateLimit, 'rules.0.matches.0.path.type').options).toEqual([
      'Exact',
      'PathPrefix',
      'RegularExpression',
    ]);
  });
});

describe('rangeHint', () => {
  it('says the range with its unit and the default', () => {
    expect(rangeHint(fieldFacts(rateLimit, 'rules.0.limit.requests'), 'requests')).toBe(
      '1–1,000,000,000 requests',
    );
    expect(rangeHint(fieldFacts(rateLimit, 'rules.0.limit.burst'), 'extra requests')).toBe(
      '0–1,000,000,000 extra requests, default 0',
    );
    expect(rangeHint(fieldFacts(POLICY_KINDS.CachePolicy.spec, 'maxBytes'), '', formatByteSize)).toBe(
      '1 KiB–1 GiB, default 64 MiB',
    );
  });

  it('leaves out the safe-integer bounds zod gives an integer without a limit', () => {
    expect(
      rangeHint(
        {
          optional: false,
          defaultValue: undefined,
          min: 0,
          max: Number.MAX_SAFE_INTEGER,
          integer: true,
          options: undefined,
        },
        'ms',
      ),
    ).toBe('at least 0 ms');
  });
});
