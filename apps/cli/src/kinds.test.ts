import { describe, expect, it } from 'vitest';
import { POLICY_KIND_NAMES, POLICY_KINDS } from '@weft/schema';
import { UsageError } from './errors.ts';
import { qualifiedName, resolveKind } from './kinds.ts';

describe('resolveKind', () => {
  it.each([
    ['TrafficSplit', 'TrafficSplit'],
    ['trafficsplit', 'TrafficSplit'],
    ['trafficsplits', 'TrafficSplit'],
    ['TS', 'TrafficSplit'],
    ['trafficsplits.policy.weft.dev', 'TrafficSplit'],
    ['trafficsplit.policy.weft.dev', 'TrafficSplit'],
    ['rlp', 'RateLimitPolicy'],
    ['RetryPolicies', 'RetryPolicy'],
    ['tmp', 'TimeoutPolicy'],
    ['circuitbreakerpolicy', 'CircuitBreakerPolicy'],
    ['lbp', 'LoadBalancingPolicy'],
  ])('%s → %s', (input, kind) => {
    expect(resolveKind(input)).toBe(kind);
  });

  it('knows every kind by its name, plural and short names', () => {
    for (const kind of POLICY_KIND_NAMES) {
      for (const name of [kind, POLICY_KINDS[kind].plural, ...POLICY_KINDS[kind].shortNames]) {
        expect(resolveKind(name.toUpperCase())).toBe(kind);
      }
    }
  });

  it('refuses other names with the list of kinds (a usage error)', () => {
    expect(() => resolveKind('split')).toThrow(UsageError);
    expect(() => resolveKind('split')).toThrow(
      'unknown policy kind "split"; one of: TrafficSplit (trafficsplits, ts), RateLimitPolicy (ratelimitpolicies, rlp)',
    );
    expect(() => resolveKind('trafficsplits.gateway.networking.k8s.io')).toThrow(UsageError);
  });

  it('names objects as kubectl does', () => {
    expect(qualifiedName('TrafficSplit', 'reviews-to-v2')).toBe('trafficsplit.policy.weft.dev/reviews-to-v2');
  });
});
