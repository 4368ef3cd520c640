/**
 * PATCH through the real @kubernetes/client-node: JSON patch, merge patch, strategic merge patch and
 * server-side apply (field managers, conflicts, force, removal of fields no longer applied).
 */
import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, statusOf, WIDGET_CRD, type TestCluster } from './test-helpers.ts';

let c: TestCluster;
const ns = 'patch';
beforeAll(async () => {
  c = await startTestCluster();
  await c.core.createNamespace({ body: { metadata: { name: ns } } });
  await c.crds.createCustomResourceDefinition({ body: WIDGET_CRD });
});
afterAll(async () => {
  await c.api.close();
});

const as = (strategy: string) => setHeaderOptions('Content-Type', strategy);

const deployment = (name: string, extra: Partial<V1Deployment['spec']> = {}): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'sidecar', image: 'proxy:1' },
        ],
      },
    },
    ...extra,
  },
});

describe('JSON patch and merge patch', () => {
  it('JSON patch (the client default) applies RFC 6902 operations', async () => {
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment('jp') });
    const patched = await c.apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'jp',
      body: [
        { op: 'replace', path: '/spec/replicas', value: 4 },
        { op: 'add', path: '/metadata/labels', value: { patched: 'yes' } },
      ],
    });
    expect(patched.spec?.replicas).toBe(4);
    expect(patched.metadata?.labels).toEqual({ patched: 'yes' });
    expect(patched.metadata?.generation).toBe(2);

    const failed = await statusOf(
      c.apps.patchNamespacedDeployment({
        namespace: ns,
        name: 'jp',
        body: [{ op: 'test', path: '/spec/replicas', value: 99 }],
      }),
    );
    expect(failed).toMatchObject({ kind: 'Status', code: 422, reason: 'Invalid' });
  });

  it('merge patch merges maps and deletes with null; a stale resourceVersion in it is a 409', async () => {
    await c.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'mp', labels: { a: '1', b: '2' } }, data: { x: '1' } },
    });
    const patched = await c.core.patchNamespacedConfigMap(
      { namespace: ns, name: 'mp', body: { metadata: { labels: { b: null, c: '3' } }, data: { y: '2' } } },
      as(PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.labels).toEqual({ a: '1', c: '3' });
    expect(patched.data).toEqual({ x: '1', y: '2' });
    const stale = await statusOf(
      c.core.patchNamespacedConfigMap(
        { namespace: ns, name: 'mp', body: { metadata: { resourceVersion: '1' }, data: { z: '3' } } },
        as(PatchStrategy.MergePatch),
      ),
    );
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('merge patch validates the result against the CRD schema', async () => {
    const widgets = { group: 'mesh.weft.dev', version: 'v1', namespace: ns, plural: 'widgets' };
    await c.custom.createNamespacedCustomObject({
      ...widgets,
      body: { apiVersion: 'mesh.weft.dev/v1', kind: 'Widget', metadata: { name: 'mw' }, spec: { host: 'a' } },
    });
    const status = await statusOf(
      c.custom.patchNamespacedCustomObject(
        { ...widgets, name: 'mw', body: { spec: { weight: -1 } } },
        as(PatchStrategy.MergePatch),
      ),
    );
    expect(status.details?.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: -1: spec.weight in body should be greater than or equal to 0',
        field: 'spec.weight',
      },
    ]);
    const unsupported = await statusOf(
      c.custom.patchNamespacedCustomObject(
        { ...widgets, name: 'mw', body: { spec: { weight: 1 } } },
        as(PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(unsupported).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
  });

  it('strategic merge patch merges containers by name', async () => {
    await c.apps.createNamespacedDeployment({ namespace: ns, body: deployment('smp') });
    const patched = await c.apps.patchNamespacedDeployment(
      {
        namespace: ns,
        name: 'smp',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } },
      },
      as(PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.template.spec?.containers.map((k) => `${k.name}=${k.image}`)).toEqual([
      'app=app:2',
      'sidecar=proxy:1',
    ]);
  });

  it('dryRun=All validates and answers without writing', async () => {
    const before = await c.core.readNamespacedConfigMap({ namespace: ns, name: 'mp' });
    const dry = await c.core.patchNamespacedConfigMap(
      { namespace: ns, name: 'mp', body: { data: { dry: 'run' } }, dryRun: 'All' },
      as(PatchStrategy.MergePatch),
    );
    expect(dry.data?.dry).toBe('run');
    const after = await c.core.readNamespacedConfigMap({ namespace: ns, name: 'mp' });
    expect(after.data?.dry).toBeUndefined();
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });
});

