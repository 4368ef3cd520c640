import { describe, expect, it } from 'vitest';
import type { Condition, Finding } from '@weft/schema';
import { acceptedCondition } from './conditions.ts';
import type { PolicyRef, StoredPolicy } from './platform.ts';
import { isRevalidated, revalidated, Revalidator, type RevalidationStore } from './revalidate.ts';

const T0 = new Date('2026-12-01T10:00:00.000Z');

const missingService: Finding = {
  code: 'WEFT1001',
  severity: 'error',
  path: 'spec.targetRef.name',
  message: 'there is no Service "reviews" in namespace "shop": point targetRef at an existing Service',
};
const noInstances = (running: string): Finding => ({
  code: 'WEFT2002',
  severity: 'error',
  path: 'spec.backends.1.version',
  message: `"reviews" has no instances of version "v2" (running: ${running}): set its weight to 0 or deploy it first`,
});

function policy(accepted: Condition | undefined, findings: Finding[] = [], generation = 1): StoredPolicy {
  return {
    resource: {
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'TrafficSplit',
      metadata: { name: 'canary', namespace: 'shop', generation },
      spec: {
        targetRef: { group: '', kind: 'Service', name: 'reviews' },
        backends: [
          { version: 'v1', weight: 90 },
          { version: 'v2', weight: 10 },
        ],
      },
    },
    conditions: accepted ? [accepted] : [],
    findings,
    updatedAtMs: 0,
    updatedBy: 'test',
  };
}

const acceptedAt = (generation = 1) => acceptedCondition([], generation, T0);

describe('acceptedCondition', () => {
  it('says TargetNotFound when every error is about the target, Invalid otherwise', () => {
    expect(acceptedCondition([missingService], 1, T0)).toMatchObject({
      status: 'False',
      reason: 'TargetNotFound',
    });
    expect(acceptedCondition([missingService, noInstances('v1')], 1, T0)).toMatchObject({
      status: 'False',
      reason: 'Invalid',
    });
  });
});

describe('revalidated', () => {
  it('takes Accepted back when the target is gone, and gives it back when it returns', () => {
    const gone = revalidated(policy(acceptedAt()), [missingService], T0);
    expect(gone?.accepted).toMatchObject({
      type: 'Accepted',
      status: 'False',
      reason: 'TargetNotFound',
      message: expect.stringContaining('WEFT1001') as string,
      observedGeneration: 1,
    });
    const back = revalidated(policy(gone!.accepted, gone!.findings), [], T0);
    expect(back?.accepted).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      message: 'the policy is valid',
    });
    expect(back?.findings).toEqual([]);
  });

  it('keeps a split accepted when a version has no instances, with a warning; the wording alone is not a change', () => {
    const warned = revalidated(policy(acceptedAt()), [noInstances('v1')], T0);
    expect(warned?.accepted).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(warned?.accepted.message).toMatch(/^the policy is valid, with warnings: WEFT2002/);
    expect(warned?.findings).toEqual([{ ...noInstances('v1'), severity: 'warning' }]);
    // Other versions running now: same code and path, nothing to write.
    expect(revalidated(policy(warned!.accepted, warned!.findings), [noInstances('v1, v3')], T0)).toBeNull();
    expect(revalidated(policy(acceptedAt()), [], T0)).toBeNull();
  });

  it('leaves refusals for content and other generations to the write path', () => {
    const invalid = acceptedCondition([noInstances('v1')], 1, T0);
    expect(isRevalidated(policy(invalid))).toBe(false);
    expect(isRevalidated(policy(acceptedAt(1), [], 2))).toBe(false);
    expect(isRevalidated(policy(undefined))).toBe(false);
    expect(isRevalidated(policy(acceptedCondition([missingService], 1, T0)))).toBe(true);
    expect(isRevalidated(policy(acceptedAt()))).toBe(true);
  });
});

/** A store over one policy whose findings the test sets; writes go back into the policy. */
function store(initial: StoredPolicy) {
  let current = initial;
  let findings: Finding[] = [];
  const writes: Condition[] = [];
  const s: RevalidationStore = {
    snapshot: () => Promise.resolve({ policies: [current], validate: () => findings }),
    writeAccepted: (_ref: PolicyRef, _generation: number, accepted: Condition, stored: Finding[]) => {
      writes.push(accepted);
      current = { ...current, conditions: [accepted], findings: stored };
      return Promise.resolve();
    },
  };
  return {
    store: s,
    writes,
    find: (f: Finding[]) => (findings = f),
    get current() {
      return current;
    },
  };
}

describe('Revalidator', () => {
  it('writes only when the outcome changes', async () => {
    const s = store(policy(acceptedAt()));
    const r = new Revalidator(s.store, { log: () => undefined, now: () => T0.getTime() });
    expect(await r.run()).toBe(0);
    s.find([missingService]);
    expect(await r.run()).toBe(1);
    expect(await r.run()).toBe(0);
    s.find([]);
    expect(await r.run()).toBe(1);
    expect(s.writes.map((c) => `${c.status}/${c.reason}`)).toEqual(['False/TargetNotFound', 'True/Accepted']);
    r.close();
  });

  it('waits out the grace period before taking Accepted back; a target back in time changes nothing', async () => {
    let now = T0.getTime();
    const s = store(policy(acceptedAt()));
    const r = new Revalidator(s.store, { log: () => undefined, now: () => now, targetGraceMs: 15_000 });
    s.find([missingService]);
    expect(await r.run()).toBe(0);
    now += 10_000;
    expect(await r.run()).toBe(0);
    s.find([]);
    expect(await r.run()).toBe(0);
    // Missing again: the grace starts over.
    s.find([missingService]);
    now += 10_000;
    expect(await r.run()).toBe(0);
    now += 15_000;
    expect(await r.run()).toBe(1);
    expect(s.current.conditions[0]).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
    r.close();
  });

  it('runs once after a burst of changes', async () => {
    const s = store(policy(acceptedAt()));
    let snapshots = 0;
    const counting: RevalidationStore = {
      ...s.store,
      snapshot: () => {
        snapshots++;
        return s.store.snapshot();
      },
    };
    const r = new Revalidator(counting, { log: () => undefined, debounceMs: 20, maxDelayMs: 1000 });
    for (let i = 0; i < 10; i++) r.schedule();
    await expect.poll(() => snapshots, { timeout: 2000, interval: 10 }).toBe(1);
    await r.idle();
    expect(snapshots).toBe(1);
    r.close();
  });
});
