import { describe, expect, it } from 'vitest';
import { RoundRobin } from '../routing/round-robin.ts';
import { answerFor } from '../control-plane/config-stream.ts';
import { ConfigStore, logApplied, routesReport } from './config-store.ts';

const endpoint = (proxyId: string, address: string, version = 'v1') => ({ proxyId, address, version });

const good = (version: string, address = '127.0.0.1:15006') => ({
  version,
  services: [{ name: 'catalog', namespace: 'shop', endpoints: [endpoint('c1', address)] }],
});

/** catalog.shop with good endpoints (IPv4, IPv6, a host name) among poisoned ones, and a misnamed service. */
const poisoned = (version: string, before: object[] = []) => ({
  version,
  services: [
    ...before,
    {
      name: 'catalog',
      namespace: 'shop',
      endpoints: [
        endpoint('c1', '127.0.0.1:15006'),
        endpoint('evil', 'x/y:80'),
        endpoint('c2', '[::1]:15006'),
        endpoint('metadata', '169.254.169.254:80'),
        endpoint('c3', 'catalog-3.shop.svc:15006'),
        endpoint('a b', '10.0.0.9:80'),
      ],
    },
    { name: 'Cat_alog', namespace: 'shop', endpoints: [endpoint('c9', '127.0.0.1:15009')] },
  ],
});

function store() {
  return new ConfigStore(
    (items) => new RoundRobin(items, 0),
    () => 42,
  );
}

const addressesOf = (s: ConfigStore, service = 'catalog') =>
  s.active?.routes.lookup({ service, namespace: 'shop' })?.endpoints.map((e) => e.address);

