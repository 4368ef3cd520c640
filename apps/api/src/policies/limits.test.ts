import { describe, expect, it } from 'vitest';
import {
  describeFindings,
  issuePath,
  policyInputSchema,
  PolicyStorageLimits,
  schemaFindings,
} from './limits.ts';

function split(extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) {
  return {
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name: 'canary', namespace: 'shop', ...extra },
    spec: { targetRef: { name: 'reviews' }, backends: [{ version: 'v1', weight: 1 }] },
  };
}

describe('policyInputSchema', () => {
  it('accepts a policy within the storage limits', () => {
    expect(policyInputSchema.safeParse(split({ labels: { team: 'a' } })).success).toBe(true);
  });

  it('bounds the number of labels and the size of the annotations', () => {
    const labels = Object.fromEntries(
      Array.from({ length: PolicyStorageLimits.maxLabels + 1 }, (_, i) => [`l${i}`, 'x']),
    );
    const tooManyLabels = policyInputSchema.safeParse(split({ labels }));
    expect(tooManyLabels.success).toBe(false);
    const [finding, ...rest] = schemaFindings(tooManyLabels.error!);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ code: 'SCHEMA', path: 'metadata.labels' });
    expect(finding?.message).toMatch(/at most 64 labels/);

    const annotations = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`a${i}`, 'x'.repeat(4000)]));
    const big = policyInputSchema.safeParse(split({ annotations }));
    expect(big.success).toBe(false);
    expect(schemaFindings(big.error!)[0]?.path).toBe('metadata.annotations');
  });

  it('names nested fields the way validate() does', () => {
    const bad = policyInputSchema.safeParse({
      ...split(),
      spec: { targetRef: { name: 'reviews' }, backends: [{ version: 'v1', weight: -1 }] },
    });
    expect(schemaFindings(bad.error!)[0]?.path).toBe('spec.backends.0.weight');
    expect(issuePath([])).toBe('');
  });
});

describe('describeFindings', () => {
  it('lists code, path and message, and says how many more there are', () => {
    const f = { code: 'SCHEMA' as const, severity: 'error' as const, path: 'spec', message: 'm' };
    expect(describeFindings([f])).toBe('SCHEMA spec: m');
    expect(describeFindings([f, f, f], 2)).toBe('SCHEMA spec: m; SCHEMA spec: m; … and 1 more');
    expect(describeFindings([{ ...f, path: '' }])).toBe('SCHEMA (resource): m');
  });
});
