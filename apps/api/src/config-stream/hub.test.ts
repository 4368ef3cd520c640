/** The hub's ACK bookkeeping and Programmed writes, against a scripted config source and platform. */
import { describe, expect, it, vi } from 'vitest';
import type { Condition } from '@weft/schema';
import type { PolicyPlatform, PolicyRef, StoredPolicy } from '../policies/platform.ts';
import { compileConfig, type CompiledConfig } from './compile.ts';
import { ConfigStreamHub, type ConfigSource } from './hub.ts';

const accepted: Condition = {
  type: 'Accepted',
  status: 'True',
  reason: 'Accepted',
  message: 'the policy is valid',
  lastTransitionTime: '2026-12-01T00:00:00.000Z',
  observedGeneration: 1,
};
const pending: Condition = {
  type: 'Programmed',
  status: 'Unknown',
  reason: 'Pending',
  message: 'waiting',
  lastTransitionTime: '2026-12-01T00:00:00.000Z',
  observedGeneration: 1,
};

const policy: StoredPolicy = {
  resource: {
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name: 'canary', namespace: 'shop', generation: 1, creationTimestamp: '2026-12-01T00:00:00Z' },
    spec: {
      targetRef: { group: '', kind: 'Service', name: 'reviews' },
      backends: [{ version: 'v1', weight: 1 }],
    },
  },
  conditions: [accepted, pending],
  findings: [],
  updatedAtMs: 0,
  updatedBy: 'test',
};

function setup(programmedDebounceMs = 1) {
  const services = [
    {
      name: 'reviews',
      namespace: 'shop',
      endpoints: ['a', 'b'].map((id, i) => ({ proxyId: id, address: `127.0.0.1:${i + 1}`, version: 'v1' })),
    },
  ];
  let compiled: CompiledConfig = compileConfig(services, [policy]);
  const listeners: (() => void)[] = [];
  const source: ConfigSource = {
    currentCompiled: () => Promise.resolve(compiled),
    onChange: (l) => {
      listeners.push(l);
      return () => undefined;
    },
    usePolicies: () => () => undefined,
  };
  const writes: { ref: PolicyRef; conditions: Condition[] }[] = [];
  /** Reconciliations that read the platform (each one decides and writes before the next event-loop turn). */
  let lists = 0;
  let stored = [policy];
  const platform = {
    name: 'universal',
    list: () => {
      lists++;
      return Promise.resolve(stored);
    },
    setConditions: (ref: PolicyRef, conditions: Condition[]) => {
      writes.push({ ref, conditions });
      return Promise.resolve();
    },
    onChange: () => () => undefined,
  } as unknown as PolicyPlatform;
  const hub = new ConfigStreamHub({ source, log: () => undefined, programmedDebounceMs });
  hub.usePolicies(platform);
  return {
    hub,
    writes,
    lists: () => lists,
    version: compiled.config.version,
    change: (next: CompiledConfig) => {
      compiled = next;
      for (const l of listeners) l();
    },
    /** The platform now holds `policies`, and the config is compiled from them. */
    edit: (policies: StoredPolicy[]) => {
      stored = policies;
      compiled = compileConfig(services, policies);
      for (const l of listeners) l();
      return compiled.config.version;
    },
  };
}

/** `policy` at another generation with other weights, its Programmed condition as last written. */
function edited(generation: number, v1: number, programmed: Condition | undefined): StoredPolicy {
  return {
    ...policy,
    resource: {
      ...policy.resource,
      metadata: { ...policy.resource.metadata, generation },
      spec: {
        targetRef: { group: '', kind: 'Service', name: 'reviews' },
        backends: [
          { version: 'v1', weight: v1 },
          { version: 'v2', weight: 100 - v1 },
        ],
      },
    } as StoredPolicy['resource'],
    conditions: programmed ? [accepted, programmed] : [accepted],
  };
}

