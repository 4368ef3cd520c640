import { describe, expect, it } from 'vitest';
import type { Condition, PolicyResource, ServiceEndpoints } from '@weft/schema';
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

  it('skips HTTPRoute targets for now', () => {
    const routed = stored({
      kind: 'TimeoutPolicy',
      metadata: { name: 'route-timeout' },
      spec: { targetRef: target('reviews-route', 'HTTPRoute'), request: '2s' },
    });
    const { config, programs } = compileConfig(services, [routed]);
    expect(config.policies).toBeUndefined();
    expect(programs[0]?.outcome).toMatchObject({ kind: 'unsupported-target' });
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
      service: 'reviews.shop',
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
