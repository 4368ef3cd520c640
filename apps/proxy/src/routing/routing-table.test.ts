import { describe, expect, it } from 'vitest';
import type { Endpoint, ProxyConfig, ServicePolicy } from '@weft/schema';
import { EndpointRegistry } from './endpoint-registry.ts';
import { RoundRobin } from './round-robin.ts';
import { RoutingTable, type ServiceRoute } from './routing-table.ts';

const ep = (proxyId: string, address: string, version = 'v1'): Endpoint => ({ proxyId, address, version });

const config = (version: string, services: Record<string, Endpoint[]>): ProxyConfig => ({
  version,
  services: Object.entries(services).map(([name, endpoints]) => ({ name, namespace: 'shop', endpoints })),
});

/** What ConfigStore does on each applied config. */
function swap(registry: EndpointRegistry, c: ProxyConfig, previous?: RoutingTable): RoutingTable {
  const table = new RoutingTable(c, {
    balancer: (items) => new RoundRobin(items, 0),
    endpoints: registry,
    previous,
  });
  registry.retainOnly(table.addresses());
  return table;
}

const catalog = { service: 'catalog', namespace: 'shop' };

describe('RoutingTable', () => {
  it('finds services by name and namespace, merges duplicates and splits them by version', () => {
    const registry = new EndpointRegistry();
    const table = swap(registry, {
      version: '7',
      services: [
        { name: 'catalog', namespace: 'shop', endpoints: [ep('c1', '10.0.0.1:15006', 'v1')] },
        {
          name: 'catalog',
          namespace: 'shop',
          endpoints: [ep('c2', '10.0.0.2:15006', 'v2'), ep('c3', '10.0.0.3:15006', 'v1')],
        },
        { name: 'cart', namespace: 'shop', endpoints: [] },
      ],
    });
    const route = table.lookup(catalog);
    expect(route?.endpoints.map((e) => e.proxyId)).toEqual(['c1', 'c2', 'c3']);
    expect(route?.all.endpoints).toBe(route?.endpoints);
    expect([1, 2, 3, 4].map(() => route?.all.balancer.pick()?.proxyId)).toEqual(['c1', 'c2', 'c3', 'c1']);
    expect([...(route?.versions.keys() ?? [])]).toEqual(['v1', 'v2']);
    expect(route?.versions.get('v1')?.endpoints.map((e) => e.proxyId)).toEqual(['c1', 'c3']);
    expect(route?.versions.get('v2')?.version).toBe('v2');
    expect(route?.endpoints[0]?.state).toBe(registry.get('10.0.0.1:15006'));
    expect(table.lookup({ service: 'catalog', namespace: 'other' })).toBeUndefined();
    expect(table.lookup({ service: 'cart', namespace: 'shop' })?.all.balancer.pick()).toBeUndefined();
    expect(table.addresses()).toEqual(new Set(['10.0.0.1:15006', '10.0.0.2:15006', '10.0.0.3:15006']));
  });
});

describe('per-endpoint state across config updates', () => {
  it('keeps the same state object for an endpoint listed before and after, and releases removed ones', () => {
    const registry = new EndpointRegistry();
    const first = swap(registry, config('1', { catalog: [ep('c1', '10.0.0.1:1'), ep('c2', '10.0.0.2:1')] }));
    const kept = registry.get('10.0.0.1:1');
    const removed = registry.get('10.0.0.2:1');
    kept?.requestStarted();
    kept?.requestStarted();
    removed?.requestStarted();

    // c2 goes, c3 comes, and c1 now also serves another service.
    const second = swap(
      registry,
      config('2', {
        catalog: [ep('c1', '10.0.0.1:1'), ep('c3', '10.0.0.3:1')],
        cart: [ep('c1', '10.0.0.1:1')],
      }),
      first,
    );
    const route = second.lookup(catalog);
    expect(route?.endpoints[0]?.state).toBe(kept);
    expect(second.lookup({ service: 'cart', namespace: 'shop' })?.endpoints[0]?.state).toBe(kept);
    expect(kept?.inFlight).toBe(2);
    expect(registry.get('10.0.0.2:1')).toBeUndefined();
    expect(registry.size).toBe(2);

    // A request to the removed endpoint still finishes against its (detached) state.
    removed?.requestEnded();
    expect(removed?.inFlight).toBe(0);

    // An endpoint that comes back starts afresh.
    const third = swap(registry, config('3', { catalog: [ep('c2', '10.0.0.2:1')] }), second);
    expect(third.lookup(catalog)?.endpoints[0]?.state).not.toBe(removed);
    expect(third.lookup(catalog)?.endpoints[0]?.state.inFlight).toBe(0);
    expect(registry.get('10.0.0.1:1')).toBeUndefined();
    expect(registry.size).toBe(1);
  });

  it('keeps the round-robin position of a service whose endpoint set did not change', () => {
    const registry = new EndpointRegistry();
    const three = [ep('a', '10.0.0.1:1'), ep('b', '10.0.0.2:1'), ep('c', '10.0.0.3:1')];
    const first = swap(registry, config('1', { catalog: three, cart: [ep('x', '10.0.1.1:1')] }));
    expect(first.lookup(catalog)?.all.balancer.pick()?.proxyId).toBe('a');

    // Another service changes, catalog is listed again in another order: catalog carries on with b.
    const second = swap(
      registry,
      config('2', { catalog: [...three].reverse(), cart: [ep('y', '10.0.1.2:1')] }),
      first,
    );
    expect(second.lookup(catalog)).toBe(first.lookup(catalog));
    expect(second.lookup(catalog)?.all.balancer.pick()?.proxyId).toBe('b');
    expect(second.lookup({ service: 'cart', namespace: 'shop' })?.endpoints[0]?.proxyId).toBe('y');

    // A changed set (here: another version on one endpoint) gets a new route and balancer.
    const third = swap(
      registry,
      config('3', { catalog: [three[0] as Endpoint, three[1] as Endpoint, ep('c', '10.0.0.3:1', 'v2')] }),
      second,
    );
    expect(third.lookup(catalog)).not.toBe(second.lookup(catalog));
    expect(third.lookup(catalog)?.all.balancer.pick()?.proxyId).toBe('a');
    expect(third.lookup(catalog)?.endpoints[0]?.state).toBe(first.lookup(catalog)?.endpoints[0]?.state);
  });
});

