import { describe, expect, it } from 'vitest';
import {
  INVALID_BACKEND_SERVICE,
  type Endpoint,
  type ProxyConfig,
  type RouteMatch,
  type RouteRule,
  type ServicePolicy,
} from '@weft/schema';
import { EndpointRegistry } from './endpoint-registry.ts';
import { RoundRobin } from './round-robin.ts';
import type { ServiceRules } from './route-rules.ts';
import { RoutingTable } from './routing-table.ts';
import type { RequestHeaders } from './split.ts';

const ep = (proxyId: string, n: number, version = 'v1'): Endpoint => ({
  proxyId,
  address: `10.0.0.${n}:15006`,
  version,
});

const ROUTE = 'HTTPRoute shop/reviews';

/** A rule of HTTPRoute shop/reviews, named by `name` so tests can say which one matched. */
const rule = (name: string, matches: RouteMatch[], extra: Partial<RouteRule> = {}): RouteRule => ({
  route: ROUTE,
  name,
  index: 0,
  matches,
  ...extra,
});

/** reviews (v1, v2), reviews-v2 (v2), reviews-canary (v3) and reviews-empty (listed, no endpoints). */
function table(routes: RouteRule[], more: Partial<ServicePolicy>[] = []): RoutingTable {
  const config: ProxyConfig = {
    version: '1',
    services: [
      { name: 'reviews', namespace: 'shop', endpoints: [ep('r1', 1, 'v1'), ep('r2', 2, 'v2')] },
      { name: 'reviews-v2', namespace: 'shop', endpoints: [ep('b1', 3, 'v2')] },
      { name: 'reviews-canary', namespace: 'shop', endpoints: [ep('c1', 4, 'v3'), ep('c2', 5, 'v4')] },
      { name: 'reviews-empty', namespace: 'shop', endpoints: [] },
    ],
    policies: [
      { namespace: 'shop', service: 'reviews', routes },
      ...more.map((p) => ({ namespace: 'shop', service: 'reviews', ...p })),
    ],
  };
  return new RoutingTable(config, {
    balancer: (items) => new RoundRobin(items, 0),
    endpoints: new EndpointRegistry(),
  });
}

function rulesOf(t: RoutingTable, service = 'reviews'): ServiceRules {
  const route = t.lookup({ service, namespace: 'shop' });
  const rules = route && t.rulesFor(route);
  if (rules === undefined) throw new Error(`no rules for ${service}`);
  return rules;
}

/** The name of the rule each request (method, target, headers) matches; "-" for none. */
function matched(
  rules: ServiceRules,
  requests: (string | [string, string] | [string, string, RequestHeaders])[],
): string[] {
  return requests.map((r) => {
    const [method, target, headers] = typeof r === 'string' ? ['GET', r, {}] : [r[0], r[1], r[2] ?? {}];
    return rules.match(method, target, headers)?.spec.name ?? '-';
  });
}

const prefix = (value: string): RouteMatch => ({ path: { type: 'PathPrefix', value } });
const exact = (value: string): RouteMatch => ({ path: { type: 'Exact', value } });
const regex = (value: string): RouteMatch => ({ path: { type: 'RegularExpression', value } });
const header = (name: string, value: string) => ({ type: 'Exact' as const, name, value });
const query = (name: string, value: string) => ({ type: 'Exact' as const, name, value });

