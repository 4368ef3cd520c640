import { describe, expect, it } from 'vitest';
import {
  httpRouteSchema,
  INVALID_BACKEND_SERVICE,
  type Condition,
  type HttpRoute,
  type PolicyResource,
  type ServiceEndpoints,
} from '@weft/schema';
import type { StoredPolicy } from '../policies/platform.ts';
import { canonicalJson, compileConfig, versionOf } from './compile.ts';

const ACCEPTED: Condition = {
  type: 'Accepted',
  status: 'True',
  reason: 'Accepted',
  message: 'the policy is valid',
  lastTransitionTime: '2026-12-01T00:00:00.000Z',
  observedGeneration: 1,
};

const services: ServiceEndpoints[] = [
  {
    name: 'reviews',
    namespace: 'shop',
    endpoints: [
      { proxyId: 'reviews-v1-1', address: '127.0.0.1:16001', version: 'v1' },
      { proxyId: 'reviews-v2-1', address: '127.0.0.1:16002', version: 'v2' },
    ],
  },
];

function stored(
  resource: Omit<PolicyResource, 'apiVersion' | 'metadata'> & {
    metadata: { name: string; namespace?: string; generation?: number; creationTimestamp?: string };
  },
  conditions: Condition[] = [ACCEPTED],
): StoredPolicy {
  return {
    resource: {
      apiVersion: 'policy.weft.dev/v1alpha1',
      ...resource,
      metadata: { namespace: 'shop', generation: 1, ...resource.metadata },
    } as PolicyResource,
    conditions,
    findings: [],
    updatedAtMs: 0,
    updatedBy: 'test',
  };
}

const target = (name: string, kind: 'Service' | 'HTTPRoute' = 'Service') => ({
  group: '' as const,
  kind,
  name,
});

const split = (name: string, createdAt: string, service = 'reviews', weight = 10) =>
  stored({
    kind: 'TrafficSplit',
    metadata: { name, creationTimestamp: createdAt },
    spec: {
      targetRef: target(service),
      backends: [
        { version: 'v1', weight: 100 - weight },
        { version: 'v2', weight },
      ],
    },
  });

const retry = stored({
  kind: 'RetryPolicy',
  metadata: { name: 'reviews-retry', generation: 3, creationTimestamp: '2026-12-01T10:00:00.000Z' },
  spec: {
    targetRef: target('reviews'),
    attempts: 3,
    backoff: { base: '25ms', max: '250ms', jitter: 0.5 },
    retryOn: ['connect-failure'],
    nonIdempotent: false,
    budget: { ratio: 0.2, minPerSecond: 10 },
  },
});