describe('server-side apply', () => {
  const apply = (body: object, fieldManager: string, force?: boolean) =>
    c.apps.patchNamespacedDeployment(
      { namespace: ns, name: 'ssa', body, fieldManager, force },
      as(PatchStrategy.ServerSideApply),
    );

  it('creates, then merges by manager; conflicts are 409 unless forced', async () => {
    const created = await apply(deployment('ssa', { replicas: 2 }), 'ctrl-a');
    expect(created.spec?.replicas).toBe(2);
    expect(created.metadata?.managedFields).toEqual([
      expect.objectContaining({
        manager: 'ctrl-a',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
      }),
    ]);
    const fields = created.metadata?.managedFields?.[0]?.fieldsV1 as Record<string, Record<string, unknown>>;
    expect(fields['f:spec']).toHaveProperty('f:replicas');

    // Re-applying the same configuration is a no-op: no new resourceVersion.
    const again = await apply(deployment('ssa', { replicas: 2 }), 'ctrl-a');
    expect(again.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    // Another manager changing a field ctrl-a owns: conflict.
    const conflict = await statusOf(
      apply(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ssa' }, spec: { replicas: 5 } },
        'ctrl-b',
      ),
    );
    expect(conflict).toMatchObject({
      kind: 'Status',
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "ctrl-a" using apps/v1: .spec.replicas',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "ctrl-a" using apps/v1',
            field: '.spec.replicas',
          },
        ],
      },
    });

    // Agreeing on the value is not a conflict; forcing takes ownership.
    await apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'ssa', labels: { owner: 'b' } },
        spec: { replicas: 2 },
      },
      'ctrl-b',
    );
    const forced = await apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'ssa', labels: { owner: 'b' } },
        spec: { replicas: 5 },
      },
      'ctrl-b',
      true,
    );
    expect(forced.spec?.replicas).toBe(5);
    expect(forced.metadata?.generation).toBe(2);
    const a = forced.metadata?.managedFields?.find((m) => m.manager === 'ctrl-a')?.fieldsV1 as Record<
      string,
      Record<string, unknown>
    >;
    const b = forced.metadata?.managedFields?.find((m) => m.manager === 'ctrl-b')?.fieldsV1 as Record<
      string,
      Record<string, unknown>
    >;
    expect(a['f:spec']).not.toHaveProperty('f:replicas');
    expect(b['f:spec']).toHaveProperty('f:replicas');

    // Now ctrl-a's old value conflicts with ctrl-b.
    const back = await statusOf(apply(deployment('ssa', { replicas: 2 }), 'ctrl-a'));
    expect(back.message).toBe(
      'Apply failed with 1 conflict: conflict with "ctrl-b" using apps/v1: .spec.replicas',
    );
  });

  it('removes fields a manager stops applying, unless another manager owns them', async () => {
    const withLabels = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ssa', labels: { mine: 'x', owner: 'b' } },
    };
    await apply(withLabels, 'ctrl-c');
    const dropped = await apply(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ssa' } },
      'ctrl-c',
    );
    // `mine` was only ctrl-c's: gone. `owner` is also ctrl-b's: kept.
    expect(dropped.metadata?.labels).toEqual({ owner: 'b' });
  });

  it('merges list items by key (containers by name)', async () => {
    const updated = await apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'ssa' },
        spec: { template: { spec: { containers: [{ name: 'extra', image: 'x:1' }] } } },
      },
      'ctrl-d',
    );
    expect(updated.spec?.template.spec?.containers.map((k) => k.name)).toEqual(['app', 'sidecar', 'extra']);
  });

  it('needs a fieldManager', async () => {
    const res = await fetch(`${c.api.url}/apis/apps/v1/namespaces/${ns}/deployments/ssa`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa\n',
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      details: { causes: [expect.objectContaining({ field: 'fieldManager' })] },
    });
  });

  it('accepts YAML bodies and applies custom resources and their status', async () => {
    const url = `${c.api.url}/apis/mesh.weft.dev/v1/namespaces/${ns}/widgets/applied`;
    const res = await fetch(`${url}?fieldManager=weft-controller`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: 'apiVersion: mesh.weft.dev/v1\nkind: Widget\nmetadata:\n  name: applied\nspec:\n  host: a.local\n  backends:\n    - name: one\n      port: 80\n',
    });
    expect(res.status).toBe(201);
    const widgets = { group: 'mesh.weft.dev', version: 'v1', namespace: ns, plural: 'widgets' };
    const second = (await c.custom.patchNamespacedCustomObject(
      {
        ...widgets,
        name: 'applied',
        body: {
          apiVersion: 'mesh.weft.dev/v1',
          kind: 'Widget',
          metadata: { name: 'applied' },
          spec: { backends: [{ name: 'two', port: 81 }] },
        },
        fieldManager: 'other',
      },
      as(PatchStrategy.ServerSideApply),
    )) as { spec: { host: string; backends: { name: string }[] }; metadata: { generation: number } };
    // backends is an x-kubernetes-list-type=map list keyed by name: items from both managers are kept.
    expect(second.spec.backends.map((b) => b.name)).toEqual(['one', 'two']);
    expect(second.spec.host).toBe('a.local');
    expect(second.metadata.generation).toBe(2);

    const status = (await c.custom.patchNamespacedCustomObjectStatus(
      {
        ...widgets,
        name: 'applied',
        body: {
          apiVersion: 'mesh.weft.dev/v1',
          kind: 'Widget',
          metadata: { name: 'applied' },
          status: { ready: true },
        },
        fieldManager: 'weft-controller',
        force: true,
      },
      as(PatchStrategy.ServerSideApply),
    )) as {
      status: { ready: boolean };
      metadata: { generation: number; managedFields: { manager: string; subresource?: string }[] };
    };
    expect(status.status).toEqual({ ready: true });
    expect(status.metadata.generation).toBe(2);
    expect(status.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'weft-controller', subresource: 'status' }),
    );
  });

  it('the test handle applies directly, visible to clients', async () => {
    c.api.store.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'direct', namespace: ns },
      data: { k: 'v' },
    });
    const read = await c.core.readNamespacedConfigMap({ namespace: ns, name: 'direct' });
    expect(read.data).toEqual({ k: 'v' });
    expect(read.metadata?.managedFields?.[0]?.manager).toBe('test-support');
  });
});