describe('ServiceRules: which rule a request matches', () => {
  it('each precedence step decides across rules, whatever their order in the list', () => {
    // Listed least specific first, so the list order never explains the outcome.
    const rules = rulesOf(
      table([
        rule('regex', [regex('/api/.*')]),
        rule('catch-all', []),
        rule('prefix-api', [prefix('/api')]),
        rule('prefix-api-v2', [prefix('/api/v2/')]),
        rule('exact', [exact('/api/v2/items')]),
        rule('query', [{ ...prefix('/api/v2'), queryParams: [query('debug', 'on')] }]),
        rule('header', [{ ...prefix('/api/v2'), headers: [header('x-canary', 'yes')] }]),
        rule('two-headers', [
          { ...prefix('/api/v2'), headers: [header('x-canary', 'yes'), header('x-team', 'a')] },
        ]),
        rule('method', [{ ...prefix('/api/v2'), method: 'POST' }]),
      ]),
    );
    expect(
      matched(rules, [
        '/api/v2/items', // exact beats every prefix
        '/api/v2/items/1', // longest prefix
        '/api/v1', // shorter prefix beats the regex
        '/other', // the catch-all (PathPrefix "/") beats the regex too
        ['POST', '/api/v2/x', { 'x-canary': 'yes', 'x-team': 'a' }], // method beats headers
        ['GET', '/api/v2/x', { 'x-canary': 'yes', 'x-team': 'a' }], // more headers
        ['GET', '/api/v2/x?debug=on', { 'x-canary': 'yes' }], // a header beats a query param
        '/api/v2/x?debug=on', // a query param beats nothing
        '/api/v2/x', // the prefix alone
      ]),
    ).toEqual([
      'exact',
      'prefix-api-v2',
      'prefix-api',
      'catch-all',
      'method',
      'two-headers',
      'header',
      'query',
      'prefix-api-v2',
    ]);
  });

  it('a regex rule wins where no prefix rule matches', () => {
    const rules = rulesOf(table([rule('regex', [regex('/items/[0-9]+')]), rule('api', [prefix('/api')])]));
    expect(matched(rules, ['/items/42', '/items/x', '/api/items/42'])).toEqual(['regex', '-', 'api']);
  });

  it('ties go to the earlier rule in the list; a rule matches by the best of its matches', () => {
    const rules = rulesOf(
      table([
        rule('first', [prefix('/api')]),
        rule('second', [prefix('/api/'), exact('/special')]),
        rule('third', [{ headers: [header('x-a', '1')] }, prefix('/api/v2')]),
      ]),
    );
    expect(matched(rules, ['/api/x', '/special', '/api/v2/x', ['GET', '/x', { 'x-a': '1' }], '/x'])).toEqual([
      'first', // "/api" and "/api/" tie: the earlier rule
      'second', // by its exact match
      'third', // by its longer prefix
      'third', // by its header match (its other match does not fit)
      '-',
    ]);
  });

  it('segments, query strings and header case as Gateway API says', () => {
    const rules = rulesOf(
      table([
        rule('api', [prefix('/api')]),
        rule('canary', [{ headers: [header('X-Canary', 'yes')] }]),
        rule('debug', [{ queryParams: [query('Debug', 'on')] }]),
      ]),
    );
    expect(
      matched(rules, [
        '/api',
        '/api/',
        '/api/x',
        '/apix',
        '/apix?x=/api',
        ['GET', '/apix', { 'x-canary': 'yes' }],
        ['GET', '/apix', { 'x-canary': 'Yes' }],
        '/apix?Debug=on',
        '/apix?debug=on',
        '/apix?Debug=off&Debug=on',
      ]),
    ).toEqual(['api', 'api', 'api', '-', '-', 'canary', '-', 'debug', '-', '-']);
  });
});

