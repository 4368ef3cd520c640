import { describe, expect, it } from 'vitest';
import { matchesConfigFilter, NO_FILTER, parseConfigFilter, withConfigFilter } from './filters.ts';

function policy(kind: string, namespace: string, name: string, target: string, findings = 0) {
  return {
    resource: { kind, metadata: { namespace, name }, spec: { targetRef: { name: target } } },
    findings: Array.from({ length: findings }, () => ({})),
  };
}

describe('Config page filters', () => {
  it('round-trips through the URL, keeping other parameters and dropping unknown kinds', () => {
    const filter = { namespace: 'shop', kind: 'TrafficSplit', onlyWithFindings: true, text: 'rev' } as const;
    const params = withConfigFilter(new URLSearchParams('window=1h'), filter);
    expect(params.toString()).toBe('window=1h&namespace=shop&kind=TrafficSplit&findings=1&q=rev');
    expect(parseConfigFilter(params)).toEqual(filter);
    expect(withConfigFilter(params, NO_FILTER).toString()).toBe('window=1h');
    expect(parseConfigFilter(new URLSearchParams('kind=Gateway')).kind).toBeNull();
  });

  it('matches namespace, kind, findings and text in the name or target', () => {
    const split = policy('TrafficSplit', 'shop', 'reviews-canary', 'reviews');
    const retry = policy('RetryPolicy', 'other', 'ratings-retry', 'ratings', 1);
    const only = (f: Partial<typeof NO_FILTER>) =>
      [split, retry]
        .filter((p) => matchesConfigFilter(p, { ...NO_FILTER, ...f }))
        .map((p) => p.resource.kind);
    expect(only({})).toEqual(['TrafficSplit', 'RetryPolicy']);
    expect(only({ namespace: 'other' })).toEqual(['RetryPolicy']);
    expect(only({ kind: 'TrafficSplit' })).toEqual(['TrafficSplit']);
    expect(only({ onlyWithFindings: true })).toEqual(['RetryPolicy']);
    expect(only({ text: ' RATINGS ' })).toEqual(['RetryPolicy']);
    expect(only({ text: 'canary' })).toEqual(['TrafficSplit']);
  });
});
