import { POLICY_KINDS, type LoadBalancingPolicySpec, type MirrorPolicySpec } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import type { EditorContext } from '../contract.ts';
import { newFailurePercentage, newOutlierDetection } from './circuit-breaker.tsx';
import { newFailover, newHealthCheck, switchAlgorithm } from './load-balancing.tsx';
import { mirrorVersionChoices } from './mirror.tsx';
import { describeRule, newOverride, newRateLimitRule } from './rate-limit.tsx';
import { toggleRetryOn } from './retry.tsx';

const context: EditorContext = {
  namespace: 'shop',
  service: 'reviews',
  versions: ['v1', 'v2', 'v3'],
  services: ['catalog', 'reviews'],
};

describe('rate limit rules', () => {
  it('start at 100 a second with bursts of 20, one bucket for every caller', () => {
    expect(newRateLimitRule()).toEqual({
      limit: { requests: 100, interval: '1s', burst: 20 },
      perClient: false,
    });
  });

  it('give a new override the policy’s namespace and twice the rule’s rate', () => {
    const rule = newRateLimitRule();
    expect(newOverride(rule, 'shop')).toEqual({
      client: { namespace: 'shop', service: '' },
      limit: { requests: 200, interval: '1s', burst: 20 },
    });
  });

  it('describe themselves in one line: name, limit and whom they count', () => {
    expect(describeRule({ ...newRateLimitRule(), name: 'api' }, 0)).toBe(
      'api: 100 per 1s + burst 20, every request',
    );
    expect(
      describeRule(
        {
          limit: { requests: 5, interval: '1s', burst: 0 },
          perClient: true,
          matches: [{ path: { type: 'PathPrefix', value: '/quote' } }, { method: 'POST' }],
        },
        2,
      ),
    ).toBe('Rule 3: 5 per 1s, 2 matches, per client');
  });
});

describe('retry conditions', () => {
  it('add and remove a condition, kept in the schema’s order', () => {
    expect(toggleRetryOn(['5xx'], 'connect-failure', true)).toEqual(['connect-failure', '5xx']);
    expect(toggleRetryOn(['connect-failure', '5xx'], 'connect-failure', false)).toEqual(['5xx']);
    expect(toggleRetryOn(['5xx'], '5xx', true)).toEqual(['5xx']);
  });
});

describe('circuit breaker blocks', () => {
  it('take the schema’s defaults when switched on', () => {
    const od = newOutlierDetection();
    expect(od).toEqual({ consecutive5xx: 5, baseEjectionTime: '30s', maxEjectionPercent: 50 });
    expect(newFailurePercentage()).toEqual({ threshold: 50, minimumRequests: 20, interval: '10s' });
    const spec = { targetRef: { group: '', kind: 'Service', name: 'reviews' }, outlierDetection: od };
    expect(POLICY_KINDS.CircuitBreakerPolicy.spec.safeParse(spec).success).toBe(true);
  });
});

describe('load balancing', () => {
  const base: LoadBalancingPolicySpec = {
    targetRef: { group: '', kind: 'Service', name: 'cart' },
    type: 'LeastRequest',
    leastRequest: { choices: 3 },
    healthCheck: newHealthCheck(),
  };

  it('keeps only the chosen algorithm’s settings, and health checks and locality', () => {
    const ewma = switchAlgorithm(base, 'EWMA');
    expect(ewma).toEqual({
      targetRef: base.targetRef,
      type: 'EWMA',
      ewma: { decay: '10s' },
      healthCheck: base.healthCheck,
    });
    expect(switchAlgorithm(ewma, 'RoundRobin')).toEqual({
      targetRef: base.targetRef,
      type: 'RoundRobin',
      healthCheck: base.healthCheck,
    });
  });

  it('asks for a hash key after switching to RingHash, at the field the form shows it', () => {
    const ring = switchAlgorithm(base, 'RingHash');
    expect(ring.ringHash).toEqual({ minRingSize: 1024 });
    const parsed = POLICY_KINDS.LoadBalancingPolicy.spec.safeParse(ring);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['ringHash']);
    const keyed = { ...ring, ringHash: { ...ring.ringHash!, cookie: 'session' } };
    expect(POLICY_KINDS.LoadBalancingPolicy.spec.safeParse(keyed).success).toBe(true);
  });

  it('starts health checks on /healthz with the schema’s timing', () => {
    expect(newHealthCheck()).toEqual({
      path: '/healthz',
      interval: '5s',
      timeout: '1s',
      unhealthyThreshold: 3,
      healthyThreshold: 2,
    });
  });

  it('offers another service than the target as failover', () => {
    expect(newFailover(context)).toEqual({ service: 'catalog' });
    expect(newFailover({ ...context, services: ['reviews'] })).toEqual({ service: '' });
  });
});

describe('mirror', () => {
  const spec = (backend: MirrorPolicySpec['backend']): MirrorPolicySpec => ({
    targetRef: { group: '', kind: 'Service', name: 'reviews' },
    backend,
    percentage: 10,
    maxBodyBytes: 65_536,
  });

  it('offers the target’s versions, newest first, while the copies stay in the target service', () => {
    expect(mirrorVersionChoices(spec({}), context)).toEqual(['v3', 'v2', 'v1']);
    expect(mirrorVersionChoices(spec({ service: 'reviews', namespace: 'shop' }), context)).toEqual([
      'v3',
      'v2',
      'v1',
    ]);
  });

  it('offers no versions for another service, whose versions the editor does not know', () => {
    expect(mirrorVersionChoices(spec({ service: 'catalog' }), context)).toEqual([]);
    expect(mirrorVersionChoices(spec({ namespace: 'staging' }), context)).toEqual([]);
  });
});
