import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyResourceSchema, type PolicyResource, type PolicyResourceInput } from './resource.ts';
import { VALIDATION_CODES, validate, type ClusterView } from './validate.ts';

const view: ClusterView = {
  services: [
    {
      namespace: 'shop',
      name: 'reviews',
      versions: [
        { version: 'v1', instances: 2 },
        { version: 'v2', instances: 1 },
      ],
    },
    { namespace: 'shop', name: 'pricing', versions: [{ version: 'v1', instances: 1 }] },
  ],
  routes: [
    {
      namespace: 'shop',
      name: 'pricing-routes',
      services: ['pricing'],
      ruleNames: ['quote', 'list'],
      hasWeights: false,
    },
  ],
  policies: [],
};

function parse(input: PolicyResourceInput): PolicyResource {
  return policyResourceSchema.parse(input);
}

function split(
  name: string,
  backends: { version: string; weight: number }[],
  extra: object = {},
): PolicyResource {
  return parse({
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name, namespace: 'shop' },
    spec: { targetRef: { name: 'reviews' }, backends, ...extra },
  });
}

const codes = (r: PolicyResource, v: ClusterView = view) => validate(r, v).map((f) => f.code);

describe('validate()', () => {
  it('accepts a good split', () => {
    expect(
      validate(
        split('canary', [
          { version: 'v1', weight: 90 },
          { version: 'v2', weight: 10 },
        ]),
        view,
      ),
    ).toEqual([]);
  });

  it('reports each problem of a split with its code, path and a message saying what to change', () => {
    expect(validate(split('zero', [{ version: 'v1', weight: 0 }]), view)).toEqual([
      {
        code: 'WEFT2001',
        severity: 'error',
        path: 'spec.backends',
        message: 'the weights sum to 0: give at least one version a weight above 0',
      },
    ]);
    expect(validate(split('v3', [{ version: 'v3', weight: 5 }]), view)[0]).toMatchObject({
      code: 'WEFT2002',
      path: 'spec.backends.0.version',
      message:
        '"reviews" has no instances of version "v3" (running: v1, v2): set its weight to 0 or deploy it first',
    });
    expect(
      codes(
        split('dup', [
          { version: 'v1', weight: 1 },
          { version: 'v1', weight: 1 },
        ]),
      ),
    ).toEqual(['WEFT2004']);
    const pins = { pins: [{ version: 'v9', header: { name: 'x-canary', value: '1' } }, { version: 'v2' }] };
    expect(codes(split('pins', [{ version: 'v1', weight: 1 }], pins))).toEqual(['WEFT2005', 'WEFT2006']);
  });

  it('refuses a second split on one service', () => {
    const first = split('first', [{ version: 'v1', weight: 1 }]);
    expect(codes(split('second', [{ version: 'v2', weight: 1 }]), { ...view, policies: [first] })).toEqual([
      'WEFT2003',
    ]);
    // Re-validating the stored one itself is not a conflict.
    expect(codes(first, { ...view, policies: [first] })).toEqual([]);
  });

  it('checks the target exists and the named route is one of the service’s', () => {
    const missing = parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'TimeoutPolicy',
      metadata: { name: 't', namespace: 'shop' },
      spec: { targetRef: { name: 'nope' }, request: '1s' },
    });
    expect(validate(missing, view)[0]).toMatchObject({ code: 'WEFT1001', path: 'spec.targetRef.name' });
    const route = parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'RateLimitPolicy',
      metadata: { name: 'rl', namespace: 'shop' },
      spec: { targetRef: { name: 'pricing', sectionName: 'checkout' }, concurrency: { maxInFlight: 5 } },
    });
    expect(validate(route, view)[0]?.message).toBe(
      'Service "pricing" has no route named "checkout"; its routes are "quote", "list"',
    );
  });

  it('refuses a CircuitBreakerPolicy or LoadBalancingPolicy for a route (WEFT1005)', () => {
    const breaker = parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'CircuitBreakerPolicy',
      metadata: { name: 'cb', namespace: 'shop' },
      spec: {
        targetRef: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'pricing-routes' },
        limits: { maxRequests: 10 },
      },
    });
    expect(validate(breaker, view)).toEqual([
      {
        code: 'WEFT1005',
        severity: 'error',
        path: 'spec.targetRef.kind',
        message:
          'a CircuitBreakerPolicy attaches to a Service, not a route: target the Service the route sends to (kind Service, group "")',
      },
    ]);
    const balancer = parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'LoadBalancingPolicy',
      metadata: { name: 'lb', namespace: 'shop' },
      spec: { targetRef: { name: 'pricing', sectionName: 'quote' }, type: 'EWMA' },
    });
    expect(validate(balancer, view)).toEqual([
      expect.objectContaining({ code: 'WEFT1005', path: 'spec.targetRef.sectionName' }),
    ]);
    // The same kinds for the whole Service, and the per-request kinds for a route, are fine.
    const wholeService = parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'LoadBalancingPolicy',
      metadata: { name: 'lb', namespace: 'shop' },
      spec: { targetRef: { name: 'pricing' }, type: 'EWMA' },
    });
    expect(codes(wholeService)).toEqual([]);
    const routeRetry = parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'RetryPolicy',
      metadata: { name: 'r', namespace: 'shop' },
      spec: {
        targetRef: {
          group: 'gateway.networking.k8s.io',
          kind: 'HTTPRoute',
          name: 'pricing-routes',
          sectionName: 'quote',
        },
        attempts: 2,
      },
    });
    expect(codes(routeRetry)).toEqual([]);
  });

  it('tells a missing route from a route whose parent Service does not exist (WEFT1002)', () => {
    const retry = (name: string) =>
      parse({
        apiVersion: 'policy.weft.dev/v1alpha1',
        kind: 'RetryPolicy',
        metadata: { name: 'r', namespace: 'shop' },
        spec: { targetRef: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name }, attempts: 2 },
      });
    const orphan = { namespace: 'shop', name: 'orphan', services: [], ruleNames: [], hasWeights: false };
    const withOrphan = { ...view, routes: [...view.routes, orphan] };
    expect(validate(retry('nope'), withOrphan)[0]?.message).toBe(
      'there is no HTTPRoute "nope" with a Service parent in namespace "shop"',
    );
    expect(validate(retry('orphan'), withOrphan)[0]).toMatchObject({
      code: 'WEFT1002',
      message: expect.stringContaining('attaches to no existing Service') as string,
    });
  });

  it('warns a split whose Service also has a weighted HTTPRoute what each of them picks (WEFT2007)', () => {
    const weighted = { ...view, routes: [{ ...view.routes[0]!, services: ['reviews'], hasWeights: true }] };
    expect(validate(split('canary', [{ version: 'v1', weight: 1 }]), weighted)).toEqual([
      expect.objectContaining({
        code: 'WEFT2007',
        severity: 'warning',
        message: expect.stringContaining('the route picks the Service first') as string,
      }),
    ]);
  });

  it('compares a retry per-try timeout with the request timeout of the same target', () => {
    const timeout = parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'TimeoutPolicy',
      metadata: { name: 't', namespace: 'shop' },
      spec: { targetRef: { name: 'pricing' }, request: '1s' },
    });
    const retry = parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'RetryPolicy',
      metadata: { name: 'r', namespace: 'shop' },
      spec: { targetRef: { name: 'pricing' }, attempts: 3, perTryTimeout: '1500ms' },
    });
    expect(codes(retry, { ...view, policies: [timeout] })).toEqual(['WEFT3001']);
    expect(codes(timeout, { ...view, policies: [retry] })).toEqual(['WEFT3001']);
  });

  it('has every code documented in docs/validation-codes.md', () => {
    const doc = readFileSync(
      path.resolve(import.meta.dirname, '../../../../docs/validation-codes.md'),
      'utf8',
    );
    for (const [code, { severity }] of Object.entries(VALIDATION_CODES)) {
      expect(doc, code).toMatch(new RegExp(`\\| ${code} +\\| ${severity} +\\|`));
    }
  });
});