describe('ServiceRules: backends', () => {
  it('draws a backend by weight from the random source; a rule without backends keeps the parent', () => {
    const t = table([
      rule('split', [prefix('/split')], {
        backends: [
          { service: 'reviews-v2', namespace: 'shop', weight: 80 },
          { service: 'reviews-canary', namespace: 'shop', weight: 20 },
          { service: 'reviews-empty', namespace: 'shop', weight: 0 }, // weight 0: never drawn
        ],
      }),
      rule('parent', []),
    ]);
    const rules = rulesOf(t);
    const split = rules.match('GET', '/split', {});
    const draws = [0, 0.5, 0.7999, 0.8, 0.99];
    const chosen = draws.map((d) => split?.chooseBackend(() => d)?.service);
    expect(chosen).toEqual(['reviews-v2', 'reviews-v2', 'reviews-v2', 'reviews-canary', 'reviews-canary']);
    expect(split?.chooseBackend(() => 0)?.route).toBe(t.lookup({ service: 'reviews-v2', namespace: 'shop' }));

    const parent = rules.match('GET', '/', {})?.chooseBackend(() => 0.99);
    expect(parent).toMatchObject({ service: 'reviews', parent: true });
    expect(parent?.route).toBe(t.lookup({ service: 'reviews', namespace: 'shop' }));

    // Spread evenly over [0, 1), 1,000 draws split exactly 800/200.
    let i = 0;
    const evenly = () => (i++ % 1000) / 1000 + 0.0005;
    const counts: Record<string, number> = {};
    for (let n = 0; n < 1000; n++) {
      const service = split?.chooseBackend(evenly)?.service ?? 'none';
      counts[service] = (counts[service] ?? 0) + 1;
    }
    expect(counts).toEqual({ 'reviews-v2': 800, 'reviews-canary': 200 });
  });

  it('keeps a backend without endpoints (its share answers 500) and a rule with weights all 0, and says so', () => {
    const t = table([
      rule('half-gone', [prefix('/half')], {
        backends: [
          { service: 'reviews-v2', namespace: 'shop', weight: 1 },
          { service: 'reviews-gone', namespace: 'shop', weight: 1 },
          { service: INVALID_BACKEND_SERVICE, namespace: 'shop', weight: 2 },
        ],
      }),
      rule('empty', [prefix('/empty')], {
        backends: [{ service: 'reviews-empty', namespace: 'shop', weight: 5 }],
      }),
      rule('zero', [prefix('/zero')], {
        backends: [{ service: 'reviews-v2', namespace: 'shop', weight: 0 }],
      }),
      rule('none', [prefix('/none')], { backends: [] }),
    ]);
    const rules = rulesOf(t);
    const half = rules.match('GET', '/half', {});
    expect(half?.chooseBackend(() => 0.2)?.route?.service).toBe('reviews-v2');
    expect(half?.chooseBackend(() => 0.3)).toMatchObject({ service: 'reviews-gone', route: undefined });
    expect(half?.chooseBackend(() => 0.7)).toMatchObject({
      service: INVALID_BACKEND_SERVICE,
      route: undefined,
    });
    expect(rules.match('GET', '/empty', {})?.chooseBackend(() => 0)).toMatchObject({ route: undefined });
    expect(rules.match('GET', '/zero', {})?.chooseBackend(() => 0)).toBeUndefined();
    expect(rules.match('GET', '/none', {})?.chooseBackend(() => 0)).toBeUndefined();

    expect(t.routeRules()).toEqual([
      {
        service: 'reviews',
        namespace: 'shop',
        rules: [
          {
            rule: `${ROUTE} rule half-gone`,
            backends: [
              { service: 'reviews-v2', namespace: 'shop', weight: 1, endpoints: 1, share: 0.25 },
              { service: 'reviews-gone', namespace: 'shop', weight: 1, endpoints: 0, share: 0.25 },
              { service: INVALID_BACKEND_SERVICE, namespace: 'shop', weight: 2, endpoints: 0, share: 0.5 },
            ],
            problems: [
              'backend reviews-gone.shop has no endpoints in the config: its share (25%) is answered 500 until it has some',
              'backend (invalid backendRef) is not a Service: its share (50%) is answered 500',
            ],
          },
          {
            rule: `${ROUTE} rule empty`,
            backends: [{ service: 'reviews-empty', namespace: 'shop', weight: 5, endpoints: 0, share: 1 }],
            problems: [
              'backend reviews-empty.shop has no endpoints in the config: every matching request is answered 500 until it has some',
            ],
          },
          {
            rule: `${ROUTE} rule zero`,
            backends: [{ service: 'reviews-v2', namespace: 'shop', weight: 0, endpoints: 1, share: 0 }],
            problems: ['every backend has weight 0: matching requests are answered 500'],
          },
          {
            rule: `${ROUTE} rule none`,
            backends: [],
            problems: ['the rule lists no backends: matching requests are answered 500'],
          },
        ],
        problems: [],
      },
    ]);
    expect(t.routeProblems()).toHaveLength(5);
    expect(t.routeProblems()[3]).toBe(
      `routes of reviews.shop: ${ROUTE} rule zero: every backend has weight 0: matching requests are answered 500`,
    );
  });

  it("compiles the rule's split against the versions of each service it sends to", () => {
    const t = table(
      [
        rule('canary', [prefix('/canary')], {
          backends: [{ service: 'reviews-canary', namespace: 'shop', weight: 1 }],
          policies: {
            split: {
              backends: [
                { version: 'v3', weight: 0 },
                { version: 'v4', weight: 1 },
              ],
              source: 'TrafficSplit shop/rule-split',
            },
          },
        }),
        rule('parent', []),
      ],
      [{ split: { backends: [{ version: 'v2', weight: 1 }], source: 'TrafficSplit shop/parent' } }],
    );
    const rules = rulesOf(t);
    const canary = rules.match('GET', '/canary', {})?.chooseBackend(() => 0);
    expect(canary?.split?.choose({}, () => 0)?.version).toBe('v4');
    // The parent's own split applies only through the route's parent (pickVersion falls back to it).
    const parent = rules.match('GET', '/', {})?.chooseBackend(() => 0);
    expect(parent?.split).toBeUndefined();
    expect(parent?.route?.split?.choose({}, () => 0)?.version).toBe('v2');
    expect(t.splits().map((s) => [s.service, s.source, s.rule, s.enforced])).toEqual([
      ['reviews', 'TrafficSplit shop/parent', undefined, 'weights'],
      ['reviews-canary', 'TrafficSplit shop/rule-split', `${ROUTE} rule canary`, 'weights'],
    ]);
  });

  it("takes the rule's timeout from its TimeoutPolicy, else its HTTPRoute timeouts", () => {
    const rules = rulesOf(
      table([
        rule('both', [exact('/both')], {
          timeouts: { request: '10s', backendRequest: '3s' },
          policies: { timeout: { perTry: '250ms', request: '1s', source: 'TimeoutPolicy shop/t' } },
        }),
        rule('policy-request', [exact('/policy-request')], {
          timeouts: { backendRequest: '3s' },
          policies: { timeout: { request: '1s', source: 'TimeoutPolicy shop/t' } },
        }),
        rule('idle-only', [exact('/idle-only')], {
          timeouts: { request: '10s', backendRequest: '3s' },
          policies: { timeout: { idle: '1m', source: 'TimeoutPolicy shop/t' } },
        }),
        rule('request', [exact('/request')], { timeouts: { request: '1m30s' } }),
        rule('none', [exact('/none')]),
      ]),
    );
    const timeouts = ['/both', '/policy-request', '/idle-only', '/request', '/none'].map(
      (p) => rules.match('GET', p, {})?.timeout,
    );
    expect(timeouts).toEqual([
      { ms: 250, source: 'TimeoutPolicy shop/t (perTry)' },
      { ms: 1000, source: 'TimeoutPolicy shop/t (request)' },
      { ms: 3000, source: `${ROUTE} timeouts.backendRequest` },
      { ms: 90_000, source: `${ROUTE} timeouts.request` },
      undefined,
    ]);
  });
});
