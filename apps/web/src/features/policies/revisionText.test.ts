import { describe, expect, it } from 'vitest';
import { diffLines, latestRevisionKeys, stateDiff, stateYaml } from './revisionText.ts';

const ref = { kind: 'TrafficSplit', namespace: 'shop', name: 'reviews-canary' };
const spec = (v1: number, v2: number) => ({
  targetRef: { name: 'reviews' },
  backends: [
    { version: 'v1', weight: v1 },
    { version: 'v2', weight: v2 },
  ],
});

describe('revision text', () => {
  it('prints a state as the canonical YAML of the resource, and nothing for a deleted one', () => {
    const yaml = stateYaml(ref, spec(90, 10));
    expect(yaml).toContain('kind: TrafficSplit\n');
    expect(yaml).toContain('  name: reviews-canary\n  namespace: shop\n');
    expect(yaml).toContain('      weight: 90\n');
    expect(stateYaml(ref, null)).toBe('');
  });

  it('diffs two states over the whole file: the changed weights, the rest as context', () => {
    const lines = diffLines(
      stateDiff(
        ref,
        { spec: spec(90, 10), label: 'revision 1' },
        { spec: spec(50, 50), label: 'revision 2' },
      ),
    );
    expect(lines[0]?.kind).toBe('hunk');
    expect(lines.filter((l) => l.kind === 'remove').map((l) => l.text.trim())).toEqual([
      'weight: 90',
      'weight: 10',
    ]);
    expect(lines.filter((l) => l.kind === 'add').map((l) => l.text.trim())).toEqual([
      'weight: 50',
      'weight: 50',
    ]);
    expect(lines.some((l) => l.kind === 'context' && l.text === 'kind: TrafficSplit')).toBe(true);
    expect(stateDiff(ref, { spec: spec(1, 1), label: 'a' }, { spec: spec(1, 1), label: 'b' })).toBe('');
  });

  it('shows a create as all added and a delete as all removed', () => {
    const created = diffLines(
      stateDiff(ref, { spec: null, label: 'none' }, { spec: spec(1, 1), label: 'r1' }),
    );
    expect(created.filter((l) => l.kind !== 'hunk').every((l) => l.kind === 'add')).toBe(true);
    const deleted = diffLines(stateDiff(ref, { spec: spec(1, 1), label: 'r1' }, { spec: null, label: 'r2' }));
    expect(deleted.filter((l) => l.kind !== 'hunk').every((l) => l.kind === 'remove')).toBe(true);
  });

  it('knows the newest revision of each policy in a newest-first list', () => {
    const other = { ...ref, name: 'other' };
    const keys = latestRevisionKeys([
      { ref, revision: 3 },
      { ref: other, revision: 1 },
      { ref, revision: 2 },
    ]);
    expect([...keys]).toEqual(['TrafficSplit/shop/reviews-canary#3', 'TrafficSplit/shop/other#1']);
  });
});
