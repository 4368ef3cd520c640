import { describe, expect, it } from 'vitest';
import { canonicalPolicy, policyYaml, specYaml } from './text.ts';
import { diffCounts, unifiedDiff } from './text-diff.ts';

const split = {
  apiVersion: 'policy.weft.dev/v1alpha1',
  kind: 'TrafficSplit',
  metadata: {
    name: 'reviews-canary',
    namespace: 'shop',
    resourceVersion: '7',
    generation: 3,
    uid: 'abc',
    creationTimestamp: '2026-12-01T00:00:00Z',
  },
  // Keys out of the schema's order, targetRef without its defaults: the YAML must not care.
  spec: {
    backends: [
      { weight: 90, version: 'v1' },
      { weight: 10, version: 'v2' },
    ],
    targetRef: { name: 'reviews' },
  },
  status: { conditions: [] },
};

describe('policyYaml', () => {
  it('prints apiVersion, kind, metadata without server bookkeeping, and the spec in schema order with defaults', () => {
    expect(policyYaml(split)).toBe(
      [
        'apiVersion: policy.weft.dev/v1alpha1',
        'kind: TrafficSplit',
        'metadata:',
        '  name: reviews-canary',
        '  namespace: shop',
        'spec:',
        '  targetRef:',
        '    group: ""',
        '    kind: Service',
        '    name: reviews',
        '  backends:',
        '    - version: v1',
        '      weight: 90',
        '    - version: v2',
        '      weight: 10',
        '',
      ].join('\n'),
    );
  });

  it('is the same text for the same resource however its keys were ordered', () => {
    const reordered = {
      spec: {
        targetRef: { kind: 'Service' as const, name: 'reviews', group: '' as const },
        backends: split.spec.backends,
      },
      metadata: { namespace: 'shop', name: 'reviews-canary' },
      kind: 'TrafficSplit',
    };
    expect(policyYaml(reordered)).toBe(policyYaml(split));
  });

  it('keeps labels and annotations (sorted) when there are any, and leaves out empty ones', () => {
    const labelled = {
      ...split,
      metadata: { ...split.metadata, labels: { team: 'b', app: 'a' }, annotations: {} },
    };
    expect(canonicalPolicy(labelled).metadata).toEqual({
      name: 'reviews-canary',
      namespace: 'shop',
      labels: { app: 'a', team: 'b' },
    });
    expect(Object.keys((canonicalPolicy(labelled).metadata as { labels: object }).labels)).toEqual([
      'app',
      'team',
    ]);
  });

  it('prints a draft the schema refuses as written, targetRef first, so the preview still shows it', () => {
    const draft = {
      kind: 'TrafficSplit',
      metadata: { name: 'x', namespace: 'shop' },
      spec: { backends: [{ version: 'v1', weight: -1 }], targetRef: { name: 'reviews' } },
    };
    expect(policyYaml(draft)).toContain(
      'spec:\n  targetRef:\n    name: reviews\n  backends:\n    - version: v1\n      weight: -1\n',
    );
  });

  it('fills defaults so a diff against the stored resource shows only real changes', () => {
    const retry = (spec: object) =>
      policyYaml({ kind: 'RetryPolicy', metadata: { name: 'r', namespace: 'shop' }, spec });
    const typed = retry({ targetRef: { name: 'reviews' }, attempts: 3 });
    const stored = retry({
      targetRef: { group: '', kind: 'Service', name: 'reviews' },
      attempts: 3,
      backoff: { base: '25ms', max: '250ms', jitter: 0.5 },
      retryOn: ['connect-failure', 'reset', 'gateway-error'],
      nonIdempotent: false,
      budget: { ratio: 0.2, minPerSecond: 10 },
    });
    expect(unifiedDiff(stored, typed, 'live', 'draft')).toBe('');
  });

  it('specYaml does not wrap long lines', () => {
    const long = 'x'.repeat(200);
    expect(specYaml({ value: long })).toBe(`value: ${long}\n`);
  });
});

describe('a diff of canonical YAML', () => {
  it('against nothing (a new policy) is all additions', () => {
    const text = policyYaml(split);
    const diff = unifiedDiff('', text, '/dev/null', 'new');
    const body = diff.split('\n').slice(3, -1);
    expect(body.every((l) => l.startsWith('+'))).toBe(true);
    expect(diffCounts(diff)).toEqual({ added: text.split('\n').length - 1, removed: 0 });
  });

  it('shows a weight change as one line out and one in per backend', () => {
    const live = policyYaml(split);
    const half = policyYaml({
      ...split,
      spec: {
        ...split.spec,
        backends: [
          { version: 'v1', weight: 50 },
          { version: 'v2', weight: 50 },
        ],
      },
    });
    const diff = unifiedDiff(live, half, 'live', 'draft');
    expect(diff).toContain('-      weight: 90\n+      weight: 50\n');
    expect(diffCounts(diff)).toEqual({ added: 2, removed: 2 });
  });
});