describe('ConfigStore', () => {
  it('applies a valid config with its routing table and tells listeners', () => {
    const s = store();
    const applied: string[] = [];
    s.onApplied((a) => applied.push(a.config.version));
    const result = s.offer(good('1'), 'control-plane');
    expect(result).toMatchObject({ kind: 'applied', newlyRefused: [] });
    expect(s.active?.routes.lookup({ service: 'catalog', namespace: 'shop' })?.endpoints).toHaveLength(1);
    expect(s.active).toMatchObject({ source: 'control-plane', appliedAtMs: 42, refused: [] });
    expect(s.offer(good('1'), 'control-plane').kind).toBe('unchanged');
    expect(applied).toEqual(['1']);
  });

  it.each([
    ['a schema violation', { version: '', services: [] }, 'version:'],
    ['a missing field', { version: '2' }, 'services:'],
    ['services that are not a list', { version: '2', services: { catalog: [] } }, 'services:'],
    ['not an object', 'nope', '(root):'],
    ['a list', [good('2')], '(root):'],
  ])('refuses %s as a whole and keeps the last good config', (_name, raw, reason) => {
    const s = store();
    s.offer(good('1'), 'control-plane');
    const result = s.offer(raw, 'control-plane');
    expect(result.kind).toBe('rejected');
    expect(s.lastRejection?.reason).toContain(reason);
    expect(s.active?.config.version).toBe('1');
    expect(s.rejections).toBe(1);
  });

  it('applies the good endpoints of a config with poisoned ones and reports each bad one', () => {
    const s = store();
    s.offer(good('1'), 'control-plane');
    const result = s.offer(poisoned('2'), 'control-plane');

    expect(result.kind).toBe('applied');
    expect(s.active?.config.version).toBe('2');
    expect(addressesOf(s)).toEqual(['127.0.0.1:15006', '[::1]:15006', 'catalog-3.shop.svc:15006']);
    expect(s.active?.routes.lookup({ service: 'cat_alog', namespace: 'shop' })).toBeUndefined();
    expect(s.active?.routes.addresses()).toEqual(
      new Set(['127.0.0.1:15006', '[::1]:15006', 'catalog-3.shop.svc:15006']),
    );
    expect(s.active?.refused).toEqual([
      {
        path: 'services.0.endpoints.1',
        entry: 'endpoint evil (x/y:80) of catalog.shop',
        reason: expect.stringContaining('address: "x/y:80": "x/y" is not a host name') as unknown,
      },
      {
        path: 'services.0.endpoints.3',
        entry: 'endpoint metadata (169.254.169.254:80) of catalog.shop',
        reason: 'address: link-local addresses (169.254.0.0/16) are not workload addresses',
      },
      {
        path: 'services.0.endpoints.5',
        entry: 'endpoint a b (10.0.0.9:80) of catalog.shop',
        reason: 'proxyId: must use letters, digits, ".", "_" or "-"',
      },
      {
        path: 'services.1',
        entry: 'service Cat_alog.shop',
        reason: expect.stringMatching(/^name: must be a DNS label/) as unknown,
      },
    ]);
    expect(result.kind === 'applied' && result.newlyRefused).toHaveLength(4);
    expect(s.entriesRefused).toBe(4);
    expect(s.rejections).toBe(0);
    expect(s.lastRejection).toBeUndefined();
  });

  it.each([
    ['the unspecified IPv4 address', '0.0.0.0:80', 'unspecified address 0.0.0.0'],
    ['the unspecified IPv6 address', '[::]:80', 'unspecified address ::'],
    ['an IPv6 link-local address', '[fe80::1]:80', 'link-local addresses (fe80::/10)'],
    ['port 0', '127.0.0.1:0', 'port must be between 1 and 65535'],
    ['no port', 'catalog', 'is not HOST:PORT'],
  ])('leaves out an endpoint at %s', (_name, address, reason) => {
    const s = store();
    s.offer(
      {
        version: '1',
        services: [
          {
            name: 'catalog',
            namespace: 'shop',
            endpoints: [endpoint('bad', address), endpoint('ok', '[::1]:1')],
          },
        ],
      },
      'control-plane',
    );
    expect(addressesOf(s)).toEqual(['[::1]:1']);
    expect(s.active?.refused).toEqual([
      expect.objectContaining({
        path: 'services.0.endpoints.0',
        reason: expect.stringContaining(reason) as unknown,
      }),
    ]);
  });

  it('applies later configs, counting and reporting an entry that stays bad only once', () => {
    const s = store();
    expect(s.offer(poisoned('1'), 'control-plane').kind).toBe('applied');
    expect(s.entriesRefused).toBe(4);

    // Another service registers: a new version that still carries the poisoned entries, at other positions.
    const orders = { name: 'orders', namespace: 'shop', endpoints: [endpoint('o1', '127.0.0.1:15010')] };
    const later = s.offer(poisoned('2', [orders]), 'control-plane');
    expect(later).toMatchObject({ kind: 'applied', newlyRefused: [] });
    expect(s.active?.config.version).toBe('2');
    expect(addressesOf(s, 'orders')).toEqual(['127.0.0.1:15010']);
    expect(s.active?.refused.map((r) => r.path)).toEqual([
      'services.1.endpoints.1',
      'services.1.endpoints.3',
      'services.1.endpoints.5',
      'services.2',
    ]);
    expect(s.entriesRefused).toBe(4);

    // The bad registration goes away, then comes back: that is a new refusal.
    expect(s.offer(good('3'), 'control-plane')).toMatchObject({ kind: 'applied', newlyRefused: [] });
    expect(s.active?.refused).toEqual([]);
    const back = s.offer(poisoned('4'), 'control-plane');
    expect(back.kind === 'applied' && back.newlyRefused).toHaveLength(4);
    expect(s.entriesRefused).toBe(8);
  });

  it('hands endpoint state and unchanged routes from one config to the next, releasing removed endpoints', () => {
    const s = store();
    const catalog = { service: 'catalog', namespace: 'shop' };
    const two = (version: string, second: string) => ({
      version,
      services: [
        {
          name: 'catalog',
          namespace: 'shop',
          endpoints: [endpoint('c1', '127.0.0.1:15006'), endpoint('c2', second)],
        },
      ],
    });
    s.offer(two('1', '127.0.0.1:15007'), 'control-plane');
    const before = s.active?.routes.lookup(catalog);
    const kept = s.endpoints.get('127.0.0.1:15006');
    kept?.requestStarted();

    // Same endpoints, new version: the route (and its round-robin position) carries over.
    before?.all.balancer.pick();
    s.offer(two('2', '127.0.0.1:15007'), 'control-plane');
    expect(s.active?.routes.lookup(catalog)).toBe(before);

    // One endpoint replaced: a new route, the same state for the endpoint that stayed.
    s.offer(two('3', '127.0.0.1:15008'), 'control-plane');
    const after = s.active?.routes.lookup(catalog);
    expect(after).not.toBe(before);
    expect(after?.endpoints[0]?.state).toBe(kept);
    expect(kept?.inFlight).toBe(1);
    expect(s.endpoints.get('127.0.0.1:15007')).toBeUndefined();
    expect(s.endpoints.size).toBe(2);

    // A refused config changes nothing.
    s.offer({ version: '4', services: 'nope' }, 'control-plane');
    expect(s.endpoints.get('127.0.0.1:15006')).toBe(kept);
  });

  it('counts the same refused config once however often it is offered', () => {
    const s = store();
    const bad = { version: '9', services: 'nope' };
    expect(s.offer(bad, 'control-plane')).toMatchObject({ kind: 'rejected', repeated: false });
    expect(s.offer(bad, 'control-plane')).toMatchObject({ kind: 'rejected', repeated: true });
    expect(s.rejections).toBe(1);
    expect(s.lastRejection?.version).toBe('9');
    expect(s.active).toBeUndefined();
    s.offer({ version: '10' }, 'control-plane');
    expect(s.rejections).toBe(2);
  });
});

