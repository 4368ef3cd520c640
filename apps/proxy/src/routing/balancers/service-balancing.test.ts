/**
 * Balancing as the routing table sets it up per service: the algorithm of its LoadBalancingPolicy,
 * locality levels from this proxy's topology, failover services, and balancers that survive config
 * updates which change neither the endpoints nor the policy.
 */
import { describe, expect, it } from 'vitest';
import type { Endpoint, ProxyConfig, ServicePolicy } from '@weft/schema';
import { EndpointRegistry } from '../endpoint-registry.ts';
import { RoundRobin } from '../round-robin.ts';
import { RoutingTable, type RouteEndpoint, type ServiceRoute } from '../routing-table.ts';
import { pickWithFailover } from './failover.ts';
import { LeastRequest } from './least-request.ts';
import { LocalityBalancer } from './locality.ts';
import { EwmaBalancer } from './peak-ewma.ts';
import { RingHash } from './ring-hash.ts';
import type { LocalTopology } from './locality.ts';

type Balancing = NonNullable<ServicePolicy['loadBalancing']>;

const ep = (n: number, zone?: string, region = 'eu-1'): Endpoint => ({
  proxyId: `r${n}`,
  address: `10.0.0.${n}:15006`,
  version: 'v1',
  ...(zone === undefined ? {} : { zone, region }),
});

const lb = (spec: Partial<Balancing> = {}): Balancing => ({
  type: 'RoundRobin',
  source: 'LoadBalancingPolicy shop/reviews',
  ...spec,
});

function config(version: string, services: Record<string, Endpoint[]>, balancing?: Balancing): ProxyConfig {
  return {
    version,
    services: Object.entries(services).map(([name, endpoints]) => ({ name, namespace: 'shop', endpoints })),
    ...(balancing === undefined
      ? {}
      : { policies: [{ service: 'reviews', namespace: 'shop', loadBalancing: balancing }] }),
  };
}

class Tables {
  readonly registry = new EndpointRegistry();
  table: RoutingTable | undefined;
  constructor(readonly topology: LocalTopology = { zone: 'eu-1a', region: 'eu-1' }) {}
  /** What ConfigStore does on each applied config. */
  apply(c: ProxyConfig): RoutingTable {
    this.table = new RoutingTable(c, {
      balancer: (items) => new RoundRobin(items, 0),
      endpoints: this.registry,
      previous: this.table,
      topology: this.topology,
    });
    this.registry.retainOnly(this.table.addresses());
    return this.table;
  }
  route(service = 'reviews'): ServiceRoute {
    const route = this.table?.lookup({ service, namespace: 'shop' });
    if (route === undefined) throw new Error(`no route for ${service}`);
    return route;
  }
}

const pick = (route: ServiceRoute, usable?: (e: RouteEndpoint) => boolean, headers = {}) =>
  pickWithFailover(route, route.all, usable, { headers });

describe('the balancer per service', () => {
  it('is the one the LoadBalancingPolicy names, and round robin without one', () => {
    const t = new Tables({});
    const eps = { reviews: [ep(1), ep(2)] };
    expect(t.apply(config('1', eps)) && t.route().all.balancer).toBeInstanceOf(RoundRobin);
    t.apply(config('2', eps, lb({ type: 'LeastRequest', leastRequest: { choices: 2 } })));
    expect(t.route().all.balancer).toBeInstanceOf(LeastRequest);
    t.apply(config('3', eps, lb({ type: 'EWMA', ewma: { decay: '5s' } })));
    expect(t.route().all.balancer).toBeInstanceOf(EwmaBalancer);
    expect(t.route().endpoints[0]?.state.latency.decayMs).toBe(5000);
    t.apply(config('4', eps, lb({ type: 'RingHash', ringHash: { header: 'x-user', minRingSize: 64 } })));
    expect(t.route().all.balancer).toBeInstanceOf(RingHash);
    expect(t.route().versions.get('v1')?.balancer).toBeInstanceOf(RingHash);
  });

  it('survives config updates that change neither the endpoints nor the policy', () => {
    const t = new Tables();
    const spec = lb({ type: 'LeastRequest', leastRequest: { choices: 2 } });
    t.apply(config('1', { reviews: [ep(1), ep(2)], other: [ep(9)] }, spec));
    const before = t.route().all.balancer;
    t.apply(config('2', { reviews: [ep(2), ep(1)], other: [ep(8)] }, { ...spec }));
    expect(t.route().all.balancer).toBe(before);
    t.apply(config('3', { reviews: [ep(2), ep(1)] }, lb({ type: 'EWMA' })));
    expect(t.route().all.balancer).not.toBe(before);
    expect(t.route().endpoints.find((e) => e.proxyId === 'r1')?.state).toBe(t.registry.get('10.0.0.1:15006'));
  });

  it('keeps a ring hash key on one endpoint across config updates that keep the endpoint', () => {
    const t = new Tables();
    const spec = lb({ type: 'RingHash', ringHash: { header: 'x-user', minRingSize: 1024 } });
    t.apply(config('1', { reviews: [ep(1), ep(2), ep(3), ep(4)] }, spec));
    const owners = new Map<string, string | undefined>();
    for (let i = 0; i < 200; i++)
      owners.set(`u${i}`, pick(t.route(), undefined, { 'x-user': `u${i}` })?.endpoint.address);
    t.apply(config('2', { reviews: [ep(1), ep(2), ep(4)] }, spec));
    for (const [key, owner] of owners) {
      const now = pick(t.route(), undefined, { 'x-user': key })?.endpoint.address;
      if (owner !== '10.0.0.3:15006') expect(now).toBe(owner);
    }
  });
});