describe('splits across config updates', () => {
  const reviews = { service: 'reviews', namespace: 'shop' };
  const endpoints = [ep('a', '10.0.0.1:1', 'v1'), ep('b', '10.0.0.2:1', 'v1'), ep('c', '10.0.0.3:1', 'v2')];
  const withSplit = (version: string, weights: [number, number], list = endpoints): ProxyConfig => ({
    version,
    services: [{ name: 'reviews', namespace: 'shop', endpoints: list }],
    policies: [
      {
        namespace: 'shop',
        service: 'reviews',
        split: {
          backends: [
            { version: 'v1', weight: weights[0] },
            { version: 'v2', weight: weights[1] },
          ],
          source: 'TrafficSplit shop/canary',
        },
      },
    ],
  });

  it('compiles a changed split against the same subsets: round-robin and endpoint state carry on', () => {
    const registry = new EndpointRegistry();
    const first = swap(registry, withSplit('1', [90, 10]));
    const before = first.lookup(reviews);
    expect(before?.split?.choose({}, () => 0)?.balancer.pick()?.proxyId).toBe('a');
    before?.endpoints[1]?.state.requestStarted();

    // Same split again: the route object itself is kept.
    const same = swap(registry, withSplit('2', [90, 10]), first);
    expect(same.lookup(reviews)).toBe(before);

    // 0/100: a new route and split, the same subsets, balancers and endpoint state.
    const second = swap(registry, withSplit('3', [0, 100]), same);
    const after = second.lookup(reviews);
    expect(after).not.toBe(before);
    expect(after?.split).not.toBe(before?.split);
    expect(after?.all).toBe(before?.all);
    expect(after?.versions.get('v1')).toBe(before?.versions.get('v1'));
    expect(after?.versions.get('v2')).toBe(before?.versions.get('v2'));
    expect(after?.endpoints[1]?.state.inFlight).toBe(1);
    expect(after?.split?.choose({}, () => 0)?.version).toBe('v2');

    // Back to 90/10: v1's round-robin continues with b, where it stopped.
    const third = swap(registry, withSplit('4', [90, 10]), second);
    expect(
      third
        .lookup(reviews)
        ?.split?.choose({}, () => 0)
        ?.balancer.pick()?.proxyId,
    ).toBe('b');

    // The split goes away: the route keeps its subsets and has no split.
    const fourth = swap(registry, { version: '5', services: withSplit('5', [1, 1]).services }, third);
    expect(fourth.lookup(reviews)?.split).toBeUndefined();
    expect(fourth.lookup(reviews)?.versions.get('v1')).toBe(before?.versions.get('v1'));
    expect(fourth.splits()).toEqual([]);
  });

  it('keeps the subset of a version whose endpoints stayed while another version scales', () => {
    const registry = new EndpointRegistry();
    const first = swap(registry, withSplit('1', [50, 50]));
    const v1 = first.lookup(reviews)?.versions.get('v1');
    expect(v1?.balancer.pick()?.proxyId).toBe('a');

    const scaled = [...endpoints, ep('d', '10.0.0.4:1', 'v2')];
    const second = swap(registry, withSplit('2', [50, 50], scaled), first);
    const route = second.lookup(reviews);
    expect(route?.versions.get('v1')).toBe(v1);
    expect(route?.versions.get('v1')?.balancer.pick()?.proxyId).toBe('b');
    expect(route?.versions.get('v2')?.endpoints.map((e) => e.proxyId)).toEqual(['c', 'd']);
    expect(route?.endpoints[0]).toBe(first.lookup(reviews)?.endpoints[0]);
    expect(route?.split?.report('reviews', 'shop').backends.map((b) => b.endpoints)).toEqual([2, 2]);
  });

  it('reports a split for a service the config lists no endpoints for', () => {
    const table = swap(new EndpointRegistry(), {
      ...withSplit('1', [1, 1]),
      services: [],
    });
    expect(table.lookup(reviews)).toBeUndefined();
    expect(table.splits()).toMatchObject([
      {
        service: 'reviews',
        namespace: 'shop',
        source: 'TrafficSplit shop/canary',
        enforced: 'all-endpoints',
        problems: ['the config lists no endpoints for the service'],
      },
    ]);
  });
});

