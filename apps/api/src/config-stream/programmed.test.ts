import { describe, expect, it } from 'vitest';
import type { Condition } from '@weft/schema';
import type { PolicyProgram } from './compile.ts';
import {
  nextProgrammedCondition,
  programmedStatus,
  type ProgrammedInput,
  type ProxyConfigState,
} from './programmed.ts';

const canary: PolicyProgram = {
  ref: { kind: 'TrafficSplit', namespace: 'shop', name: 'canary' },
  source: 'TrafficSplit shop/canary',
  generation: 2,
  outcome: { kind: 'compiled' },
};
const retry: PolicyProgram = {
  ref: { kind: 'RetryPolicy', namespace: 'shop', name: 'retry' },
  source: 'RetryPolicy shop/retry',
  generation: 1,
  outcome: { kind: 'compiled' },
};

/** Config versions and the policy generations they carried. */
const VERSIONS: Record<string, string[]> = {
  old: ['TrafficSplit shop/canary@1'],
  v2: ['TrafficSplit shop/canary@2', 'RetryPolicy shop/retry@1'],
  v3: ['TrafficSplit shop/canary@2', 'RetryPolicy shop/retry@1'],
};

function state(proxyId: string, s: Partial<ProxyConfigState> = {}): ProxyConfigState {
  return { proxyId, configVersion: null, ackedVersion: null, ackedAtMs: null, nack: null, ...s };
}

function input(states: ProxyConfigState[], live = states.map((s) => s.proxyId)): ProgrammedInput {
  return {
    liveProxyIds: live,
    states: new Map(states.map((s) => [s.proxyId, s])),
    contents: (v) => (VERSIONS[v] ? new Set(VERSIONS[v]) : undefined),
  };
}

describe('programmedStatus', () => {
  it('is True once every live proxy ACKed a version carrying the generation (not necessarily the same one)', () => {
    const status = programmedStatus(
      canary,
      input([state('a', { ackedVersion: 'v2' }), state('b', { ackedVersion: 'v3' })]),
    );
    expect(status).toMatchObject({ status: 'True', reason: 'Programmed', observedGeneration: 2 });
  });

  it('is Pending while a live proxy has not ACKed it (an older generation, nothing, or a forgotten version)', () => {
    for (const laggard of [
      state('b', { ackedVersion: 'old' }),
      state('b'),
      state('b', { ackedVersion: 'forgotten' }),
    ]) {
      expect(programmedStatus(canary, input([state('a', { ackedVersion: 'v2' }), laggard]))).toMatchObject({
        status: 'Unknown',
        reason: 'Pending',
        message: '1 of 2 live proxies have ACKed a config with generation 2',
      });
    }
    // A proxy that is not live does not count either way.
    expect(
      programmedStatus(canary, input([state('a', { ackedVersion: 'v2' }), state('gone')], ['a'])),
    ).toMatchObject({ status: 'True' });
  });

  it('is Pending, not True, while no proxy is live', () => {
    expect(programmedStatus(canary, input([]))).toMatchObject({ status: 'Unknown', reason: 'Pending' });
  });

  it('is False/Refused with the proxy reason when a NACK names it, or names no policy at all', () => {
    const named = state('b', {
      ackedVersion: 'old',
      nack: { version: 'v3', reason: 'policies.0.split (TrafficSplit shop/canary): version v9 unknown' },
    });
    expect(programmedStatus(canary, input([state('a', { ackedVersion: 'v3' }), named]))).toEqual({
      status: 'False',
      reason: 'Refused',
      message: 'proxy b refused config v3: policies.0.split (TrafficSplit shop/canary): version v9 unknown',
      observedGeneration: 2,
    });
    // The other policy of that version was applied by b (it runs what it did not refuse).
    expect(programmedStatus(retry, input([state('a', { ackedVersion: 'v3' }), named]))).toMatchObject({
      status: 'True',
    });
    const unspecific = state('b', { nack: { version: 'v3', reason: 'services: must be a list' } });
    for (const p of [canary, retry]) {
      expect(programmedStatus(p, input([unspecific]))).toMatchObject({ status: 'False', reason: 'Refused' });
    }
  });

  it('does not mistake a longer policy name for this one', () => {
    const other = state('b', {
      nack: { version: 'v3', reason: 'left out TrafficSplit shop/canary-2: bad; RetryPolicy shop/retry.' },
    });
    expect(programmedStatus(canary, input([other]))).toMatchObject({ status: 'True' });
    expect(programmedStatus(retry, input([other]))).toMatchObject({ status: 'False' });
  });

  it('a NACK of a version without the generation does not count against it', () => {
    const s = state('a', { ackedVersion: 'v2', nack: { version: 'old', reason: 'whatever' } });
    expect(programmedStatus(canary, input([s]))).toMatchObject({ status: 'True' });
  });

  it('says why a policy is not in the config', () => {
    expect(programmedStatus({ ...canary, outcome: { kind: 'not-accepted' } }, input([]))).toMatchObject({
      status: 'False',
      reason: 'NotAccepted',
    });
    expect(
      programmedStatus(
        {
          ...canary,
          outcome: { kind: 'conflicted', winner: 'TrafficSplit shop/older', target: 'reviews.shop' },
        },
        input([]),
      ),
    ).toMatchObject({ status: 'False', reason: 'Conflicted' });
    expect(
      programmedStatus(
        { ...canary, outcome: { kind: 'unsupported-target', message: 'not for a route' } },
        input([]),
      ),
    ).toMatchObject({ status: 'False', reason: 'Invalid', message: 'not for a route' });
    expect(
      programmedStatus({ ...canary, outcome: { kind: 'target-not-found', message: 'no route' } }, input([])),
    ).toMatchObject({ status: 'False', reason: 'TargetNotFound', message: 'no route' });
  });
});