describe('validate() for balancing, mirrors, faults and caches', () => {
  const policy = (kind: string, spec: object): PolicyResource =>
    parse({
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind,
      metadata: { name: 'p', namespace: 'shop' },
      spec: { targetRef: { name: 'reviews' }, ...spec },
    } as PolicyResourceInput);

  it('checks health check timing and failover targets', () => {
    const lb = (extra: object) => policy('LoadBalancingPolicy', { type: 'LeastRequest', ...extra });
    expect(codes(lb({ healthCheck: { path: '/ready', interval: '2s', timeout: '1s' } }))).toEqual([]);
    expect(codes(lb({ healthCheck: { path: '/ready', interval: '1s', timeout: '2s' } }))).toEqual([
      'WEFT7002',
    ]);
    expect(codes(lb({ locality: { failover: [{ service: 'pricing' }] } }))).toEqual([]);
    expect(codes(lb({ locality: { failover: [{ service: 'reviews' }] } }))).toEqual(['WEFT7004']);
    expect(codes(lb({ locality: { failover: [{ service: 'reviews', namespace: 'other' }] } }))).toEqual([
      'WEFT7003',
    ]);
  });

  it('refuses a mirror to the service itself or to a missing one, and warns about an empty version', () => {
    expect(codes(policy('MirrorPolicy', { backend: { version: 'v2' }, percentage: 10 }))).toEqual([]);
    expect(codes(policy('MirrorPolicy', { backend: {} }))).toEqual(['WEFT8001']);
    expect(codes(policy('MirrorPolicy', { backend: { service: 'nope' } }))).toEqual(['WEFT8002']);
    expect(codes(policy('MirrorPolicy', { backend: { version: 'v9' } }))).toEqual(['WEFT8003']);
  });

  it('warns about a fault that aborts everything and refuses a cache entry larger than the cache', () => {
    expect(codes(policy('FaultInjectionPolicy', { abort: { percentage: 5, status: 503 } }))).toEqual([]);
    expect(codes(policy('FaultInjectionPolicy', { abort: { percentage: 100, status: 503 } }))).toEqual([
      'WEFT8101',
    ]);
    expect(() => policy('FaultInjectionPolicy', {})).toThrow(/set delay, abort or both/);
    expect(codes(policy('CachePolicy', {}))).toEqual([]);
    expect(codes(policy('CachePolicy', { maxBytes: 4096, maxEntryBytes: 8192 }))).toEqual(['WEFT8201']);
  });
});
