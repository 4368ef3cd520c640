/**
 * The policy API over HTTP, as the console and the CLI use it, on SQLite and PostgreSQL: services are real
 * registrations (workload tokens), people are an editor and a viewer created by the admin. Every refusal is
 * checked for its status, its codes and for having stored nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition, Finding, PolicyResourceInput } from '@weft/schema';
import { startApi, type RunningApi } from '../src/app.ts';
import type { PolicyRevision, StoredPolicy } from '../src/policies/platform.ts';
import {
  bearer,
  signIn,
  testApiOptions,
  trpcCall,
  trpcMutation,
  trpcQuery,
  workloadToken,
  type Session,
  type TrpcAnswer,
} from './support/auth.ts';
import { BACKENDS, type TestDatabase } from './support/databases.ts';

/** The workloads that register: reviews has v1 and v2 running, ratings only v1. */
const WORKLOADS = [
  { proxyId: 'reviews-v1-1', service: 'reviews', version: 'v1', port: 16001 },
  { proxyId: 'reviews-v2-1', service: 'reviews', version: 'v2', port: 16002 },
  { proxyId: 'ratings-v1-1', service: 'ratings', version: 'v1', port: 16003 },
] as const;

function split(
  name: string,
  service: string,
  backends: { version: string; weight: number }[],
  resourceVersion?: string,
): PolicyResourceInput {
  return {
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name, namespace: 'shop', ...(resourceVersion ? { resourceVersion } : {}) },
    spec: { targetRef: { name: service }, backends },
  };
}

const CANARY = [
  { version: 'v1', weight: 90 },
  { version: 'v2', weight: 10 },
];
const HALF = [
  { version: 'v1', weight: 50 },
  { version: 'v2', weight: 50 },
];
const canaryRef = { kind: 'TrafficSplit', namespace: 'shop', name: 'reviews-canary' } as const;

interface ErrorData {
  code?: string;
  httpStatus?: number;
  findings?: Finding[] | null;
  zodError?: unknown;
}

function errorData(answer: TrpcAnswer): ErrorData {
  const data: ErrorData | undefined = answer.body.error?.data;
  return data ?? {};
}

function condition(stored: StoredPolicy, type: string): Condition | undefined {
  return stored.conditions.find((c) => c.type === type);
}

