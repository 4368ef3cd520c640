/**
 * CustomResourceDefinitions and custom resources through the real @kubernetes/client-node: dynamic serving,
 * discovery, schema validation (422 with field causes), pruning, defaulting, status subresource and generation.
 */
import { readFile } from 'node:fs/promises';
import {
  ApisApi,
  loadYaml,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GADGET_CRD, startTestCluster, statusOf, WIDGET_CRD, type TestCluster } from './test-helpers.ts';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    uid?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

let c: TestCluster;
const widgets = { group: 'mesh.weft.dev', version: 'v1', namespace: 'shop', plural: 'widgets' };
const widget = (name: string, spec: Record<string, unknown>, extra: Partial<Obj> = {}): Obj => ({
  apiVersion: 'mesh.weft.dev/v1',
  kind: 'Widget',
  metadata: { name },
  spec,
  ...extra,
});

beforeAll(async () => {
  c = await startTestCluster();
  await c.core.createNamespace({ body: { metadata: { name: 'shop' } } });
  await c.crds.createCustomResourceDefinition({ body: WIDGET_CRD });
  await c.crds.createCustomResourceDefinition({ body: GADGET_CRD });
});
afterAll(async () => {
  await c.api.close();
});

describe('CustomResourceDefinitions', () => {
  it('become established and are served in discovery', async () => {
    const crd = await c.crds.readCustomResourceDefinition({ name: 'widgets.mesh.weft.dev' });
    expect(crd.status?.conditions?.find((cond) => cond.type === 'Established')?.status).toBe('True');
    expect(crd.status?.acceptedNames).toMatchObject({ plural: 'widgets', kind: 'Widget' });
    expect(crd.status?.storedVersions).toEqual(['v1']);
    expect(crd.metadata?.generation).toBe(1);

    const groups = await c.kc.makeApiClient(ApisApi).getAPIVersions();
    const group = groups.groups.find((g) => g.name === 'mesh.weft.dev');
    expect(group?.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1', 'v1alpha1']);
    expect(group?.preferredVersion?.version).toBe('v1');

    const res = await fetch(`${c.api.url}/apis/mesh.weft.dev/v1`);
    const list = (await res.json()) as { groupVersion: string; resources: Record<string, unknown>[] };
    expect(list.groupVersion).toBe('mesh.weft.dev/v1');
    expect(list.resources).toEqual([
      expect.objectContaining({
        name: 'widgets',
        singularName: 'widget',
        namespaced: true,
        kind: 'Widget',
        shortNames: ['wd'],
        categories: ['weft'],
      }),
      expect.objectContaining({
        name: 'widgets/status',
        namespaced: true,
        kind: 'Widget',
        verbs: ['get', 'patch', 'update'],
      }),
    ]);
    const alpha = (await (await fetch(`${c.api.url}/apis/mesh.weft.dev/v1alpha1`)).json()) as {
      resources: Record<string, unknown>[];
    };
    expect(alpha.resources).toEqual([
      expect.objectContaining({ name: 'gadgets', singularName: 'gadget', namespaced: false, kind: 'Gadget' }),
    ]);
  });

  it('are validated: name must be <plural>.<group>, schemas must be structural', async () => {
    const wrongName: V1CustomResourceDefinition = {
      ...GADGET_CRD,
      metadata: { name: 'things.mesh.weft.dev' },
    };
    const status = await statusOf(c.crds.createCustomResourceDefinition({ body: wrongName }));
    expect(status).toMatchObject({
      reason: 'Invalid',
      code: 422,
      details: { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
    });
    expect(status.details?.causes).toContainEqual(
      expect.objectContaining({
        field: 'metadata.name',
        message: 'Invalid value: "things.mesh.weft.dev": must be spec.names.plural+"."+spec.group',
      }),
    );

    const untyped = structuredClone(GADGET_CRD);
    untyped.metadata = { name: 'things.mesh.weft.dev' };
    untyped.spec.names = { plural: 'things', kind: 'Thing' };
    untyped.spec.versions[0]!.schema = {
      openAPIV3Schema: { type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } },
    };
    const notStructural = await statusOf(c.crds.createCustomResourceDefinition({ body: untyped }));
    expect(notStructural.details?.causes).toContainEqual(
      expect.objectContaining({
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].type',
        reason: 'FieldValueRequired',
      }),
    );
  });
});