describe('compileConfig', () => {
  it('without policies: the endpoints alone, and the version the registry always gave them', () => {
    const { config, programs } = compileConfig(services, []);
    expect(config).toEqual({ version: versionOf(services, []), services });
    expect(config).not.toHaveProperty('policies');
    expect(programs).toEqual([]);
  });

  it('compiles accepted policies per destination service: spec without targetRef, plus source', () => {
    const { config, programs } = compileConfig(services, [
      split('reviews-canary', '2026-12-01T09:00:00.000Z'),
      retry,
    ]);
    expect(config.policies).toEqual([
      {
        namespace: 'shop',
        service: 'reviews',
        split: {
          backends: [
            { version: 'v1', weight: 90 },
            { version: 'v2', weight: 10 },
          ],
          source: 'TrafficSplit shop/reviews-canary',
        },
        retry: {
          attempts: 3,
          backoff: { base: '25ms', max: '250ms', jitter: 0.5 },
          retryOn: ['connect-failure'],
          nonIdempotent: false,
          budget: { ratio: 0.2, minPerSecond: 10 },
          source: 'RetryPolicy shop/reviews-retry',
        },
      },
    ]);
    expect(programs.map((p) => [p.source, p.generation, p.outcome.kind])).toEqual([
      ['TrafficSplit shop/reviews-canary', 1, 'compiled'],
      ['RetryPolicy shop/reviews-retry', 3, 'compiled'],
    ]);
    expect(config.version).toBe(versionOf(services, config.policies!));
    expect(config.version).not.toBe(versionOf(services, []));
  });

  it('leaves out policies that are not Accepted=True', () => {
    const refused = { ...ACCEPTED, status: 'False' as const, reason: 'Invalid' };
    const { config, programs } = compileConfig(services, [
      { ...split('a', '2026-12-01T09:00:00.000Z'), conditions: [refused] },
      { ...retry, conditions: [] },
    ]);
    expect(config.policies).toBeUndefined();
    expect(programs.map((p) => p.outcome.kind)).toEqual(['not-accepted', 'not-accepted']);
  });

  it('on a conflict keeps the oldest policy (creationTimestamp, then name), whatever order they come in', () => {
    const older = split('zz-older', '2026-12-01T08:00:00.000Z', 'reviews', 10);
    const newer = split('aa-newer', '2026-12-01T09:00:00.000Z', 'reviews', 50);
    const sameAgeB = split('b', '2026-12-01T07:00:00.000Z', 'ratings', 20);
    const sameAgeA = split('a', '2026-12-01T07:00:00.000Z', 'ratings', 30);
    const one = compileConfig(services, [newer, older, sameAgeB, sameAgeA]);
    const two = compileConfig(services, [sameAgeA, older, sameAgeB, newer]);
    expect(one.config).toEqual(two.config);
    expect(one.config.policies?.map((p) => [p.service, p.split?.source])).toEqual([
      ['ratings', 'TrafficSplit shop/a'],
      ['reviews', 'TrafficSplit shop/zz-older'],
    ]);
    expect(one.programs.find((p) => p.source === 'TrafficSplit shop/aa-newer')?.outcome).toEqual({
      kind: 'conflicted',
      winner: 'TrafficSplit shop/zz-older',
      target: 'reviews.shop',
    });
  });

  it('versions by content: key order in a stored spec does not matter, a changed weight does', () => {
    const a = split('reviews-canary', '2026-12-01T09:00:00.000Z');
    const reordered = structuredClone(a);
    const spec = reordered.resource.spec as { backends: unknown; targetRef: unknown };
    reordered.resource.spec = { backends: spec.backends, targetRef: spec.targetRef } as typeof spec &
      PolicyResource['spec'];
    expect(compileConfig(services, [reordered]).config.version).toBe(
      compileConfig(services, [a]).config.version,
    );
    expect(
      compileConfig(services, [split('reviews-canary', '2026-12-01T09:00:00.000Z', 'reviews', 11)]).config
        .version,
    ).not.toBe(compileConfig(services, [a]).config.version);
  });

  it('canonicalJson sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }, 3] })).toBe('{"a":[{"c":2,"d":1},3],"b":1}');
  });
});

/** An HTTPRoute as the API server has it, parsed as the Kubernetes platform parses it. */
function route(
  name: string,
  createdAt: string,
  spec: { parentRefs?: unknown[]; rules?: unknown[] },
  metadata: { namespace?: string; generation?: number; resourceVersion?: string } = {},
): HttpRoute {
  return httpRouteSchema.parse({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'shop', creationTimestamp: createdAt, generation: 1, ...metadata },
    spec,
  });
}

const parent = (name: string, extra: object = {}) => ({ group: '', kind: 'Service', name, ...extra });
const backend = (name: string, weight?: number, extra: object = {}) => ({
  name,
  port: 15001,
  ...(weight !== undefined ? { weight } : {}),
  ...extra,
});
const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });
const CLUSTER = new Set(['shop/reviews', 'shop/reviews-v1', 'shop/reviews-v2', 'shop/ratings', 'other/x']);

/** The reviews route: a named rule for /quote with weighted backends, and a catch-all to the parent. */
const reviewsRoute = route('reviews', '2026-12-01T10:00:00.000Z', {
  parentRefs: [parent('reviews')],
  rules: [
    {
      name: 'quote',
      matches: [prefix('/quote')],
      backendRefs: [backend('reviews-v1', 90), backend('reviews-v2', 10)],
      timeouts: { request: '2s' },
    },
    { name: 'rest' },
  ],
});

const routeTarget = (name: string, sectionName?: string) => ({
  group: 'gateway.networking.k8s.io' as const,
  kind: 'HTTPRoute' as const,
  name,
  ...(sectionName !== undefined ? { sectionName } : {}),
});

const routeRetry = (name: string, createdAt: string, targetRef: object, attempts = 2) =>
  stored({
    kind: 'RetryPolicy',
    metadata: { name, creationTimestamp: createdAt },
    spec: {
      targetRef,
      attempts,
      backoff: { base: '25ms', max: '250ms', jitter: 0.5 },
      retryOn: ['5xx'],
      nonIdempotent: false,
      budget: { ratio: 0.2, minPerSecond: 10 },
    },
  } as PolicyResource);