describe.each(BACKENDS)('the policy API on $name', (backend) => {
  let database: TestDatabase;
  let api: RunningApi;
  let admin: Session;
  let editor: Session;
  let viewer: Session;

  const apply = (session: Session | null, resource: unknown) =>
    trpcCall(api.url, session, 'policies.upsert', resource, 'mutation');
  const get = (ref: object = canaryRef) => trpcCall(api.url, viewer, 'policies.get', ref, 'query');
  const list = (filter?: object) => trpcQuery<StoredPolicy[]>(api.url, viewer, 'policies.list', filter);
  const history = (filter?: object) =>
    trpcQuery<PolicyRevision[]>(api.url, viewer, 'policies.history', filter);

  /** Everything a refused call must leave as it was. */
  async function snapshot() {
    return { policies: await list(), history: await history({ limit: 500 }) };
  }

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url), () => undefined);
    admin = await signIn(api.url);
    for (const role of ['editor', 'viewer'] as const) {
      await trpcMutation(api.url, admin, 'users.create', {
        username: `${role}-user`,
        role,
        password: `${role}-password-123`,
      });
    }
    editor = await signIn(api.url, 'editor-user', 'editor-password-123');
    viewer = await signIn(api.url, 'viewer-user', 'viewer-password-123');
    for (const w of WORKLOADS) {
      const token = await workloadToken(api.url, admin, {
        namespace: 'shop',
        service: w.service,
        version: w.version,
      });
      const res = await fetch(`${api.url}/v1/proxies/register`, {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify({
          proxyId: w.proxyId,
          service: w.service,
          namespace: 'shop',
          version: w.version,
          inboundAddress: `127.0.0.1:${w.port}`,
          adminAddress: '127.0.0.1:9901',
        }),
      });
      expect(res.status, `register ${w.proxyId}`).toBe(200);
    }
  });

  afterAll(async () => {
    await api?.close();
    await database?.stop();
  });

  let created: StoredPolicy;

  it('applies a valid TrafficSplit and reads it back with resourceVersion, generation 1 and Accepted=True', async () => {
    const answer = await apply(editor, split('reviews-canary', 'reviews', CANARY));
    expect(answer.status, JSON.stringify(answer.body.error)).toBe(200);
    created = answer.body.result?.data as StoredPolicy;
    expect(created.resource.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(created.resource.metadata.generation).toBe(1);
    expect(created.resource.metadata.uid).toBeTruthy();
    expect(created.updatedBy).toBe('editor-user');
    expect(created.findings).toEqual([]);
    expect(condition(created, 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    expect(condition(created, 'Programmed')).toMatchObject({
      status: 'Unknown',
      reason: 'Pending',
      observedGeneration: 1,
    });

    const read = await get();
    expect(read.status).toBe(200);
    const stored = read.body.result?.data as StoredPolicy;
    expect(stored).toEqual(created);
    expect(stored.resource.spec).toEqual({
      targetRef: { group: '', kind: 'Service', name: 'reviews' },
      backends: CANARY,
    });

    expect(await list()).toHaveLength(1);
    expect(await list({ kind: 'TrafficSplit', namespace: 'shop' })).toHaveLength(1);
    expect(await list({ kind: 'RetryPolicy' })).toHaveLength(0);
    expect(await list({ namespace: 'other' })).toHaveLength(0);
    const revisions = await history(canaryRef);
    expect(revisions).toHaveLength(1);
    expect(revisions[0]).toMatchObject({
      revision: 1,
      action: 'create',
      previousSpec: null,
      by: 'editor-user',
    });
  });

  it('updates with the current resourceVersion: generation 2 and a history entry with the previous spec', async () => {
    const rv = created.resource.metadata.resourceVersion;
    const answer = await apply(editor, split('reviews-canary', 'reviews', HALF, rv));
    expect(answer.status, JSON.stringify(answer.body.error)).toBe(200);
    const updated = answer.body.result?.data as StoredPolicy;
    expect(updated.resource.metadata.generation).toBe(2);
    expect(Number(updated.resource.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(updated.resource.metadata.uid).toBe(created.resource.metadata.uid);
    expect(condition(updated, 'Accepted')).toMatchObject({ status: 'True', observedGeneration: 2 });
    expect(condition(updated, 'Programmed')).toMatchObject({ status: 'Unknown', observedGeneration: 2 });

    const revisions = await history(canaryRef);
    expect(revisions.map((r) => [r.revision, r.action])).toEqual([
      [2, 'update'],
      [1, 'create'],
    ]);
    expect(revisions[0]?.spec).toMatchObject({ backends: HALF });
    expect(revisions[0]?.previousSpec).toMatchObject({ backends: CANARY });

    // The same spec again: nothing to do, so no new revision, generation or resourceVersion.
    const again = await apply(editor, split('reviews-canary', 'reviews', HALF));
    expect(again.status).toBe(200);
    const same = again.body.result?.data as StoredPolicy;
    expect(same.resource.metadata.generation).toBe(2);
    expect(same.resource.metadata.resourceVersion).toBe(updated.resource.metadata.resourceVersion);
    expect(await history(canaryRef)).toHaveLength(2);
  });

  it('refuses a stale resourceVersion with 409 and changes nothing', async () => {
    const before = await snapshot();
    const stale = created.resource.metadata.resourceVersion;
    const answer = await apply(editor, split('reviews-canary', 'reviews', CANARY, stale));
    expect(answer.status).toBe(409);
    expect(errorData(answer).code).toBe('CONFLICT');
    expect(answer.body.error?.message).toMatch(/changed after you read it.*read it again.*retry/);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    {
      what: 'weights that sum to 0',
      resource: split('ratings-zero', 'ratings', [{ version: 'v1', weight: 0 }]),
      code: 'WEFT2001',
      path: 'spec.backends',
    },
    {
      what: 'a version with no instances',
      resource: split('ratings-canary', 'ratings', [
        { version: 'v1', weight: 50 },
        { version: 'v3', weight: 50 },
      ]),
      code: 'WEFT2002',
      path: 'spec.backends.1.version',
    },
    {
      what: 'a second split on the same service',
      resource: split('reviews-second', 'reviews', CANARY),
      code: 'WEFT2003',
      path: 'spec.targetRef',
    },
    {
      what: 'a service that does not exist',
      resource: split('nowhere-split', 'nowhere', CANARY),
      code: 'WEFT1001',
      path: 'spec.targetRef.name',
    },
  ])('refuses $what with 400, the code in data.findings, and stores nothing', async (c) => {
    const before = await snapshot();
    const answer = await apply(editor, c.resource);
    expect(answer.status).toBe(400);
    expect(errorData(answer).code).toBe('BAD_REQUEST');
    expect(answer.body.error?.message).toContain(c.code);
    const findings = errorData(answer).findings ?? [];
    expect(findings).toContainEqual(
      expect.objectContaining({ code: c.code, severity: 'error', path: c.path }),
    );
    expect(await snapshot()).toEqual(before);
    const meta = (c.resource as { metadata: { name: string } }).metadata;
    expect((await get({ kind: 'TrafficSplit', namespace: 'shop', name: meta.name })).status).toBe(404);
  });

  it('refuses input the schema does not allow with 400 naming the field', async () => {
    const before = await snapshot();
    const negative = await apply(editor, split('ratings-neg', 'ratings', [{ version: 'v1', weight: -1 }]));
    expect(negative.status).toBe(400);
    expect(negative.body.error?.message).toMatch(/spec\.backends\.0\.weight: /);
    expect(errorData(negative).zodError).toBeTruthy();

    const noName = await apply(editor, {
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'TrafficSplit',
      metadata: { namespace: 'shop', name: 'Not_A_Name' },
      spec: { targetRef: { name: 'ratings' }, backends: [{ version: 'v1', weight: 1 }] },
    });
    expect(noName.status).toBe(400);
    expect(noName.body.error?.message).toMatch(/metadata\.name: must be a DNS subdomain/);

    const badKind = await apply(editor, { ...split('x', 'ratings', CANARY), kind: 'Gateway' });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error?.message).toMatch(/kind/);
    expect(await snapshot()).toEqual(before);
  });

  it('lets a viewer read and dry-run but not apply or delete (403)', async () => {
    const before = await snapshot();
    const answer = await apply(viewer, split('ratings-viewer', 'ratings', [{ version: 'v1', weight: 1 }]));
    expect(answer.status).toBe(403);
    expect(answer.body.error?.message).toContain('needs the editor role');
    const del = await trpcCall(api.url, viewer, 'policies.delete', canaryRef, 'mutation');
    expect(del.status).toBe(403);
    expect((await get()).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  it('dry-runs validation: findings for schema and cluster errors, nothing stored', async () => {
    const before = await snapshot();
    const dryRun = (resource: unknown) =>
      trpcMutation<{ findings: { code: string; path: string }[] }>(
        api.url,
        viewer,
        'policies.validate',
        resource,
      );
    expect(await dryRun(split('ratings-ok', 'ratings', [{ version: 'v1', weight: 1 }]))).toEqual({
      findings: [],
    });
    expect((await dryRun(split('ratings-zero', 'ratings', [{ version: 'v1', weight: 0 }]))).findings).toEqual(
      [expect.objectContaining({ code: 'WEFT2001', path: 'spec.backends' })],
    );
    expect((await dryRun(split('ratings-neg', 'ratings', [{ version: 'v1', weight: -1 }]))).findings).toEqual(
      [expect.objectContaining({ code: 'SCHEMA', path: 'spec.backends.0.weight' })],
    );
    // Validated as an update of itself: no WEFT2003 against its own stored version.
    expect((await dryRun(split('reviews-canary', 'reviews', CANARY))).findings).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('lets only one of two concurrent splits for one service in', async () => {
    const answers = await Promise.all([
      apply(editor, split('ratings-a', 'ratings', [{ version: 'v1', weight: 1 }])),
      apply(editor, split('ratings-b', 'ratings', [{ version: 'v1', weight: 1 }])),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const refused = answers.find((a) => a.status === 400) as TrpcAnswer;
    expect(errorData(refused).findings?.map((f) => f.code)).toContain('WEFT2003');
    const splits = (await list({ kind: 'TrafficSplit' })).filter(
      (p) => p.resource.spec.targetRef.name === 'ratings',
    );
    expect(splits).toHaveLength(1);
  });

  it('deletes with a history entry; a stale resourceVersion is refused and a re-create starts over', async () => {
    const current = (await get()).body.result?.data as StoredPolicy;
    const stale = await trpcCall(
      api.url,
      editor,
      'policies.delete',
      { ...canaryRef, resourceVersion: created.resource.metadata.resourceVersion },
      'mutation',
    );
    expect(stale.status).toBe(409);
    expect((await get()).status).toBe(200);

    expect(
      await trpcMutation(api.url, editor, 'policies.delete', {
        ...canaryRef,
        resourceVersion: current.resource.metadata.resourceVersion,
      }),
    ).toEqual({ ok: true });
    const gone = await get();
    expect(gone.status).toBe(404);
    expect(errorData(gone).code).toBe('NOT_FOUND');

    const revisions = await history(canaryRef);
    expect(revisions.map((r) => [r.revision, r.action])).toEqual([
      [3, 'delete'],
      [2, 'update'],
      [1, 'create'],
    ]);
    expect(revisions[0]).toMatchObject({ spec: null, previousSpec: { backends: HALF }, by: 'editor-user' });

    const again = await trpcCall(api.url, editor, 'policies.delete', canaryRef, 'mutation');
    expect(again.status).toBe(404);

    // An update sent with the old resourceVersion of a deleted policy does not resurrect it.
    const resurrect = await apply(
      editor,
      split('reviews-canary', 'reviews', CANARY, current.resource.metadata.resourceVersion),
    );
    expect(resurrect.status).toBe(409);

    const recreated = await trpcMutation<StoredPolicy>(
      api.url,
      editor,
      'policies.upsert',
      split('reviews-canary', 'reviews', CANARY),
    );
    expect(recreated.resource.metadata.generation).toBe(1);
    expect(recreated.resource.metadata.uid).not.toBe(created.resource.metadata.uid);
    expect(Number(recreated.resource.metadata.resourceVersion)).toBeGreaterThan(
      Number(current.resource.metadata.resourceVersion),
    );
    expect((await history({ ...canaryRef, limit: 1 }))[0]).toMatchObject({ revision: 4, action: 'create' });
  });

  it('bounds the history limit', async () => {
    const tooMany = await trpcCall(api.url, viewer, 'policies.history', { limit: 501 }, 'query');
    expect(tooMany.status).toBe(400);
    expect(await history({ namespace: 'shop', limit: 2 })).toHaveLength(2);
  });
});