describe('ConfigStreamHub', () => {
  it('records ACKs and NACKs per proxy for proxies.list', async () => {
    const { hub, version } = setup();
    hub.sent('a', version);
    hub.ack('a', { version, status: 'NACK', reason: '  ' });
    expect((await hub.list()).find((r) => r.proxyId === 'a')).toMatchObject({
      configVersion: version,
      ackedVersion: null,
      nack: { version, reason: '(the proxy gave no reason)' },
    });
    hub.ack('a', { version, status: 'ACK' });
    const rows = await hub.list();
    expect(rows.map((r) => [r.proxyId, r.service, r.version, r.ackedVersion, r.nack])).toEqual([
      ['a', 'reviews', 'v1', version, null],
      ['b', 'reviews', 'v1', null, null],
    ]);
    expect(() => hub.ack('a', { version, status: 'YES' })).toThrow(/invalid config ACK/);
    hub.close();
  });

  it('writes Programmed=True once every live proxy ACKed, keeping the other conditions', async () => {
    const { hub, writes, lists, version } = setup();
    const before = lists();
    hub.ack('a', { version, status: 'ACK' });
    // A reconciliation that saw a's ACK has run (read the platform): still Pending, so nothing to write.
    await vi.waitFor(() => expect(lists()).toBeGreaterThan(before));
    expect(writes).toEqual([]);
    hub.ack('b', { version, status: 'ACK' });
    await vi.waitFor(() => expect(writes).toHaveLength(1));
    expect(writes[0]?.ref).toEqual({ kind: 'TrafficSplit', namespace: 'shop', name: 'canary' });
    expect(writes[0]?.conditions.map((c) => [c.type, c.status, c.reason, c.observedGeneration])).toEqual([
      ['Accepted', 'True', 'Accepted', 1],
      ['Programmed', 'True', 'Programmed', 1],
    ]);
    hub.close();
  });

  it('writes Programmed within a bounded time even while ACKs keep arriving faster than the debounce', async () => {
    vi.useFakeTimers();
    try {
      const { hub, writes, version } = setup(100);
      hub.ack('a', { version, status: 'ACK' });
      hub.ack('b', { version, status: 'ACK' });
      // A re-ACK every 50 ms would postpone a plain 100 ms debounce for ever.
      for (let i = 0; i < 20 && writes.length === 0; i++) {
        await vi.advanceTimersByTimeAsync(50);
        hub.ack('a', { version, status: 'ACK' });
      }
      expect(writes.map((w) => w.conditions.at(-1)?.status)).toEqual(['True']);
      hub.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes Programmed=True for a policy edited back to an earlier spec (a version seen before)', async () => {
    const { hub, writes, edit } = setup();
    const ackAll = (version: string) => {
      for (const id of ['a', 'b']) hub.ack(id, { version, status: 'ACK' });
    };
    const programmedAt = (generation: number) =>
      vi.waitFor(() =>
        expect(writes.at(-1)?.conditions.at(-1)).toMatchObject({
          type: 'Programmed',
          status: 'True',
          observedGeneration: generation,
        }),
      );
    const first = edit([edited(2, 90, undefined)]);
    ackAll(first);
    await programmedAt(2);
    const second = edit([edited(3, 10, writes.at(-1)?.conditions.at(-1))]);
    expect(second).not.toBe(first);
    ackAll(second);
    await programmedAt(3);
    // Generation 4 has generation 2's spec: the same content, so the same version as before.
    expect(edit([edited(4, 90, writes.at(-1)?.conditions.at(-1))])).toBe(first);
    ackAll(first);
    await programmedAt(4);
    hub.close();
  });

  it('writes Programmed=False/Refused with the reason when a proxy NACKs the version', async () => {
    const { hub, writes, version } = setup();
    hub.ack('a', { version, status: 'ACK' });
    hub.ack('b', {
      version,
      status: 'NACK',
      reason: 'split of reviews.shop (TrafficSplit shop/canary): bad',
    });
    await vi.waitFor(() =>
      expect(writes.at(-1)?.conditions.at(-1)).toMatchObject({
        type: 'Programmed',
        status: 'False',
        reason: 'Refused',
        message: `proxy b refused config ${version}: split of reviews.shop (TrafficSplit shop/canary): bad`,
      }),
    );
    hub.close();
  });
});