const routesOf = (c: ReturnType<typeof compileConfig>, service = 'reviews') =>
  c.config.policies?.find((p) => p.service === service)?.routes;

describe('compileConfig with HTTPRoutes (GAMMA)', () => {
  it('gives the parent Service one rule per route rule: matches, backends with default weight and namespace, timeouts', () => {
    const compiled = compileConfig(services, [], { routes: [reviewsRoute], services: CLUSTER });
    expect(compiled.config.policies).toEqual([
      {
        namespace: 'shop',
        service: 'reviews',
        routes: [
          {
            route: 'HTTPRoute shop/reviews',
            name: 'quote',
            index: 0,
            matches: [{ path: { type: 'PathPrefix', value: '/quote' } }],
            backends: [
              { service: 'reviews-v1', namespace: 'shop', weight: 90 },
              { service: 'reviews-v2', namespace: 'shop', weight: 10 },
            ],
            timeouts: { request: '2s' },
          },
          { route: 'HTTPRoute shop/reviews', name: 'rest', index: 1, matches: [] },
        ],
      },
    ]);
    expect(compiled.routes).toEqual([
      {
        route: 'HTTPRoute shop/reviews',
        namespace: 'shop',
        name: 'reviews',
        generation: 1,
        parents: [
          {
            index: 0,
            parentRef: parent('reviews'),
            attached: true,
            reason: 'Accepted',
            message: 'attached to Service "reviews"',
          },
        ],
        backendProblems: [],
        notApplied: [],
      },
    ]);
    const weightless = route('w', '2026-12-01T10:00:00.000Z', {
      parentRefs: [parent('ratings')],
      rules: [{ backendRefs: [backend('reviews'), { name: 'x', namespace: 'other' }] }],
    });
    expect(routesOf(compileConfig(services, [], { routes: [weightless] }), 'ratings')?.[0]?.backends).toEqual(
      [
        { service: 'reviews', namespace: 'shop', weight: 1 },
        { service: 'x', namespace: 'other', weight: 1 },
      ],
    );
  });

  it('orders the rules of all routes of a Service oldest route first, then namespace/name, then rule order', () => {
    const rule = (name: string) => ({ name, matches: [prefix(`/${name}`)] });
    const newest = route('a-newest', '2026-12-03T00:00:00.000Z', {
      parentRefs: [parent('reviews')],
      rules: [rule('n1')],
    });
    const oldB = route('b-old', '2026-12-01T00:00:00.000Z', {
      parentRefs: [parent('reviews')],
      rules: [rule('b1'), rule('b2')],
    });
    const oldA = route('a-old', '2026-12-01T00:00:00.000Z', {
      parentRefs: [parent('reviews')],
      rules: [rule('a1')],
    });
    const one = compileConfig(services, [], { routes: [newest, oldB, oldA] });
    const two = compileConfig(services, [], { routes: [oldA, newest, oldB] });
    expect(routesOf(one)?.map((r) => `${r.route}#${r.index} ${r.name}`)).toEqual([
      'HTTPRoute shop/a-old#0 a1',
      'HTTPRoute shop/b-old#0 b1',
      'HTTPRoute shop/b-old#1 b2',
      'HTTPRoute shop/a-newest#0 n1',
    ]);
    expect(two.config).toEqual(one.config);
  });

  it('attaches only to existing Services of kind Service in the route’s namespace, and reports the rest', () => {
    const mixed = route('mixed', '2026-12-01T00:00:00.000Z', {
      parentRefs: [
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge' },
        parent('reviews'),
        parent('x', { namespace: 'other' }),
        parent('gone'),
        parent('ratings', { port: 15001 }),
      ],
      rules: [{}],
    });
    const compiled = compileConfig(services, [], { routes: [mixed], services: CLUSTER });
    expect(compiled.config.policies?.map((p) => p.service)).toEqual(['ratings', 'reviews']);
    expect(compiled.routes[0]?.parents.map((p) => [p.index, p.attached, p.reason])).toEqual([
      [1, true, 'Accepted'],
      [2, false, 'UnsupportedValue'],
      [3, false, 'NoMatchingParent'],
      [4, true, 'Accepted'],
    ]);
    expect(compiled.routes[0]?.parents[1]?.message).toMatch(/namespace "other".*not supported/);
    expect(compiled.routes[0]?.notApplied).toEqual([
      'parentRef 4: the route applies to every port of Service "ratings" (port and sectionName of a Service parent are not used)',
    ]);
  });

  it('keeps the weight of a backend that is not a Service as an invalid backend, and reports bad backends and filters', () => {
    const odd = route('odd', '2026-12-01T00:00:00.000Z', {
      parentRefs: [parent('reviews')],
      rules: [
        {
          backendRefs: [
            backend('reviews-v1', 80),
            { group: 'storage.example.com', kind: 'Bucket', name: 'images', weight: 15 },
            backend('missing', 5),
          ],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [] } }],
        },
      ],
    });
    const compiled = compileConfig(services, [], { routes: [odd], services: CLUSTER });
    expect(routesOf(compiled)?.[0]?.backends).toEqual([
      { service: 'reviews-v1', namespace: 'shop', weight: 80 },
      { service: INVALID_BACKEND_SERVICE, namespace: 'shop', weight: 15 },
      { service: 'missing', namespace: 'shop', weight: 5 },
    ]);
    const report = compiled.routes[0]!;
    expect(report.backendProblems.map((p) => [p.rule, p.backend, p.reason])).toEqual([
      [0, 1, 'InvalidKind'],
      [0, 2, 'BackendNotFound'],
    ]);
    expect(report.backendProblems[0]?.message).toContain('storage.example.com/Bucket "images"');
    expect(report.notApplied).toEqual(['rule 0: filters (RequestHeaderModifier) are not applied']);
  });

  it('puts a sectionName policy into its rule only and a whole-route policy into every rule', () => {
    const forQuote = routeRetry(
      'quote-retry',
      '2026-12-01T11:00:00.000Z',
      routeTarget('reviews', 'quote'),
      3,
    );
    const timeout = stored({
      kind: 'TimeoutPolicy',
      metadata: { name: 'route-timeout', creationTimestamp: '2026-12-01T11:00:00.000Z' },
      spec: { targetRef: routeTarget('reviews'), request: '5s' },
    });
    const compiled = compileConfig(services, [forQuote, timeout], { routes: [reviewsRoute] });
    const [quote, rest] = routesOf(compiled)!;
    expect(quote?.policies).toEqual({
      retry: {
        attempts: 3,
        backoff: { base: '25ms', max: '250ms', jitter: 0.5 },
        retryOn: ['5xx'],
        nonIdempotent: false,
        budget: { ratio: 0.2, minPerSecond: 10 },
        source: 'RetryPolicy shop/quote-retry',
      },
      timeout: { request: '5s', source: 'TimeoutPolicy shop/route-timeout' },
    });
    expect(rest?.policies).toEqual({
      timeout: { request: '5s', source: 'TimeoutPolicy shop/route-timeout' },
    });
    expect(compiled.programs.map((p) => p.outcome.kind)).toEqual(['compiled', 'compiled']);
    // Neither is a Service-wide policy.
    const entry = compiled.config.policies?.[0];
    expect(entry?.retry).toBeUndefined();
    expect(entry?.timeout).toBeUndefined();
  });

  it('lets the policy that names a rule beat the whole-route one there, and the oldest win among equals', () => {
    const wholeOld = routeRetry('whole-old', '2026-12-01T08:00:00.000Z', routeTarget('reviews'), 2);
    const wholeNew = routeRetry('whole-new', '2026-12-01T09:00:00.000Z', routeTarget('reviews'), 4);
    const sectionNew = routeRetry(
      'section-new',
      '2026-12-01T12:00:00.000Z',
      routeTarget('reviews', 'quote'),
      5,
    );
    const sectionOld = routeRetry(
      'section-old',
      '2026-12-01T10:00:00.000Z',
      routeTarget('reviews', 'quote'),
      6,
    );
    const compiled = compileConfig(services, [sectionNew, wholeNew, sectionOld, wholeOld], {
      routes: [reviewsRoute],
    });
    const [quote, rest] = routesOf(compiled)!;
    expect(quote?.policies?.retry?.source).toBe('RetryPolicy shop/section-old');
    expect(rest?.policies?.retry?.source).toBe('RetryPolicy shop/whole-old');
    const outcome = (name: string) => compiled.programs.find((p) => p.ref.name === name)?.outcome;
    expect(outcome('whole-old')).toEqual({ kind: 'compiled' });
    expect(outcome('section-old')).toEqual({ kind: 'compiled' });
    expect(outcome('whole-new')).toEqual({
      kind: 'conflicted',
      winner: 'RetryPolicy shop/section-old',
      target: 'rule "quote" of HTTPRoute shop/reviews (Service reviews.shop)',
    });
    expect(outcome('section-new')).toEqual({
      kind: 'conflicted',
      winner: 'RetryPolicy shop/section-old',
      target: 'rule "quote" of HTTPRoute shop/reviews (Service reviews.shop)',
    });
  });

  it('compiles a Service target with sectionName into that Service’s rules of that name', () => {
    const serviceSection = routeRetry('svc-quote', '2026-12-01T11:00:00.000Z', {
      group: '',
      kind: 'Service',
      name: 'reviews',
      sectionName: 'quote',
    });
    const compiled = compileConfig(services, [serviceSection], { routes: [reviewsRoute] });
    const [quote, rest] = routesOf(compiled)!;
    expect(quote?.policies?.retry?.source).toBe('RetryPolicy shop/svc-quote');
    expect(rest?.policies).toBeUndefined();
    expect(compiled.config.policies?.[0]?.retry).toBeUndefined();
  });

  it('copies route policies into every parent Service of the route', () => {
    const twoParents = route('shared', '2026-12-01T00:00:00.000Z', {
      parentRefs: [parent('reviews'), parent('ratings')],
      rules: [{ name: 'all' }],
    });
    const retry = routeRetry('shared-retry', '2026-12-01T11:00:00.000Z', routeTarget('shared'));
    const compiled = compileConfig(services, [retry], { routes: [twoParents] });
    expect(compiled.config.policies?.map((p) => [p.service, p.routes?.[0]?.policies?.retry?.source])).toEqual(
      [
        ['ratings', 'RetryPolicy shop/shared-retry'],
        ['reviews', 'RetryPolicy shop/shared-retry'],
      ],
    );
  });

  it('does not compile a CircuitBreakerPolicy or LoadBalancingPolicy for a route, nor a policy for a missing route or rule', () => {
    const breaker = stored({
      kind: 'CircuitBreakerPolicy',
      metadata: { name: 'route-breaker' },
      spec: { targetRef: routeTarget('reviews'), limits: { maxRequests: 10 } },
    });
    const balancer = stored({
      kind: 'LoadBalancingPolicy',
      metadata: { name: 'section-balancer' },
      spec: {
        targetRef: { group: '', kind: 'Service', name: 'reviews', sectionName: 'quote' },
        type: 'EWMA',
      },
    });
    const noRoute = routeRetry('no-route', '2026-12-01T11:00:00.000Z', routeTarget('nope'));
    const noRule = routeRetry('no-rule', '2026-12-01T11:00:00.000Z', routeTarget('reviews', 'nope'));
    const compiled = compileConfig(services, [breaker, balancer, noRoute, noRule], {
      routes: [reviewsRoute],
    });
    expect(compiled.programs.map((p) => p.outcome.kind)).toEqual([
      'unsupported-target',
      'unsupported-target',
      'target-not-found',
      'target-not-found',
    ]);
    expect(compiled.programs[0]?.outcome).toMatchObject({
      message: expect.stringContaining('WEFT1005') as string,
    });
    const entry = compiled.config.policies?.[0];
    expect(entry?.circuitBreaker).toBeUndefined();
    expect(entry?.loadBalancing).toBeUndefined();
    expect(entry?.routes?.every((r) => r.policies === undefined)).toBe(true);
  });

  it('keeps the version for the same content (order, status writes) and changes it with a rule', () => {
    const retry = routeRetry('quote-retry', '2026-12-01T11:00:00.000Z', routeTarget('reviews', 'quote'));
    const other = route('other', '2026-12-02T00:00:00.000Z', {
      parentRefs: [parent('ratings')],
      rules: [{}],
    });
    const base = compileConfig(services, [retry], { routes: [reviewsRoute, other], services: CLUSTER });
    // A status write moves the route's resourceVersion, not its content.
    const restatused = route('reviews', '2026-12-01T10:00:00.000Z', reviewsRoute.spec, {
      resourceVersion: '99',
    });
    expect(
      compileConfig(services, [retry], { routes: [other, restatused], services: CLUSTER }).config.version,
    ).toBe(base.config.version);
    const changed = structuredClone(reviewsRoute);
    changed.spec.rules![0]!.backendRefs![1]!.weight = 20;
    expect(
      compileConfig(services, [retry], { routes: [changed, other], services: CLUSTER }).config.version,
    ).not.toBe(base.config.version);
    // Routes count as content: a Service with a route is not the endpoints-only version.
    expect(base.config.version).not.toBe(versionOf(services, []));
    expect(compileConfig(services, [], { routes: [] }).config.version).toBe(versionOf(services, []));
  });
});
