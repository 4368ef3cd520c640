import { describe, expect, it } from 'vitest';
import type { Endpoint, ProxyConfig } from '@weft/schema';
import { EndpointRegistry } from './endpoint-registry.ts';
import { RoundRobin } from './round-robin.ts';
import { RoutingTable } from './routing-table.ts';
import type { RandomSource, SplitSpec } from './split.ts';

const ep = (proxyId: string, version: string, n: number): Endpoint => ({
  proxyId,
  address: `10.0.0.${n}:15006`,
  version,
});

/** reviews.shop with two v1 endpoints and one v2, unless told otherwise. */
function route(
  split: Omit<SplitSpec, 'source'>,
  endpoints = [ep('r1', 'v1', 1), ep('r2', 'v1', 2), ep('r3', 'v2', 3)],
) {
  const config: ProxyConfig = {
    version: '1',
    services: [{ name: 'reviews', namespace: 'shop', endpoints }],
    policies: [
      { namespace: 'shop', service: 'reviews', split: { ...split, source: 'TrafficSplit shop/canary' } },
    ],
  };
  const table = new RoutingTable(config, {
    balancer: (items) => new RoundRobin(items, 0),
    endpoints: new EndpointRegistry(),
  });
  const r = table.lookup({ service: 'reviews', namespace: 'shop' });
  if (r?.split === undefined) throw new Error('no split compiled');
  return { route: r, split: r.split, report: table.splits()[0] };
}

/** n draws spread evenly over [0, 1): every weight w of W gets exactly n·w/W of them. */
function evenly(n: number): RandomSource {
  let i = 0;
  return () => (i++ % n) / n + 0.5 / n;
}

function tally(choose: () => string | undefined, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const version = choose() ?? 'all';
    counts[version] = (counts[version] ?? 0) + 1;
  }
  return counts;
}

describe('RouteSplit: weights', () => {
  it('splits exactly in proportion to the weights over a spread of draws', () => {
    const { split } = route({
      backends: [
        { version: 'v1', weight: 90 },
        { version: 'v2', weight: 10 },
      ],
    });
    const random = evenly(1000);
    expect(tally(() => split.choose({}, random)?.version, 1000)).toEqual({ v1: 900, v2: 100 });
  });

  it('handles three versions and weights that are not percentages', () => {
    const { split, report } = route(
      {
        backends: [
          { version: 'v1', weight: 5 },
          { version: 'v2', weight: 3 },
          { version: 'v3', weight: 2 },
        ],
      },
      [ep('a', 'v1', 1), ep('b', 'v2', 2), ep('c', 'v3', 3)],
    );
    const random = evenly(10_000);
    expect(tally(() => split.choose({}, random)?.version, 10_000)).toEqual({ v1: 5000, v2: 3000, v3: 2000 });
    expect(report?.backends.map((b) => b.share)).toEqual([0.5, 0.3, 0.2]);
    expect(report?.enforced).toBe('weights');
    expect(report?.problems).toEqual([]);
  });

  it('puts each draw in the half-open interval of its version', () => {
    const { split } = route({
      backends: [
        { version: 'v1', weight: 90 },
        { version: 'v2', weight: 10 },
      ],
    });
    const at = (r: number) => split.choose({}, () => r)?.version;
    expect([0, 0.8999, 0.9, 0.99999, 1].map(at)).toEqual(['v1', 'v1', 'v2', 'v2', 'v2']);
  });

  it('sends nothing to a version of weight 0 and everything to the only one left (0/100)', () => {
    const { split } = route({
      backends: [
        { version: 'v1', weight: 0 },
        { version: 'v2', weight: 100 },
      ],
    });
    const random = evenly(100);
    expect(tally(() => split.choose({}, random)?.version, 100)).toEqual({ v2: 100 });
  });

  it('hands each version subset to its own round-robin', () => {
    const { route: r, split } = route({
      backends: [
        { version: 'v1', weight: 1 },
        { version: 'v2', weight: 1 },
      ],
    });
    const random = evenly(4);
    const picks = [1, 2, 3, 4].map(() => split.choose({}, random)?.balancer.pick()?.proxyId);
    expect(picks).toEqual(['r1', 'r2', 'r3', 'r3']);
    expect(split.choose({}, () => 0)).toBe(r.versions.get('v1'));
  });
});

