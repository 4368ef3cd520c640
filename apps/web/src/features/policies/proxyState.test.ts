import { describe, expect, it } from 'vitest';
import {
  ackState,
  mentionsPolicy,
  nacksNaming,
  summarizeProxies,
  type ProxyConfigRow,
} from './proxyState.ts';

function proxy(id: string, state: Partial<ProxyConfigRow>): ProxyConfigRow {
  return {
    proxyId: id,
    namespace: 'shop',
    service: 'reviews',
    version: 'v1',
    ready: true,
    configVersion: 'c2',
    ackedVersion: 'c2',
    ackedAtMs: 1,
    nack: null,
    ...state,
  };
}

describe('summarizeProxies', () => {
  it('counts ACKed, pending and NACK proxies and groups them by the version they run', () => {
    const rows = [
      proxy('b', {}),
      proxy('a', {}),
      proxy('c', { ackedVersion: 'c1' }),
      proxy('d', { ackedVersion: null, ackedAtMs: null }),
      proxy('e', { ackedVersion: 'c1', nack: { version: 'c2', reason: 'TrafficSplit shop/x: bad' } }),
    ];
    expect(rows.map(ackState)).toEqual(['acked', 'acked', 'pending', 'pending', 'nack']);
    const summary = summarizeProxies(rows);
    expect(summary).toMatchObject({ total: 5, acked: 2, pending: 2, nack: 1 });
    expect(summary.inForce).toEqual([
      { version: 'c1', proxyIds: ['c', 'e'] },
      { version: 'c2', proxyIds: ['a', 'b'] },
      { version: null, proxyIds: ['d'] },
    ]);
    expect(summary.nacks.map((p) => p.proxyId)).toEqual(['e']);
  });
});

describe('mentionsPolicy', () => {
  it('finds a policy named as a whole name, not as the start of a longer one', () => {
    expect(mentionsPolicy('refused TrafficSplit shop/a: weights', 'TrafficSplit shop/a')).toBe(true);
    expect(mentionsPolicy('refused TrafficSplit shop/a.', 'TrafficSplit shop/a')).toBe(true);
    expect(mentionsPolicy('refused TrafficSplit shop/ab', 'TrafficSplit shop/a')).toBe(false);
    expect(mentionsPolicy('refused TrafficSplit shop/a.b', 'TrafficSplit shop/a')).toBe(false);
    expect(mentionsPolicy('TrafficSplit shop/ab; TrafficSplit shop/a', 'TrafficSplit shop/a')).toBe(true);
  });

  it('keeps the NACKs that name the policy', () => {
    const rows = [
      proxy('x', { nack: { version: 'c2', reason: 'RetryPolicy shop/r: attempts' } }),
      proxy('y', { nack: { version: 'c2', reason: 'TrafficSplit shop/a: bad' } }),
      proxy('z', {}),
    ];
    expect(nacksNaming(rows, 'TrafficSplit shop/a').map((p) => p.proxyId)).toEqual(['y']);
  });
});