describe('nextProgrammedCondition', () => {
  const NOW = '2026-12-02T00:00:00.000Z';
  const pending: Condition = {
    type: 'Programmed',
    status: 'Unknown',
    reason: 'Pending',
    message: 'waiting',
    lastTransitionTime: '2026-12-01T00:00:00.000Z',
    observedGeneration: 2,
  };
  const programmed = {
    status: 'True' as const,
    reason: 'Programmed',
    message: 'all',
    observedGeneration: 2,
  };

  it('writes a transition with the current time', () => {
    expect(nextProgrammedCondition(pending, programmed, NOW)).toEqual({
      type: 'Programmed',
      ...programmed,
      lastTransitionTime: NOW,
    });
    expect(nextProgrammedCondition(undefined, programmed, NOW)).toMatchObject({ lastTransitionTime: NOW });
  });

  it('writes nothing when only the message of a Pending or True changed', () => {
    expect(
      nextProgrammedCondition(pending, { ...pending, observedGeneration: 2, message: '1 of 2' }, NOW),
    ).toBeNull();
    const done = { ...pending, ...programmed };
    expect(nextProgrammedCondition(done, { ...programmed, message: 'other' }, NOW)).toBeNull();
  });

  it('keeps True for the same generation against a Pending, but not against a new generation', () => {
    const done: Condition = { ...pending, ...programmed };
    expect(nextProgrammedCondition(done, { ...pending, observedGeneration: 2 }, NOW)).toBeNull();
    expect(nextProgrammedCondition(done, { ...pending, observedGeneration: 3 }, NOW)).toMatchObject({
      status: 'Unknown',
      observedGeneration: 3,
      lastTransitionTime: NOW,
    });
  });

  it('updates a Refused when the reason changes, keeping its transition time', () => {
    const refused = {
      ...pending,
      status: 'False' as const,
      reason: 'Refused',
      message: 'proxy a: x',
      observedGeneration: 2,
    };
    expect(nextProgrammedCondition(refused, { ...refused, message: 'proxy a: y' }, NOW)).toMatchObject({
      message: 'proxy a: y',
      lastTransitionTime: pending.lastTransitionTime,
    });
  });
});
