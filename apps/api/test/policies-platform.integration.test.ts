/**
 * UniversalPolicyPlatform on a real SQLite file and a real PostgreSQL server, without HTTP: what the config
 * stream relies on (onChange after each committed write, setConditions) and the write rules the API test does
 * not reach (labels-only changes, refused writes do not notify, a failing listener does not fail the write),
 * and re-validation when the registry's services change.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  policyResourceSchema,
  type ClusterService,
  type Condition,
  type PolicyResource,
  type PolicyResourceInput,
} from '@weft/schema';
import { compileConfig } from '../src/config-stream/compile.ts';
import { openDatabase, type OpenDatabase } from '../src/db/client.ts';
import { PolicyConflictError, PolicyNotFoundError, PolicyRefusedError } from '../src/policies/platform.ts';
import { UniversalPolicyPlatform } from '../src/policies/universal.ts';
import { BACKENDS, type TestDatabase } from './support/databases.ts';

const SERVICES: ClusterService[] = [
  {
    namespace: 'shop',
    name: 'reviews',
    versions: [
      { version: 'v1', instances: 2 },
      { version: 'v2', instances: 1 },
    ],
  },
];

function resource(input: Partial<PolicyResourceInput> & { name: string; spec?: unknown }): PolicyResource {
  return policyResourceSchema.parse({
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'TrafficSplit',
    spec: { targetRef: { name: 'reviews' }, backends: [{ version: 'v1', weight: 1 }] },
    ...input,
    metadata: { namespace: 'shop', name: input.name, ...input.metadata },
  });
}

const ref = { kind: 'TrafficSplit', namespace: 'shop', name: 'canary' } as const;

describe.each(BACKENDS)('UniversalPolicyPlatform on $name', (backend) => {
  let database: TestDatabase;
  let opened: OpenDatabase;
  let platform: UniversalPolicyPlatform;
  let clock = Date.parse('2026-12-01T10:00:00Z');
  const logged: string[] = [];
  let changes = 0;

  beforeAll(async () => {
    database = await backend.start();
    opened = await openDatabase(database.url);
    platform = new UniversalPolicyPlatform(opened.db, {
      services: () => Promise.resolve(SERVICES),
      now: () => clock,
      log: (line) => logged.push(line),
    });
    platform.onChange(() => changes++);
  });

  afterAll(async () => {
    await opened?.close();
    await database?.stop();
  });

  it('notifies after each committed write, not after a refused or a no-op one', async () => {
    await platform.apply(resource({ name: 'canary' }), 'alice');
    expect(changes).toBe(1);
    await platform.apply(resource({ name: 'canary' }), 'alice');
    expect(changes).toBe(1);
    await expect(
      platform.apply(
        resource({
          name: 'canary',
          spec: { targetRef: { name: 'reviews' }, backends: [{ version: 'v9', weight: 1 }] },
        }),
        'alice',
      ),
    ).rejects.toBeInstanceOf(PolicyRefusedError);
    expect(changes).toBe(1);
    await expect(platform.apply(resource({ name: 'other' }), 'alice')).rejects.toMatchObject({
      findings: [expect.objectContaining({ code: 'WEFT2003' })],
    });
    expect(changes).toBe(1);
  });

  it('changes labels without a new generation or revision, but with a new resourceVersion', async () => {
    const before = (await platform.get(ref))!;
    clock += 1000;
    const after = await platform.apply(
      resource({ name: 'canary', metadata: { name: 'canary', namespace: 'shop', labels: { team: 'a' } } }),
      'bob',
    );
    expect(after.resource.metadata.labels).toEqual({ team: 'a' });
    expect(after.resource.metadata.generation).toBe(1);
    expect(after.resource.metadata.resourceVersion).not.toBe(before.resource.metadata.resourceVersion);
    expect(after.updatedBy).toBe('bob');
    expect(await platform.history(ref)).toHaveLength(1);
    expect(changes).toBe(2);
    // The Accepted condition did not change status, so it keeps its transition time.
    const accepted = (s: typeof before) => s.conditions.find((c) => c.type === 'Accepted');
    expect(accepted(after)?.lastTransitionTime).toBe(accepted(before)?.lastTransitionTime);
  });

  it('sets conditions for the config stream: merged by type, a no-op when nothing changed', async () => {
    const programmed: Condition = {
      type: 'Programmed',
      status: 'True',
      reason: 'Programmed',
      message: 'sent to 3 proxies',
      lastTransitionTime: new Date(clock).toISOString(),
      observedGeneration: 1,
    };
    const before = (await platform.get(ref))!;
    await platform.setConditions(ref, [programmed]);
    expect(changes).toBe(3);
    const after = (await platform.get(ref))!;
    expect(after.conditions.map((c) => [c.type, c.status])).toEqual([
      ['Accepted', 'True'],
      ['Programmed', 'True'],
    ]);
    expect(after.resource.metadata.generation).toBe(1);
    expect(after.resource.metadata.resourceVersion).not.toBe(before.resource.metadata.resourceVersion);

    clock += 1000;
    await platform.setConditions(ref, [{ ...programmed, lastTransitionTime: new Date(clock).toISOString() }]);
    expect(changes).toBe(3);
    expect((await platform.get(ref))!.resource.metadata.resourceVersion).toBe(
      after.resource.metadata.resourceVersion,
    );

    await expect(platform.setConditions({ ...ref, name: 'missing' }, [programmed])).rejects.toBeInstanceOf(
      PolicyNotFoundError,
    );
    await expect(
      platform.setConditions(ref, [{ ...programmed, status: 'Maybe' as Condition['status'] }]),
    ).rejects.toThrow();
  });

  it('resets Programmed to Pending when the spec changes', async () => {
    const updated = await platform.apply(
      resource({
        name: 'canary',
        metadata: { name: 'canary', namespace: 'shop', labels: { team: 'a' } },
        spec: {
          targetRef: { name: 'reviews' },
          backends: [
            { version: 'v1', weight: 1 },
            { version: 'v2', weight: 1 },
          ],
        },
      }),
      'alice',
    );
    expect(updated.resource.metadata.generation).toBe(2);
    expect(updated.conditions.find((c) => c.type === 'Programmed')).toMatchObject({
      status: 'Unknown',
      reason: 'Pending',
      observedGeneration: 2,
    });
  });

  it('keeps a write that a failing listener would otherwise fail', async () => {
    const unsubscribe = platform.onChange(() => {
      throw new Error('listener broke');
    });
    await platform.apply(
      resource({ name: 'canary', metadata: { name: 'canary', namespace: 'shop' } }),
      'alice',
    );
    unsubscribe();
    expect(logged.some((line) => line.includes('listener broke'))).toBe(true);
    expect((await platform.get(ref))!.resource.metadata.labels).toBeUndefined();
  });

  it('refuses a delete with a stale resourceVersion and of a missing policy', async () => {
    await expect(platform.delete(ref, 'alice', '1')).rejects.toBeInstanceOf(PolicyConflictError);
    await expect(platform.delete({ ...ref, name: 'missing' }, 'alice')).rejects.toBeInstanceOf(
      PolicyNotFoundError,
    );
    const count = changes;
    await platform.delete(ref, 'alice');
    expect(changes).toBe(count + 1);
    expect(await platform.get(ref)).toBeNull();
  });

  it('bounds history and answers newest first', async () => {
    const all = await platform.history();
    expect(all.map((r) => [r.revision, r.action])).toEqual([
      [4, 'delete'],
      [3, 'update'],
      [2, 'update'],
      [1, 'create'],
    ]);
    expect(await platform.history({}, 1)).toHaveLength(1);
    expect(await platform.history({}, 0)).toHaveLength(1);
    expect(await platform.history({ namespace: 'elsewhere' })).toEqual([]);
  });
  describe('re-validation when the cluster changes', () => {
    const NS = 'inventory';
    let cluster: ClusterService[] = [];
    const listeners = new Set<() => void>();
    let revalidating: UniversalPolicyPlatform;
    const inventory = (name: string, versions: [string, number][]): ClusterService => ({
      namespace: NS,
      name,
      versions: versions.map(([version, instances]) => ({ version, instances })),
    });
    const clusterChanged = (next: ClusterService[]) => {
      cluster = next;
      for (const l of listeners) l();
    };
    const canary = { kind: 'TrafficSplit', namespace: NS, name: 'stock-canary' } as const;
    const timeout = { kind: 'TimeoutPolicy', namespace: NS, name: 'prices-timeout' } as const;
    const accepted = async (r: typeof canary | typeof timeout) =>
      (await revalidating.get(r))?.conditions.find((c) => c.type === 'Accepted');
    const WAIT = { timeout: 10_000, interval: 20 };

    beforeAll(async () => {
      cluster = [
        inventory('stock', [
          ['v1', 2],
          ['v2', 1],
        ]),
        inventory('prices', [['v1', 1]]),
      ];
      revalidating = new UniversalPolicyPlatform(opened.db, {
        services: () => Promise.resolve(cluster),
        clusterChanges: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        revalidation: { debounceMs: 10, maxDelayMs: 100, targetGraceMs: 0 },
        log: (line) => logged.push(line),
      });
      await revalidating.apply(
        policyResourceSchema.parse({
          apiVersion: 'policy.weft.dev/v1alpha1',
          kind: 'TrafficSplit',
          metadata: { namespace: NS, name: 'stock-canary' },
          spec: {
            targetRef: { name: 'stock' },
            backends: [
              { version: 'v1', weight: 90 },
              { version: 'v2', weight: 10 },
            ],
          },
        }),
        'alice',
      );
      await revalidating.apply(
        policyResourceSchema.parse({
          apiVersion: 'policy.weft.dev/v1alpha1',
          kind: 'TimeoutPolicy',
          metadata: { namespace: NS, name: 'prices-timeout' },
          spec: { targetRef: { name: 'prices' }, request: '2s' },
        }),
        'alice',
      );
    });

    afterAll(() => revalidating?.close());

    it('takes Accepted back when the target Service is gone, so the policy is not compiled, and gives it back', async () => {
      const splitBefore = (await revalidating.get(canary))!;
      clusterChanged([cluster[0]!]);
      await vi.waitFor(async () => {
        expect(await accepted(timeout)).toMatchObject({
          status: 'False',
          reason: 'TargetNotFound',
          message: expect.stringContaining('WEFT1001 spec.targetRef.name') as string,
          observedGeneration: 1,
        });
      }, WAIT);
      const gone = (await revalidating.get(timeout))!;
      expect(gone.findings.map((f) => f.code)).toEqual(['WEFT1001']);
      expect(gone.resource.metadata.generation).toBe(1);
      // Only accepted policies are compiled: the timeout is not sent any more.
      const compiled = compileConfig([], await revalidating.list({ namespace: NS }));
      expect(compiled.config.policies?.map((p) => p.service)).toEqual(['stock']);
      expect(compiled.programs.find((p) => p.ref.name === 'prices-timeout')?.outcome).toEqual({
        kind: 'not-accepted',
      });
      // The split was not touched.
      expect((await revalidating.get(canary))!.resource.metadata.resourceVersion).toBe(
        splitBefore.resource.metadata.resourceVersion,
      );
      // Nothing changed since: another pass writes nothing.
      expect(await revalidating.revalidate()).toBe(0);

      clusterChanged([cluster[0]!, inventory('prices', [['v1', 1]])]);
      await vi.waitFor(async () => {
        expect(await accepted(timeout)).toMatchObject({ status: 'True', reason: 'Accepted' });
      }, WAIT);
      expect((await revalidating.get(timeout))!.findings).toEqual([]);
      expect(logged.some((l) => l.includes(`TimeoutPolicy ${NS}/prices-timeout is accepted again`))).toBe(
        true,
      );
    });

    it('leaves Accepted to the platform: the config stream’s setConditions cannot undo re-validation', async () => {
      const before = (await accepted(timeout))!;
      await revalidating.setConditions(timeout, [
        { ...before, status: 'False', reason: 'Invalid', message: 'a stale copy' },
      ]);
      expect(await accepted(timeout)).toEqual(before);
    });

    it('keeps a split accepted when a version loses its instances, and says so in the Accepted message', async () => {
      const prices = cluster[1]!;
      clusterChanged([
        inventory('stock', [
          ['v1', 2],
          ['v2', 0],
        ]),
        prices,
      ]);
      await vi.waitFor(async () => {
        const c = await accepted(canary);
        expect(c).toMatchObject({ status: 'True', reason: 'Accepted' });
        expect(c?.message).toMatch(
          /^the policy is valid, with warnings: WEFT2002 spec\.backends\.1\.version/,
        );
      }, WAIT);
      const warned = (await revalidating.get(canary))!;
      expect(warned.findings).toEqual([
        expect.objectContaining({ code: 'WEFT2002', severity: 'warning', path: 'spec.backends.1.version' }),
      ]);
      // Another version appearing changes the wording only: not written.
      clusterChanged([
        inventory('stock', [
          ['v1', 2],
          ['v2', 0],
          ['v3', 1],
        ]),
        prices,
      ]);
      expect(await revalidating.revalidate()).toBe(0);
      expect((await revalidating.get(canary))!.resource.metadata.resourceVersion).toBe(
        warned.resource.metadata.resourceVersion,
      );

      clusterChanged([
        inventory('stock', [
          ['v1', 2],
          ['v2', 1],
        ]),
        prices,
      ]);
      await vi.waitFor(async () => {
        expect((await accepted(canary))?.message).toBe('the policy is valid');
      }, WAIT);
    });
  });
});