describe('custom resources', () => {
  it('are created with defaults, pruned of unknown fields, without status, generation 1', async () => {
    const created = (await c.custom.createNamespacedCustomObject({
      ...widgets,
      body: widget(
        'w1',
        { host: 'shop.local', weight: 10, bogus: true, extra: { anything: { goes: 1 } } },
        { status: { ready: true } },
      ),
    })) as Obj;
    expect(created.spec).toEqual({
      host: 'shop.local',
      weight: 10,
      mode: 'safe',
      extra: { anything: { goes: 1 } },
    });
    expect(created.status).toBeUndefined();
    expect(created.metadata.generation).toBe(1);
    expect(created.metadata.uid).toBeDefined();

    const read = (await c.custom.getNamespacedCustomObject({ ...widgets, name: 'w1' })) as Obj;
    expect(read).toEqual(created);
    const list = (await c.custom.listNamespacedCustomObject({ ...widgets })) as {
      kind: string;
      items: Obj[];
      metadata: { resourceVersion: string };
    };
    expect(list.kind).toBe('WidgetList');
    expect(list.items.map((i) => [i.apiVersion, i.kind, i.metadata.name])).toEqual([
      ['mesh.weft.dev/v1', 'Widget', 'w1'],
    ]);
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Number(created.metadata.resourceVersion),
    );
  });

  it('answer 422 Invalid with a cause per field, worded like the real server', async () => {
    const status = await statusOf(
      c.custom.createNamespacedCustomObject({
        ...widgets,
        body: widget('bad', {
          weight: 500,
          mode: 'turbo',
          port: 1.5,
          backends: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }],
        }),
      }),
    );
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      details: { name: 'bad', group: 'mesh.weft.dev', kind: 'Widget' },
    });
    const causes = status.details?.causes ?? [];
    expect(causes).toEqual(
      expect.arrayContaining([
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.host' },
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 500: spec.weight in body should be less than or equal to 100',
          field: 'spec.weight',
        },
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "turbo": supported values: "fast", "safe"',
          field: 'spec.mode',
        },
        {
          reason: 'FieldValueTooMany',
          message: 'Too many: 4: must have at most 3 items',
          field: 'spec.backends',
        },
        expect.objectContaining({ reason: 'FieldValueTypeInvalid', field: 'spec.port' }),
      ]),
    );
    expect(status.message).toMatch(
      /^Widget\.mesh\.weft\.dev "bad" is invalid: \[.*spec\.weight: Invalid value: 500: spec\.weight in body should be less than or equal to 100.*\]$/,
    );

    const one = await statusOf(
      c.custom.createNamespacedCustomObject({ ...widgets, body: widget('bad2', { host: 'UPPER' }) }),
    );
    expect(one.message).toBe(
      `Widget.mesh.weft.dev "bad2" is invalid: spec.host: Invalid value: "UPPER": spec.host in body should match '^[a-z.-]+$'`,
    );
    const typed = await statusOf(
      c.custom.createNamespacedCustomObject({
        ...widgets,
        body: widget('bad3', { host: 'a', weight: 'heavy' }),
      }),
    );
    expect(typed.message).toBe(
      'Widget.mesh.weft.dev "bad3" is invalid: spec.weight: Invalid value: "string": spec.weight in body must be of type integer: "string"',
    );
    const long = await statusOf(
      c.custom.createNamespacedCustomObject({ ...widgets, body: widget('bad4', { host: 'a'.repeat(31) }) }),
    );
    expect(long.details?.causes).toEqual([
      { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 30 bytes', field: 'spec.host' },
    ]);
  });

  it('require a DNS-subdomain name and an existing namespace', async () => {
    const badName = await statusOf(
      c.custom.createNamespacedCustomObject({ ...widgets, body: widget('Bad_Name', { host: 'a' }) }),
    );
    expect(badName.details?.causes?.[0]).toMatchObject({
      field: 'metadata.name',
      reason: 'FieldValueInvalid',
    });
    expect(badName.details?.causes?.[0]?.message).toContain('a lowercase RFC 1123 subdomain must consist of');
    const noNs = await statusOf(
      c.custom.createNamespacedCustomObject({
        ...widgets,
        namespace: 'missing',
        body: widget('w', { host: 'a' }),
      }),
    );
    expect(noNs).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "missing" not found' });
  });

  it('status subresource: status writes change status only and keep generation; spec writes bump it', async () => {
    const created = (await c.custom.createNamespacedCustomObject({
      ...widgets,
      body: widget('w2', { host: 'a.local' }),
    })) as Obj;
    const withStatus = (await c.custom.replaceNamespacedCustomObjectStatus({
      ...widgets,
      name: 'w2',
      body: { ...created, spec: { host: 'ignored.local' }, status: { ready: true, observedGeneration: 1 } },
    })) as Obj;
    expect(withStatus.status).toEqual({ ready: true, observedGeneration: 1 });
    expect(withStatus.spec?.host).toBe('a.local');
    expect(withStatus.metadata.generation).toBe(1);
    expect(Number(withStatus.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );

    // The main resource ignores status...
    const relabeled = (await c.custom.replaceNamespacedCustomObject({
      ...widgets,
      name: 'w2',
      body: {
        ...withStatus,
        metadata: { ...withStatus.metadata, labels: { team: 'a' } },
        status: { ready: false },
      },
    })) as Obj;
    expect(relabeled.status).toEqual({ ready: true, observedGeneration: 1 });
    expect(relabeled.metadata.labels).toEqual({ team: 'a' });
    // ...and a metadata-only change keeps the generation,
    expect(relabeled.metadata.generation).toBe(1);
    // while a spec change bumps it.
    const respec = (await c.custom.replaceNamespacedCustomObject({
      ...widgets,
      name: 'w2',
      body: { ...relabeled, spec: { ...relabeled.spec, weight: 5 } },
    })) as Obj;
    expect(respec.metadata.generation).toBe(2);

    // A status patch (merge) works the same.
    const patched = (await c.custom.patchNamespacedCustomObjectStatus(
      { ...widgets, name: 'w2', body: { status: { ready: false } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Obj;
    expect(patched.status).toEqual({ ready: false, observedGeneration: 1 });
    expect(patched.metadata.generation).toBe(2);
  });

  it('updates need a current resourceVersion: none is 422, a stale one 409', async () => {
    const created = (await c.custom.createNamespacedCustomObject({
      ...widgets,
      body: widget('w3', { host: 'a.local' }),
    })) as Obj;
    const { resourceVersion: _rv, ...metaWithoutRv } = created.metadata;
    const noRv = await statusOf(
      c.custom.replaceNamespacedCustomObject({
        ...widgets,
        name: 'w3',
        body: { ...created, metadata: metaWithoutRv },
      }),
    );
    expect(noRv).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message:
        'Widget.mesh.weft.dev "w3" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    });
    await c.custom.replaceNamespacedCustomObject({
      ...widgets,
      name: 'w3',
      body: { ...created, spec: { host: 'b.local' } },
    });
    const stale = await statusOf(
      c.custom.replaceNamespacedCustomObject({
        ...widgets,
        name: 'w3',
        body: { ...created, spec: { host: 'c.local' } },
      }),
    );
    expect(stale).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on widgets.mesh.weft.dev "w3": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'w3', group: 'mesh.weft.dev', kind: 'widgets' },
    });
  });

  it('are served in every served version', async () => {
    const beta = (await c.custom.getNamespacedCustomObject({
      ...widgets,
      version: 'v1beta1',
      name: 'w1',
    })) as Obj;
    expect(beta.apiVersion).toBe('mesh.weft.dev/v1beta1');
    expect(beta.spec?.host).toBe('shop.local');
  });

  it('cluster-scoped without status subresource: status is part of the object and bumps generation', async () => {
    const gadgets = { group: 'mesh.weft.dev', version: 'v1alpha1', plural: 'gadgets' };
    const created = (await c.custom.createClusterCustomObject({
      ...gadgets,
      body: {
        apiVersion: 'mesh.weft.dev/v1alpha1',
        kind: 'Gadget',
        metadata: { name: 'g1' },
        spec: { size: 1 },
        status: { phase: 'New' },
      },
    })) as Obj;
    expect(created.status).toEqual({ phase: 'New' });
    expect(created.metadata.namespace).toBeUndefined();
    const updated = (await c.custom.replaceClusterCustomObject({
      ...gadgets,
      name: 'g1',
      body: { ...created, status: { phase: 'Ready' } },
    })) as Obj;
    expect(updated.metadata.generation).toBe(2);
    const res = await fetch(`${c.api.url}/apis/mesh.weft.dev/v1alpha1/gadgets/g1/status`);
    expect(res.status).toBe(404);
  });

  it('unknown fields: a warning by default, 400 with fieldValidation=Strict', async () => {
    const url = `${c.api.url}/apis/mesh.weft.dev/v1/namespaces/shop/widgets`;
    const body = JSON.stringify(widget('w4', { host: 'a.local', colour: 'red' }));
    const warned = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"spec.colour\\""');
    const strict = await fetch(`${url}?fieldValidation=Strict`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(widget('w5', { host: 'a.local', colour: 'red' })),
    });
    expect(strict.status).toBe(400);
    expect(await strict.json()).toMatchObject({
      reason: 'BadRequest',
      message:
        'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.colour"',
    });
  });

  it('print additionalPrinterColumns for kubectl (Table)', async () => {
    const res = await fetch(`${c.api.url}/apis/mesh.weft.dev/v1/namespaces/shop/widgets`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    const table = (await res.json()) as {
      kind: string;
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[] }[];
    };
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((d) => d.name)).toEqual(['Name', 'Host', 'Age']);
    expect(table.rows[0]?.cells.slice(0, 2)).toEqual(['w1', 'shop.local']);
  });

  it('go away with their CRD', async () => {
    const crd = structuredClone(WIDGET_CRD);
    crd.metadata = { name: 'temps.mesh.weft.dev' };
    crd.spec.names = { plural: 'temps', kind: 'Temp' };
    await c.crds.createCustomResourceDefinition({ body: crd });
    const temps = { ...widgets, plural: 'temps' };
    await c.custom.createNamespacedCustomObject({
      ...temps,
      body: { apiVersion: 'mesh.weft.dev/v1', kind: 'Temp', metadata: { name: 't' }, spec: { host: 'a' } },
    });
    await c.crds.deleteCustomResourceDefinition({ name: 'temps.mesh.weft.dev' });
    expect(await statusOf(c.custom.listNamespacedCustomObject({ ...temps }))).toMatchObject({
      code: 404,
      reason: 'NotFound',
    });
  });
});