const reviews = { service: 'reviews', namespace: 'shop' };

/** reviews.shop with v1 and v2, and whatever policies a test brings. */
const withPolicies = (version: string, policies: unknown) => ({
  version,
  services: [
    {
      name: 'reviews',
      namespace: 'shop',
      endpoints: [endpoint('r1', '127.0.0.1:15001', 'v1'), endpoint('r2', '127.0.0.1:15002', 'v2')],
    },
  ],
  policies,
});

const split = (weights: [number, number], source = 'TrafficSplit shop/canary') => ({
  backends: [
    { version: 'v1', weight: weights[0] },
    { version: 'v2', weight: weights[1] },
  ],
  source,
});

describe('ConfigStore: policies', () => {
  it('puts the policies in force and compiles the split into the route', () => {
    const s = store();
    const result = s.offer(
      withPolicies('1', [{ namespace: 'shop', service: 'reviews', split: split([90, 10]) }]),
      'control-plane',
    );
    expect(result).toMatchObject({ kind: 'applied', newlyRefused: [], newSplitProblems: [] });
    expect(s.active?.config.policies).toEqual([
      { namespace: 'shop', service: 'reviews', split: split([90, 10]) },
    ]);
    expect(s.active?.routes.lookup(reviews)?.split?.report('reviews', 'shop').backends).toMatchObject([
      { version: 'v1', share: 0.9 },
      { version: 'v2', share: 0.1 },
    ]);
    expect(s.active?.refused).toEqual([]);
  });

  it('applies a config without policies as before, and refuses one whose policies are not a list', () => {
    const s = store();
    s.offer(good('1'), 'control-plane');
    expect(s.active?.config).not.toHaveProperty('policies');
    const result = s.offer({ ...good('2'), policies: { reviews: {} } }, 'control-plane');
    expect(result.kind).toBe('rejected');
    expect(s.lastRejection?.reason).toMatch(/^policies: must be a list/);
    expect(s.active?.config.version).toBe('1');
  });

  it('leaves out only the bad policy entries, each with its path and reason, and keeps the rest', () => {
    const s = store();
    const result = s.offer(
      withPolicies('1', [
        // A bad split next to a good retry: only the split goes.
        {
          namespace: 'shop',
          service: 'reviews',
          split: { backends: [{ version: 'v1', weight: -5 }], source: 'TrafficSplit shop/bad' },
          retry: { attempts: 2, source: 'RetryPolicy shop/r' },
        },
        { namespace: 'shop', service: 'Re_views', split: split([1, 1]) },
        'nope',
        // Another entry for reviews: its split stands (the first one was left out), merged into one entry.
        { namespace: 'shop', service: 'reviews', split: split([90, 10]) },
        // A second split for reviews: left out, the first stays.
        { namespace: 'shop', service: 'reviews', split: split([0, 100], 'TrafficSplit shop/rival') },
        { namespace: 'shop', service: 'cart', timeout: { source: 'TimeoutPolicy shop/t' } },
        { namespace: 'shop', service: 'cart', split: { backends: [], source: 'TrafficSplit shop/empty' } },
      ]),
      'control-plane',
    );
    expect(result.kind).toBe('applied');
    expect(s.active?.refused).toEqual([
      {
        path: 'policies.0.split',
        entry: 'split of reviews.shop (TrafficSplit shop/bad)',
        reason: expect.stringMatching(/^split\.backends\.0\.weight: /) as unknown,
      },
      {
        path: 'policies.1',
        entry: 'policies for Re_views.shop',
        reason: expect.stringMatching(/^service: must be a DNS label/) as unknown,
      },
      { path: 'policies.2', entry: 'policies nope', reason: 'not a JSON object' },
      {
        path: 'policies.4.split',
        entry: 'split of reviews.shop (TrafficSplit shop/rival)',
        reason:
          'reviews.shop already has a split (TrafficSplit shop/canary); one of each kind per service is in force',
      },
      {
        path: 'policies.5.timeout',
        entry: 'timeout of cart.shop (TimeoutPolicy shop/t)',
        reason: 'timeout.request: set at least one of request, perTry, idle',
      },
      {
        path: 'policies.6.split',
        entry: 'split of cart.shop (TrafficSplit shop/empty)',
        reason: expect.stringMatching(/^split\.backends: /) as unknown,
      },
    ]);
    const policies = s.active?.config.policies;
    expect(policies).toHaveLength(1);
    expect(policies?.[0]).toMatchObject({
      namespace: 'shop',
      service: 'reviews',
      split: split([90, 10]),
      retry: { attempts: 2, source: 'RetryPolicy shop/r', nonIdempotent: false }, // defaults filled in
    });
    expect(s.active?.routes.lookup(reviews)?.split?.spec.source).toBe('TrafficSplit shop/canary');
    expect(s.entriesRefused).toBe(6);
    expect(addressesOf(s, 'reviews')).toEqual(['127.0.0.1:15001', '127.0.0.1:15002']);
  });

  it('reports a split that cannot be served once, and again when it comes back', () => {
    const s = store();
    const log: string[] = [];
    const recorder = { info: (m: string) => log.push(m), warn: (m: string) => log.push(m), error: () => {} };
    const toV3 = [
      {
        namespace: 'shop',
        service: 'reviews',
        split: { backends: [{ version: 'v3', weight: 1 }], source: 'TrafficSplit shop/v3' },
      },
    ];
    const why =
      'no endpoints of v3 (weight 1): requests go to every endpoint of the service until one of them has some';
    const problem = `split of reviews.shop (TrafficSplit shop/v3): ${why}`;
    const first = s.offer(withPolicies('1', toV3), 'control-plane');
    expect(first).toMatchObject({ kind: 'applied', newSplitProblems: [problem] });
    if (first.kind === 'applied') logApplied(first, recorder);
    expect(log).toEqual(['config 1 applied (1 services, 1 split)', `config 1: ${problem}`]);
    expect(s.active?.routes.splits()[0]).toMatchObject({
      enforced: 'all-endpoints',
      problems: [why],
    });

    expect(s.offer(withPolicies('2', toV3), 'control-plane')).toMatchObject({ newSplitProblems: [] });
    expect(s.offer(withPolicies('3', []), 'control-plane')).toMatchObject({ newSplitProblems: [] });
    expect(s.offer(withPolicies('4', toV3), 'control-plane')).toMatchObject({ newSplitProblems: [problem] });
  });
});