describe('locality', () => {
  const spec = lb({ locality: { minHealthyPercent: 70 } });
  const eps = { reviews: [ep(1, 'eu-1a'), ep(2, 'eu-1a'), ep(3, 'eu-1b'), ep(4, 'us-1a', 'us-1')] };

  it('builds priority levels from this proxy zone and region, and reports them', () => {
    const t = new Tables();
    t.apply(config('1', eps, spec));
    const balancer = t.route().all.balancer as LocalityBalancer<RouteEndpoint>;
    expect(balancer).toBeInstanceOf(LocalityBalancer);
    expect(balancer.levels.map((l) => l.endpoints.map((e) => e.proxyId))).toEqual([
      ['r1', 'r2'],
      ['r3'],
      ['r4'],
    ]);
    expect(t.table?.balancing()).toEqual([
      {
        service: 'reviews',
        namespace: 'shop',
        algorithm: 'RoundRobin',
        source: 'LoadBalancingPolicy shop/reviews',
        locality: {
          zone: 'eu-1a',
          region: 'eu-1',
          minHealthyPercent: 70,
          levels: [
            { priority: 0, endpoints: ['10.0.0.1:15006', '10.0.0.2:15006'] },
            { priority: 1, endpoints: ['10.0.0.3:15006'] },
            { priority: 2, endpoints: ['10.0.0.4:15006'] },
          ],
          failover: [],
        },
      },
    ]);
  });

  it('stays in the zone, then fails over to the region, then anywhere, as endpoints become unusable', () => {
    const t = new Tables();
    t.apply(config('1', eps, spec));
    const picks = (usable?: (e: RouteEndpoint) => boolean) =>
      new Set(Array.from({ length: 20 }, () => pick(t.route(), usable)?.endpoint.proxyId));
    expect(picks()).toEqual(new Set(['r1', 'r2']));
    const down = new Set(['r1', 'r2']);
    const usable = (e: RouteEndpoint) => !down.has(e.proxyId);
    expect(picks(usable)).toEqual(new Set(['r3']));
    down.add('r3');
    expect(picks(usable)).toEqual(new Set(['r4']));
  });

  it('fails over to another zone when the local zone is drained from the config', () => {
    const t = new Tables();
    t.apply(config('1', eps, spec));
    t.apply(config('2', { reviews: [ep(3, 'eu-1b'), ep(4, 'us-1a', 'us-1')] }, spec));
    expect(new Set(Array.from({ length: 10 }, () => pick(t.route())?.endpoint.proxyId))).toEqual(
      new Set(['r3']),
    );
  });

  it('is one level when the proxy does not know where it runs', () => {
    const t = new Tables({});
    t.apply(config('1', eps, spec));
    expect(t.route().all.balancer).toBeInstanceOf(RoundRobin);
    expect(t.table?.balancing()[0]?.locality?.levels).toEqual([]);
  });
});

describe('failover to other services', () => {
  const spec = lb({
    locality: { minHealthyPercent: 70, failover: [{ service: 'reviews-west' }, { service: 'reviews-east' }] },
  });

  it('goes to the first failover service with a usable endpoint when none of its own is', () => {
    const t = new Tables();
    t.apply(
      config(
        '1',
        { reviews: [ep(1, 'eu-1a')], 'reviews-west': [ep(2, 'eu-1b')], 'reviews-east': [ep(3)] },
        spec,
      ),
    );
    expect(pick(t.route())?.route.service).toBe('reviews');
    const down = new Set(['r1']);
    const usable = (e: RouteEndpoint) => !down.has(e.proxyId);
    expect(pick(t.route(), usable)).toMatchObject({
      route: { service: 'reviews-west' },
      endpoint: { proxyId: 'r2' },
    });
    down.add('r2');
    expect(pick(t.route(), usable)).toMatchObject({
      route: { service: 'reviews-east' },
      endpoint: { proxyId: 'r3' },
    });
    down.add('r3');
    // Nothing usable anywhere: the service's own endpoints, in panic mode.
    expect(pick(t.route(), usable)).toMatchObject({
      route: { service: 'reviews' },
      endpoint: { proxyId: 'r1' },
    });
  });

  it('keeps a route for a service whose endpoints are all gone, served by its failover', () => {
    const t = new Tables();
    t.apply(config('1', { reviews: [ep(1)], 'reviews-west': [ep(2)] }, spec));
    t.apply(config('2', { 'reviews-west': [ep(2), ep(4)] }, spec));
    expect(t.route().endpoints).toEqual([]);
    const served = pick(t.route());
    expect(served?.route.service).toBe('reviews-west');
    // The failover targets point into the new table (the west service gained an endpoint).
    expect(served?.route).toBe(t.route('reviews-west'));
    expect(t.table?.balancing()[0]?.locality?.failover).toEqual(['reviews-west.shop', 'reviews-east.shop']);
  });
});