describe('the Gateway API HTTPRoute CRD', () => {
  it('serves HTTPRoutes once the CRD is created, validating against its schema', async () => {
    const text = await readFile(
      new URL('./fixtures/gateway-api-httproutes.crd.yaml', import.meta.url),
      'utf8',
    );
    await c.crds.createCustomResourceDefinition({ body: loadYaml<V1CustomResourceDefinition>(text) });
    const routes = {
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: 'shop',
      plural: 'httproutes',
    };
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'catalog' },
      spec: {
        parentRefs: [{ name: 'mesh' }],
        hostnames: ['catalog.shop'],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/v2' } }],
            backendRefs: [
              { name: 'catalog-v1', port: 8080, weight: 90 },
              { name: 'catalog-v2', port: 8080, weight: 10 },
            ],
          },
        ],
      },
    };
    const created = (await c.custom.createNamespacedCustomObject({ ...routes, body: route })) as Obj & {
      spec: { rules: { backendRefs: Record<string, unknown>[] }[] };
    };
    // Defaults from the schema (group/kind of backendRefs) are applied.
    expect(created.spec.rules[0]?.backendRefs[0]).toMatchObject({
      name: 'catalog-v1',
      group: '',
      kind: 'Service',
      weight: 90,
    });

    const invalid = structuredClone(route);
    invalid.metadata.name = 'bad';
    invalid.spec.rules[0]!.backendRefs[0]!.port = 70000;
    invalid.spec.rules[0]!.matches[0]!.path.type = 'Glob';
    const status = await statusOf(c.custom.createNamespacedCustomObject({ ...routes, body: invalid }));
    expect(status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: { kind: 'HTTPRoute', group: 'gateway.networking.k8s.io' },
    });
    expect(status.details?.causes?.map((cause) => cause.field)).toEqual(
      expect.arrayContaining(['spec.rules[0].backendRefs[0].port', 'spec.rules[0].matches[0].path.type']),
    );
    const beta = (await c.custom.listNamespacedCustomObject({ ...routes, version: 'v1beta1' })) as {
      items: Obj[];
    };
    expect(beta.items.map((i) => i.apiVersion)).toEqual(['gateway.networking.k8s.io/v1beta1']);
  });
});