describe('ConfigStore: route rules', () => {
  const ROUTE = 'HTTPRoute shop/reviews';
  const prefixRule = (index: number, value: string, extra: object = {}) => ({
    route: ROUTE,
    index,
    matches: [{ path: { type: 'PathPrefix', value } }],
    ...extra,
  });

  it('leaves out a rule with an invalid regex or a bad shape alone, keeps the others, and NACKs naming it', () => {
    const s = store();
    const result = s.offer(
      withPolicies('1', [
        {
          namespace: 'shop',
          service: 'reviews',
          routes: [
            prefixRule(0, '/api'),
            {
              route: ROUTE,
              name: 'bad-regex',
              index: 1,
              matches: [{ path: { type: 'RegularExpression', value: '/(' } }],
            },
            { route: ROUTE, index: 2, matches: [{ method: 'FETCH' }] },
            'nope',
            // A bad policy of a rule goes alone; the rule stays.
            prefixRule(4, '/v2', {
              policies: {
                timeout: { source: 'TimeoutPolicy shop/empty' },
                split: { backends: [{ version: 'v2', weight: 1 }], source: 'TrafficSplit shop/v2' },
              },
            }),
          ],
        },
        // A second list of rules for the service: left out, the first stays.
        { namespace: 'shop', service: 'reviews', routes: [prefixRule(0, '/other')] },
        { namespace: 'shop', service: 'cart', routes: 'all' },
      ]),
      'control-plane',
    );
    expect(result).toMatchObject({ kind: 'applied', newSplitProblems: [], newRouteProblems: [] });
    const routesOf = { service: 'reviews', namespace: 'shop' };
    expect(s.active?.refused).toEqual([
      {
        path: 'policies.0.routes.1',
        entry: `route rule ${ROUTE} rule bad-regex of reviews.shop`,
        reason: expect.stringMatching(
          /^matches\.0\.path\.value: not a valid regular expression \(JavaScript syntax\): /,
        ) as unknown,
        routesOf,
      },
      {
        path: 'policies.0.routes.2',
        entry: `route rule ${ROUTE} rule #2 of reviews.shop`,
        reason: expect.stringMatching(/^matches\.0\.method: /) as unknown,
        routesOf,
      },
      {
        path: 'policies.0.routes.3',
        entry: 'route rule nope of reviews.shop',
        reason: 'not a JSON object',
        routesOf,
      },
      {
        path: 'policies.0.routes.4.policies.timeout',
        entry: `timeout (TimeoutPolicy shop/empty) of route rule ${ROUTE} rule #4 of reviews.shop`,
        reason: 'timeout.request: set at least one of request, perTry, idle',
        routesOf,
      },
      {
        path: 'policies.1.routes',
        entry: 'routes of reviews.shop',
        reason: 'reviews.shop already has routes (2 rules); one list of route rules per service is in force',
      },
      {
        path: 'policies.2.routes',
        entry: 'routes of cart.shop',
        reason: 'routes: must be a list of route rules',
      },
    ]);
    const rules = s.active?.config.policies?.[0]?.routes;
    expect(rules?.map((r) => [r.index, r.policies])).toEqual([
      [0, undefined],
      [4, { split: { backends: [{ version: 'v2', weight: 1 }], source: 'TrafficSplit shop/v2' } }],
    ]);
    // Matches come out as their schema fills them in (defaults), and the table routes by them.
    const parent = s.active?.routes.lookup(reviews);
    const compiled = parent && s.active?.routes.rulesFor(parent);
    expect(compiled?.match('GET', '/v2/x', {})?.label).toBe(`${ROUTE} rule #4`);
    expect(compiled?.match('GET', '/x', {})).toBeUndefined();

    const ack = s.active && answerFor(s.active);
    expect(ack).toMatchObject({ version: '1', status: 'NACK' });
    expect(ack?.reason).toContain(
      `policies.0.routes.1 route rule ${ROUTE} rule bad-regex of reviews.shop: matches.0`,
    );

    const report = s.active && routesReport(s.active);
    expect(
      report?.map((r) => [r.service, r.rules.map((x) => x.rule), r.refused.map((x) => x.path), r.problems]),
    ).toEqual([
      [
        'reviews',
        [`${ROUTE} rule #0`, `${ROUTE} rule #4`],
        [
          'policies.0.routes.1',
          'policies.0.routes.2',
          'policies.0.routes.3',
          'policies.0.routes.4.policies.timeout',
        ],
        [],
      ],
    ]);
  });

  it('lists a service whose rules were all refused with them, routing as without rules', () => {
    const s = store();
    s.offer(
      withPolicies('1', [
        {
          namespace: 'shop',
          service: 'reviews',
          routes: [{ route: ROUTE, index: 0, matches: [{ path: { type: 'Exact', value: 'no-slash' } }] }],
        },
      ]),
      'control-plane',
    );
    const active = s.active;
    if (active === undefined) throw new Error('no config');
    expect(active.config.policies).toEqual([{ namespace: 'shop', service: 'reviews', routes: [] }]);
    const parent = active.routes.lookup(reviews);
    expect(parent && active.routes.rulesFor(parent)).toBeUndefined();
    expect(routesReport(active)).toEqual([
      {
        service: 'reviews',
        namespace: 'shop',
        rules: [],
        problems: ['no rule is in force: requests go to the service as if it had no routes'],
        refused: [
          {
            path: 'policies.0.routes.0',
            entry: `route rule ${ROUTE} rule #0 of reviews.shop`,
            reason: 'matches.0.path.value: an Exact or PathPrefix path must start with "/" (got "no-slash")',
            routesOf: { service: 'reviews', namespace: 'shop' },
          },
        ],
      },
    ]);
  });

  it('logs a rule whose backend has no endpoints once, and again when it comes back', () => {
    const s = store();
    const log: string[] = [];
    const recorder = { info: (m: string) => log.push(m), warn: (m: string) => log.push(m), error: () => {} };
    const gone = [
      {
        namespace: 'shop',
        service: 'reviews',
        routes: [prefixRule(0, '/', { backends: [{ service: 'gone', namespace: 'shop', weight: 1 }] })],
      },
    ];
    const problem =
      `routes of reviews.shop: ${ROUTE} rule #0: backend gone.shop has no endpoints in the config: ` +
      'every matching request is answered 500 until it has some';
    const first = s.offer(withPolicies('1', gone), 'control-plane');
    expect(first).toMatchObject({ kind: 'applied', newRouteProblems: [problem] });
    if (first.kind === 'applied') logApplied(first, recorder);
    expect(log).toEqual(['config 1 applied (1 services)', `config 1: ${problem}`]);
    expect(s.offer(withPolicies('2', gone), 'control-plane')).toMatchObject({ newRouteProblems: [] });
    expect(s.offer(withPolicies('3', []), 'control-plane')).toMatchObject({ newRouteProblems: [] });
    expect(s.offer(withPolicies('4', gone), 'control-plane')).toMatchObject({ newRouteProblems: [problem] });
  });
});
