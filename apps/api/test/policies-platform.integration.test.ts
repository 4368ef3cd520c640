/**
 * UniversalPolicyPlatform on a real SQLite file and a real PostgreSQL server, without HTTP: what the config
 * stream relies on (onChange after each committed write, setConditions) and the write rules the API test does
 * not reach (labels-only changes, refused writes do not notify, a failing listener does not fail the write).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  policyResourceSchema,
  type ClusterService,
  type Condition,
  type PolicyResource,
  type PolicyResourceInput,
} from '@weft/schema';
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
});