describe('route rules across config updates', () => {
  const reviews = { service: 'reviews', namespace: 'shop' };
  const withRules = (
    version: string,
    prefix: string,
    policies: Partial<ServicePolicy> = {},
  ): ProxyConfig => ({
    version,
    services: [
      { name: 'reviews', namespace: 'shop', endpoints: [ep('a', '10.0.0.1:1', 'v1')] },
      { name: 'reviews-v2', namespace: 'shop', endpoints: [ep('b', '10.0.0.2:1', 'v2')] },
    ],
    policies: [
      {
        namespace: 'shop',
        service: 'reviews',
        routes: [
          {
            route: 'HTTPRoute shop/reviews',
            index: 0,
            matches: [{ path: { type: 'PathPrefix', value: prefix } }],
            backends: [{ service: 'reviews-v2', namespace: 'shop', weight: 1 }],
          },
        ],
        ...policies,
      },
    ],
  });

  it('compiles new rules against the same routes, subsets and balancers', () => {
    const registry = new EndpointRegistry();
    const first = swap(registry, withRules('1', '/v2'));
    const v2 = first.lookup({ service: 'reviews-v2', namespace: 'shop' });
    const parent = first.lookup(reviews);
    expect(
      parent &&
        first
          .rulesFor(parent)
          ?.match('GET', '/v2/x', {})
          ?.chooseBackend(() => 0)?.route,
    ).toBe(v2);
    expect(v2?.all.balancer.pick()?.proxyId).toBe('b');

    const second = swap(registry, withRules('2', '/api'), first);
    const rules = parent && second.rulesFor(parent);
    expect(second.lookup(reviews)).toBe(parent); // the parent route itself is unchanged
    expect(rules).not.toBe(parent && first.rulesFor(parent));
    expect(rules?.match('GET', '/v2/x', {})).toBeUndefined();
    expect(rules?.match('GET', '/api', {})?.chooseBackend(() => 0)?.route).toBe(v2);
    expect(second.lookup({ service: 'reviews-v2', namespace: 'shop' })).toBe(v2);

    // The rules go away: the service routes as if it never had any.
    const third = swap(registry, { version: '3', services: withRules('3', '/').services }, second);
    expect(third.rulesFor(third.lookup(reviews) as ServiceRoute)).toBeUndefined();
    expect(third.routeRules()).toEqual([]);
  });

  it('gives a parent with rules a route even when the config lists no endpoints for it', () => {
    const config = withRules('1', '/');
    const table = swap(new EndpointRegistry(), { ...config, services: config.services.slice(1) });
    const parent = table.lookup(reviews);
    expect(parent?.endpoints).toEqual([]);
    expect(
      parent &&
        table
          .rulesFor(parent)
          ?.match('GET', '/', {})
          ?.chooseBackend(() => 0)?.service,
    ).toBe('reviews-v2');
  });

  it('treats an empty list of rules as no rules, and sets the service timeout on the route', () => {
    const table = swap(
      new EndpointRegistry(),
      withRules('1', '/', {
        routes: [],
        timeout: { perTry: '2s', request: '5s', source: 'TimeoutPolicy shop/t' },
      }),
    );
    const parent = table.lookup(reviews) as ServiceRoute;
    expect(table.rulesFor(parent)).toBeUndefined();
    expect(parent.timeoutMs).toBe(2000);
    expect(table.lookup({ service: 'reviews-v2', namespace: 'shop' })?.timeoutMs).toBeUndefined();
  });
});
