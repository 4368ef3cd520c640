import { describe, expect, it } from 'vitest';
import type { ProxyConfig } from '@weft/schema';
import { RoundRobin } from './round-robin.ts';
import { RoutingTable } from './routing-table.ts';

describe('RoundRobin', () => {
  it('takes each item in turn and wraps around', () => {
    const rr = new RoundRobin(['a', 'b', 'c'], 0);
    expect(Array.from({ length: 7 }, () => rr.pick())).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('starts where asked', () => {
    const rr = new RoundRobin(['a', 'b', 'c'], 4);
    expect([rr.pick(), rr.pick()]).toEqual(['b', 'c']);
  });

  it('spreads evenly from a random start', () => {
    const rr = new RoundRobin(['a', 'b', 'c']);
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const x = rr.pick() as string;
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    expect([...counts.values()]).toEqual([100, 100, 100]);
  });

  it('has nothing to pick from an empty list', () => {
    expect(new RoundRobin([]).pick()).toBeUndefined();
  });
});

describe('RoutingTable', () => {
  const config: ProxyConfig = {
    version: '7',
    services: [
      {
        name: 'catalog',
        namespace: 'shop',
        endpoints: [{ proxyId: 'c1', address: '10.0.0.1:15006', version: 'v1' }],
      },
      {
        name: 'catalog',
        namespace: 'shop',
        endpoints: [{ proxyId: 'c2', address: '10.0.0.2:15006', version: 'v2' }],
      },
      { name: 'cart', namespace: 'shop', endpoints: [] },
    ],
  };

  it('finds services by name and namespace and merges duplicates', () => {
    const table = new RoutingTable(config, (items) => new RoundRobin(items, 0));
    const route = table.lookup({ service: 'catalog', namespace: 'shop' });
    expect(route?.endpoints.map((e) => e.proxyId)).toEqual(['c1', 'c2']);
    expect([route?.balancer.pick()?.version, route?.balancer.pick()?.version]).toEqual(['v1', 'v2']);
    expect(table.lookup({ service: 'catalog', namespace: 'other' })).toBeUndefined();
    expect(table.lookup({ service: 'cart', namespace: 'shop' })?.balancer.pick()).toBeUndefined();
    expect(table.addresses()).toEqual(new Set(['10.0.0.1:15006', '10.0.0.2:15006']));
  });
});