describe('RouteSplit: what only versions with endpoints may take', () => {
  it('shares the weight of a version without endpoints among the others, and says so', () => {
    const { split, report } = route({
      backends: [
        { version: 'v1', weight: 60 },
        { version: 'v2', weight: 20 },
        { version: 'v3', weight: 20 },
      ],
    });
    const random = evenly(100);
    expect(tally(() => split.choose({}, random)?.version, 100)).toEqual({ v1: 75, v2: 25 });
    expect(report).toMatchObject({
      enforced: 'weights',
      backends: [
        { version: 'v1', weight: 60, endpoints: 2, share: 0.75 },
        { version: 'v2', weight: 20, endpoints: 1, share: 0.25 },
        { version: 'v3', weight: 20, endpoints: 0, share: 0 },
      ],
      problems: ['no endpoints of v3 (weight 20): its share goes to v1, v2'],
    });
  });

  it.each([
    [
      'no weighted version has endpoints',
      [
        { version: 'v3', weight: 90 },
        { version: 'v4', weight: 10 },
        { version: 'v1', weight: 0 },
      ],
      'no endpoints of v3 (weight 90), v4 (weight 10): requests go to every endpoint of the service until one of them has some',
    ],
    [
      'every weight is 0',
      [
        { version: 'v1', weight: 0 },
        { version: 'v2', weight: 0 },
      ],
      'every version has weight 0: requests go to every endpoint of the service; give one version a weight above 0',
    ],
  ])('falls back to every endpoint when %s, and says so', (_name, backends, problem) => {
    const { route: r, split, report } = route({ backends });
    expect(split.choose({}, () => 0.5)).toBeUndefined();
    expect(report).toMatchObject({ enforced: 'all-endpoints', problems: [problem] });
    expect(r.all.endpoints).toHaveLength(3); // what pickVersion uses instead
  });

  it('adds up the weights of a version listed twice', () => {
    const { report } = route({
      backends: [
        { version: 'v1', weight: 30 },
        { version: 'v2', weight: 40 },
        { version: 'v1', weight: 30 },
      ],
    });
    expect(report?.backends).toMatchObject([
      { version: 'v1', weight: 60, share: 0.6 },
      { version: 'v2', weight: 40, share: 0.4 },
    ]);
  });
});

describe('RouteSplit: pins', () => {
  const { split, report } = route({
    backends: [{ version: 'v1', weight: 100 }],
    pins: [
      { version: 'v2', header: { name: 'X-Canary', value: 'always' } },
      { version: 'v2', cookie: { name: 'canary', value: 'yes' } },
      { version: 'v9', header: { name: 'x-v9', value: '1' } },
      { version: 'v2' },
    ],
  });
  const versionFor = (headers: Record<string, string | string[]>) => split.choose(headers, () => 0)?.version;

  it('sends a request with the header (any case of its name, exact value) to the pinned version', () => {
    expect(versionFor({ 'x-canary': 'always' })).toBe('v2');
    expect(versionFor({ 'x-canary': ['no', 'always'] })).toBe('v2');
    expect(versionFor({ 'x-canary': 'Always' })).toBe('v1');
    expect(versionFor({ 'x-canary': 'always ' })).toBe('v1');
    expect(versionFor({ 'x-canary-2': 'always' })).toBe('v1');
  });

  it('sends a request with the cookie to the pinned version', () => {
    expect(versionFor({ cookie: 'session=abc; canary=yes' })).toBe('v2');
    expect(versionFor({ cookie: 'canary="yes"' })).toBe('v2');
    expect(versionFor({ cookie: 'canary=yes2' })).toBe('v1');
    expect(versionFor({ cookie: 'xcanary=yes' })).toBe('v1');
    expect(versionFor({ 'x-cookie': 'canary=yes' })).toBe('v1');
  });

  it('skips pins it cannot serve or match, and says so', () => {
    expect(versionFor({ 'x-v9': '1' })).toBe('v1');
    expect(report?.problems).toEqual([
      'the pin to v9 (header x-v9: 1) has no endpoints: matching requests follow the weights',
      'the pin to v2 names neither a header nor a cookie and never matches',
    ]);
    expect(report?.pins.map((p) => [p.version, p.endpoints])).toEqual([
      ['v2', 1],
      ['v2', 1],
      ['v9', 0],
      ['v2', 1],
    ]);
  });

  it('still pins while the weights fall back to every endpoint', () => {
    const fallback = route({
      backends: [{ version: 'v7', weight: 1 }],
      pins: [{ version: 'v2', cookie: { name: 'canary', value: 'yes' } }],
    });
    expect(fallback.split.choose({ cookie: 'canary=yes' }, () => 0)?.version).toBe('v2');
    expect(fallback.split.choose({}, () => 0)).toBeUndefined();
  });

  it('needs both to match when a pin names a header and a cookie', () => {
    const both = route({
      backends: [{ version: 'v1', weight: 1 }],
      pins: [{ version: 'v2', header: { name: 'x-a', value: '1' }, cookie: { name: 'b', value: '2' } }],
    });
    expect(both.split.choose({ 'x-a': '1', cookie: 'b=2' }, () => 0)?.version).toBe('v2');
    expect(both.split.choose({ 'x-a': '1' }, () => 0)?.version).toBe('v1');
    expect(both.split.choose({ cookie: 'b=2' }, () => 0)?.version).toBe('v1');
  });
});
