import { describe, expect, it } from 'vitest';
import type { Condition, Finding } from '@weft/schema';
import { acceptedCondition, mergeConditions, pendingProgrammedCondition } from './conditions.ts';

const t0 = new Date('2026-12-01T10:00:00Z');
const t1 = new Date('2026-12-01T10:05:00Z');

const warning: Finding = {
  code: 'WEFT1004',
  severity: 'warning',
  path: 'spec.targetRef',
  message: 'RetryPolicy "a" also targets "reviews"; the older one is in force',
};
const error: Finding = {
  code: 'WEFT2001',
  severity: 'error',
  path: 'spec.backends',
  message: 'the weights sum to 0: give at least one version a weight above 0',
};

describe('acceptedCondition', () => {
  it('is True/Accepted without errors, naming warnings', () => {
    expect(acceptedCondition([], 3, t0)).toEqual({
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: 'the policy is valid',
      lastTransitionTime: t0.toISOString(),
      observedGeneration: 3,
    });
    expect(acceptedCondition([warning], 1, t0).message).toContain('WEFT1004 spec.targetRef');
  });

  it('is False/Invalid with the error messages', () => {
    const c = acceptedCondition([warning, error], 2, t0);
    expect(c).toMatchObject({ status: 'False', reason: 'Invalid', observedGeneration: 2 });
    expect(c.message).toBe(`WEFT2001 spec.backends: ${error.message}`);
  });

  it('keeps the message within the condition schema limit', () => {
    const many = Array.from({ length: 10 }, () => ({ ...error, message: 'x'.repeat(10_000) }));
    expect(acceptedCondition(many, 1, t0).message.length).toBeLessThanOrEqual(32_768);
  });
});

describe('mergeConditions', () => {
  const accepted = acceptedCondition([], 1, t0);
  const pending = pendingProgrammedCondition(1, t0);

  it('replaces by type and appends new types', () => {
    expect(mergeConditions([], [accepted, pending]).map((c) => c.type)).toEqual(['Accepted', 'Programmed']);
    const programmed: Condition = {
      ...pending,
      status: 'True',
      reason: 'Programmed',
      lastTransitionTime: t1.toISOString(),
    };
    const merged = mergeConditions([accepted, pending], [programmed]);
    expect(merged).toEqual([accepted, programmed]);
  });

  it('keeps lastTransitionTime while the status stays the same', () => {
    const later = acceptedCondition([warning], 2, t1);
    const [merged] = mergeConditions([accepted], [later]);
    expect(merged).toEqual({ ...later, lastTransitionTime: t0.toISOString() });
    const flipped = acceptedCondition([error], 2, t1);
    expect(mergeConditions([accepted], [flipped])[0]?.lastTransitionTime).toBe(t1.toISOString());
  });
});
