/**
 * Built-in resources through the real @kubernetes/client-node: CRUD, Status errors, generation and status
 * subresource bookkeeping, discovery.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApisApi,
  CoreApi,
  CoreV1Api,
  KubeConfig,
  VersionApi,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, statusOf, type TestCluster } from './test-helpers.ts';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
  await c.core.createNamespace({ body: { metadata: { name: 'shop' } } });
});
afterAll(async () => {
  await c.api.close();
});

const deployment = (name: string): V1Deployment => ({
  metadata: { name, labels: { app: name } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: `registry.local/${name}:1.0` }] },
    },
  },
});

describe('a fresh cluster', () => {
  it('has the namespaces and the kubernetes Service a new cluster has', async () => {
    const namespaces = await c.core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public']),
    );
    const ns = await c.core.readNamespace({ name: 'shop' });
    expect(ns.status?.phase).toBe('Active');
    expect(ns.metadata?.labels?.['kubernetes.io/metadata.name']).toBe('shop');
    const svc = await c.core.readNamespacedService({ namespace: 'default', name: 'kubernetes' });
    expect(svc.spec?.clusterIP).toBe('10.96.0.1');
  });

  it('answers /version', async () => {
    const version = await c.kc.makeApiClient(VersionApi).getCode();
    expect(version.major).toBe('1');
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });
});

describe('discovery', () => {
  it('lists the core group and its resources with verbs, short names and status subresources', async () => {
    const versions = await c.kc.makeApiClient(CoreApi).getAPIVersions();
    expect(versions.versions).toEqual(['v1']);
    const core = await c.core.getAPIResources();
    const byName = new Map(core.resources.map((r) => [r.name, r]));
    expect(byName.get('pods')).toMatchObject({
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      shortNames: ['po'],
    });
    expect(byName.get('pods')?.verbs).toEqual(
      expect.arrayContaining(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    );
    expect(byName.get('pods/status')).toMatchObject({
      namespaced: true,
      kind: 'Pod',
      verbs: ['get', 'patch', 'update'],
    });
    expect(byName.get('namespaces')).toMatchObject({ namespaced: false, shortNames: ['ns'] });
    expect(byName.get('services')).toMatchObject({ shortNames: ['svc'] });
    expect(byName.get('configmaps')).toMatchObject({ shortNames: ['cm'] });
  });

  it('lists the API groups and their resources', async () => {
    const groups = await c.kc.makeApiClient(ApisApi).getAPIVersions();
    const names = groups.groups.map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['apps', 'discovery.k8s.io', 'apiextensions.k8s.io']));
    const apps = groups.groups.find((g) => g.name === 'apps');
    expect(apps?.preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });
    const appsResources = await c.apps.getAPIResources();
    expect(appsResources.groupVersion).toBe('apps/v1');
    expect(appsResources.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['deployments', 'deployments/status']),
    );
    const slices = await c.discovery.getAPIResources();
    expect(slices.resources.find((r) => r.name === 'endpointslices')).toMatchObject({
      kind: 'EndpointSlice',
      namespaced: true,
    });
    const crds = await c.crds.getAPIResources();
    expect(crds.resources.find((r) => r.name === 'customresourcedefinitions')).toMatchObject({
      shortNames: ['crd', 'crds'],
      namespaced: false,
    });
  });

  it('answers unknown paths and groups with a NotFound Status', async () => {
    const res = await fetch(`${c.api.url}/apis/nope.example.com/v1`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
    });
  });
});

describe('Services', () => {
  it('creates with defaults and an allocated cluster IP, reads, lists, and deletes', async () => {
    const created = await c.core.createNamespacedService({
      namespace: 'shop',
      body: {
        metadata: { name: 'catalog', labels: { app: 'catalog' } },
        spec: { selector: { app: 'catalog' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.spec?.type).toBe('ClusterIP');
    expect(created.spec?.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(created.spec?.ports?.[0]).toMatchObject({ protocol: 'TCP', port: 80, targetPort: 8080 });
    expect(created.spec?.sessionAffinity).toBe('None');

    const read = await c.core.readNamespacedService({ namespace: 'shop', name: 'catalog' });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    const list = await c.core.listNamespacedService({ namespace: 'shop' });
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['catalog']);

    const deleted = await c.core.deleteNamespacedService({ namespace: 'shop', name: 'catalog' });
    expect(deleted.metadata?.name).toBe('catalog');
    const gone = await statusOf(c.core.readNamespacedService({ namespace: 'shop', name: 'catalog' }));
    expect(gone).toMatchObject({
      reason: 'NotFound',
      code: 404,
      message: 'services "catalog" not found',
      details: { name: 'catalog', kind: 'services' },
    });
  });

  it('answers 409 AlreadyExists for a second create', async () => {
    const body = { metadata: { name: 'cart' }, spec: { ports: [{ port: 80 }] } };
    await c.core.createNamespacedService({ namespace: 'shop', body });
    const status = await statusOf(c.core.createNamespacedService({ namespace: 'shop', body }));
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'AlreadyExists',
      code: 409,
      message: 'services "cart" already exists',
      details: { name: 'cart', group: '', kind: 'services' },
    });
  });

  it('answers 409 Conflict for an update with a stale resourceVersion', async () => {
    const svc = await c.core.createNamespacedService({
      namespace: 'shop',
      body: { metadata: { name: 'stale' }, spec: { ports: [{ port: 80 }] } },
    });
    const fresh = await c.core.replaceNamespacedService({
      namespace: 'shop',
      name: 'stale',
      body: { ...svc, metadata: { ...svc.metadata, labels: { tier: 'front' } } },
    });
    expect(Number(fresh.metadata?.resourceVersion)).toBeGreaterThan(Number(svc.metadata?.resourceVersion));
    const status = await statusOf(
      c.core.replaceNamespacedService({
        namespace: 'shop',
        name: 'stale',
        body: { ...svc, metadata: { ...svc.metadata, labels: { tier: 'back' } } },
      }),
    );
    expect(status).toMatchObject({
      reason: 'Conflict',
      code: 409,
      message:
        'Operation cannot be fulfilled on services "stale": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'stale', kind: 'services' },
    });
  });

  it('keeps the cluster IP immutable', async () => {
    const svc = await c.core.createNamespacedService({
      namespace: 'shop',
      body: { metadata: { name: 'fixed-ip' }, spec: { ports: [{ port: 80 }] } },
    });
    const status = await statusOf(
      c.core.replaceNamespacedService({
        namespace: 'shop',
        name: 'fixed-ip',
        body: { ...svc, spec: { ...svc.spec, clusterIP: '10.96.200.200', clusterIPs: ['10.96.200.200'] } },
      }),
    );
    expect(status).toMatchObject({
      reason: 'Invalid',
      code: 422,
      details: { kind: 'Service', causes: [expect.objectContaining({ field: 'spec.clusterIPs[0]' })] },
    });
  });

  it('validates like the real server: ports, names', async () => {
    const noPorts = await statusOf(
      c.core.createNamespacedService({
        namespace: 'shop',
        body: { metadata: { name: 'no-ports' }, spec: {} },
      }),
    );
    expect(noPorts).toMatchObject({
      reason: 'Invalid',
      code: 422,
      message: 'Service "no-ports" is invalid: spec.ports: Required value',
    });
    const badName = await statusOf(
      c.core.createNamespacedService({
        namespace: 'shop',
        body: { metadata: { name: '1-starts-with-digit' }, spec: { ports: [{ port: 80 }] } },
      }),
    );
    expect(badName.details?.causes?.[0]).toMatchObject({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
    });
    expect(badName.message).toContain('a DNS-1035 label must consist of lower case alphanumeric characters');
    const badPort = await statusOf(
      c.core.createNamespacedService({
        namespace: 'shop',
        body: { metadata: { name: 'bad-port' }, spec: { ports: [{ port: 70000 }] } },
      }),
    );
    // targetPort defaults to port, so both are reported, as on a real cluster.
    expect(badPort.message).toBe(
      'Service "bad-port" is invalid: [spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive]',
    );
  });

  it('answers 404 for a namespace that does not exist', async () => {
    const status = await statusOf(
      c.core.createNamespacedService({
        namespace: 'nowhere',
        body: { metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } },
      }),
    );
    expect(status).toMatchObject({
      reason: 'NotFound',
      code: 404,
      message: 'namespaces "nowhere" not found',
      details: { name: 'nowhere', kind: 'namespaces' },
    });
  });

  it('rejects a wrongly typed field as the decoder does (400)', async () => {
    const res = await fetch(`${c.api.url}/api/v1/namespaces/shop/services`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'typed' },
        spec: { ports: [{ port: '80' }] },
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });
});

describe('Pods', () => {
  it('creates Pending with defaults; status only through the status subresource', async () => {
    const pod = await c.core.createNamespacedPod({
      namespace: 'shop',
      body: {
        metadata: { name: 'web-0', labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] },
        status: { phase: 'Running' },
      },
    });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.restartPolicy).toBe('Always');
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('Always');
    expect(pod.spec?.containers[0]?.ports?.[0]?.protocol).toBe('TCP');

    const running = await c.core.replaceNamespacedPodStatus({
      namespace: 'shop',
      name: 'web-0',
      body: { ...pod, status: { phase: 'Running', podIP: '10.244.0.5' } },
    });
    expect(running.status).toMatchObject({ phase: 'Running', podIP: '10.244.0.5' });
    const byPhase = await c.core.listNamespacedPod({
      namespace: 'shop',
      fieldSelector: 'status.phase=Running',
    });
    expect(byPhase.items.map((p) => p.metadata?.name)).toEqual(['web-0']);

    // A main-resource write cannot change status.
    const relabeled = await c.core.replaceNamespacedPod({
      namespace: 'shop',
      name: 'web-0',
      body: {
        ...running,
        metadata: { ...running.metadata, labels: { app: 'web', v: '2' } },
        status: { phase: 'Failed' },
      },
    });
    expect(relabeled.status?.phase).toBe('Running');
    expect(relabeled.metadata?.labels).toEqual({ app: 'web', v: '2' });
  });

  it('refuses changes to immutable pod spec fields', async () => {
    const pod = await c.core.createNamespacedPod({
      namespace: 'shop',
      body: { metadata: { name: 'immutable' }, spec: { containers: [{ name: 'a', image: 'busybox:1' }] } },
    });
    const status = await statusOf(
      c.core.replaceNamespacedPod({
        namespace: 'shop',
        name: 'immutable',
        body: {
          ...pod,
          spec: { ...pod.spec!, containers: [{ name: 'a', image: 'busybox:1', command: ['sh'] }] },
        },
      }),
    );
    expect(status).toMatchObject({
      reason: 'Invalid',
      code: 422,
      details: { causes: [expect.objectContaining({ field: 'spec', reason: 'FieldValueForbidden' })] },
    });
    const image = await c.core.replaceNamespacedPod({
      namespace: 'shop',
      name: 'immutable',
      body: {
        ...pod,
        spec: { ...pod.spec!, containers: [{ ...pod.spec!.containers[0]!, image: 'busybox:2' }] },
      },
    });
    expect(image.spec?.containers[0]?.image).toBe('busybox:2');
  });

  it('requires containers', async () => {
    const status = await statusOf(
      c.core.createNamespacedPod({
        namespace: 'shop',
        body: { metadata: { name: 'empty' }, spec: { containers: [] } },
      }),
    );
    expect(status.message).toBe('Pod "empty" is invalid: spec.containers: Required value');
  });
});

describe('Deployments', () => {
  it('bumps generation on spec and annotation changes only; status writes bump resourceVersion only', async () => {
    const created = await c.apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('orders'),
    });
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.strategy?.type).toBe('RollingUpdate');
    expect(created.spec?.revisionHistoryLimit).toBe(10);

    const labeled = await c.apps.replaceNamespacedDeployment({
      namespace: 'shop',
      name: 'orders',
      body: { ...created, metadata: { ...created.metadata, labels: { app: 'orders', team: 'a' } } },
    });
    expect(labeled.metadata?.generation).toBe(1);
    expect(Number(labeled.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );

    const scaled = await c.apps.replaceNamespacedDeployment({
      namespace: 'shop',
      name: 'orders',
      body: { ...labeled, spec: { ...labeled.spec!, replicas: 3 } },
    });
    expect(scaled.metadata?.generation).toBe(2);

    const withStatus = await c.apps.replaceNamespacedDeploymentStatus({
      namespace: 'shop',
      name: 'orders',
      body: {
        ...scaled,
        spec: { ...scaled.spec!, replicas: 9 },
        status: { observedGeneration: 2, replicas: 3, readyReplicas: 3 },
      },
    });
    expect(withStatus.metadata?.generation).toBe(2);
    expect(withStatus.spec?.replicas).toBe(3);
    expect(withStatus.status).toMatchObject({ observedGeneration: 2, readyReplicas: 3 });
    expect(Number(withStatus.metadata?.resourceVersion)).toBeGreaterThan(
      Number(scaled.metadata?.resourceVersion),
    );

    // Main-resource writes keep the status.
    const ignored = await c.apps.replaceNamespacedDeployment({
      namespace: 'shop',
      name: 'orders',
      body: { ...withStatus, status: { readyReplicas: 0 } },
    });
    expect(ignored.status?.readyReplicas).toBe(3);
    expect(ignored.metadata?.resourceVersion).toBe(withStatus.metadata?.resourceVersion);

    const annotated = await c.apps.replaceNamespacedDeployment({
      namespace: 'shop',
      name: 'orders',
      body: { ...withStatus, metadata: { ...withStatus.metadata, annotations: { note: 'x' } } },
    });
    expect(annotated.metadata?.generation).toBe(3);
  });

  it('validates selector/template and keeps the selector immutable', async () => {
    const mismatch = deployment('mismatch');
    mismatch.spec!.template.metadata!.labels = { app: 'other' };
    const status = await statusOf(c.apps.createNamespacedDeployment({ namespace: 'shop', body: mismatch }));
    expect(status).toMatchObject({
      reason: 'Invalid',
      code: 422,
      details: {
        kind: 'Deployment',
        group: 'apps',
        causes: [expect.objectContaining({ field: 'spec.template.metadata.labels' })],
      },
    });
    expect(status.message).toMatch(
      /^Deployment\.apps "mismatch" is invalid: spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`$/,
    );

    const created = await c.apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('pinned'),
    });
    const moved = await statusOf(
      c.apps.replaceNamespacedDeployment({
        namespace: 'shop',
        name: 'pinned',
        body: {
          ...created,
          spec: {
            ...created.spec!,
            selector: { matchLabels: { app: 'pinned', v: '2' } },
            template: { ...created.spec!.template, metadata: { labels: { app: 'pinned', v: '2' } } },
          },
        },
      }),
    );
    expect(moved.details?.causes).toEqual([
      expect.objectContaining({
        field: 'spec.selector',
        message: expect.stringContaining('field is immutable') as unknown,
      }),
    ]);
  });

  it('lists across namespaces with label selectors', async () => {
    await c.core.createNamespace({ body: { metadata: { name: 'billing' } } });
    await c.apps.createNamespacedDeployment({ namespace: 'billing', body: deployment('ledger') });
    const all = await c.apps.listDeploymentForAllNamespaces({ labelSelector: 'app in (orders,ledger)' });
    expect(all.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`).sort()).toEqual([
      'billing/ledger',
      'shop/orders',
    ]);
    const notOrders = await c.apps.listDeploymentForAllNamespaces({ labelSelector: 'app!=orders,app' });
    expect(notOrders.items.map((d) => d.metadata?.name)).not.toContain('orders');
  });
});

describe('EndpointSlices', () => {
  it('creates, updates (generation bumps), validates addresses, deletes', async () => {
    const slice = await c.discovery.createNamespacedEndpointSlice({
      namespace: 'shop',
      body: {
        addressType: 'IPv4',
        metadata: { name: 'catalog-abc', labels: { 'kubernetes.io/service-name': 'catalog' } },
        endpoints: [{ addresses: ['10.244.0.7'], conditions: { ready: true } }],
        ports: [{ name: 'http', port: 8080 }],
      },
    });
    expect(slice.metadata?.generation).toBe(1);
    expect(slice.ports?.[0]?.protocol).toBe('TCP');
    const updated = await c.discovery.replaceNamespacedEndpointSlice({
      namespace: 'shop',
      name: 'catalog-abc',
      body: {
        ...slice,
        endpoints: [...slice.endpoints, { addresses: ['10.244.0.8'], conditions: { ready: false } }],
      },
    });
    expect(updated.metadata?.generation).toBe(2);
    const bySvc = await c.discovery.listNamespacedEndpointSlice({
      namespace: 'shop',
      labelSelector: 'kubernetes.io/service-name=catalog',
    });
    expect(bySvc.items).toHaveLength(1);

    const bad = await statusOf(
      c.discovery.createNamespacedEndpointSlice({
        namespace: 'shop',
        body: { addressType: 'IPv4', metadata: { name: 'bad' }, endpoints: [{ addresses: ['not-an-ip'] }] },
      }),
    );
    expect(bad).toMatchObject({
      reason: 'Invalid',
      code: 422,
      details: { group: 'discovery.k8s.io', kind: 'EndpointSlice' },
    });
    expect(bad.details?.causes?.[0]?.field).toBe('endpoints[0].addresses[0]');

    await c.discovery.deleteNamespacedEndpointSlice({ namespace: 'shop', name: 'catalog-abc' });
    expect((await c.discovery.listNamespacedEndpointSlice({ namespace: 'shop' })).items).toHaveLength(0);
  });
});

describe('selectors', () => {
  beforeAll(async () => {
    await c.core.createNamespace({ body: { metadata: { name: 'sel' } } });
    const make = (name: string, labels: Record<string, string>) =>
      c.core.createNamespacedConfigMap({
        namespace: 'sel',
        body: { metadata: { name, labels }, data: { k: 'v' } },
      });
    await make('a', { tier: 'front', env: 'prod' });
    await make('b', { tier: 'back', env: 'prod' });
    await make('c', { tier: 'back' });
    await make('d', {});
  });

  const names = async (labelSelector?: string, fieldSelector?: string) =>
    (await c.core.listNamespacedConfigMap({ namespace: 'sel', labelSelector, fieldSelector })).items.map(
      (i) => i.metadata?.name,
    );

  it.each([
    ['tier=back', ['b', 'c']],
    ['tier==back', ['b', 'c']],
    ['tier!=back', ['a', 'd']],
    ['tier in (front, back)', ['a', 'b', 'c']],
    ['tier notin (front)', ['b', 'c', 'd']],
    ['env', ['a', 'b']],
    ['!env', ['c', 'd']],
    ['tier=back,!env', ['c']],
  ])('labelSelector %s', async (selector, expected) => {
    expect(await names(selector)).toEqual(expected);
  });

  it('filters by metadata.name and metadata.namespace', async () => {
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    expect(await names(undefined, 'metadata.name!=b')).toEqual(['a', 'c', 'd']);
    const all = await c.core.listConfigMapForAllNamespaces({
      fieldSelector: 'metadata.namespace=sel,metadata.name==a',
    });
    expect(all.items.map((i) => i.metadata?.name)).toEqual(['a']);
  });

  it('answers 400 for an unsupported field label or a malformed selector', async () => {
    expect(await statusOf(names(undefined, 'spec.nope=1'))).toMatchObject({
      reason: 'BadRequest',
      code: 400,
      message: 'field label not supported: spec.nope',
    });
    expect(await statusOf(names('tier in ()'))).toMatchObject({ reason: 'BadRequest', code: 400 });
  });

  it('pages with limit/continue at one consistent revision', async () => {
    const first = await c.core.listNamespacedConfigMap({ namespace: 'sel', limit: 2 });
    expect(first.items.map((i) => i.metadata?.name)).toEqual(['a', 'b']);
    expect(first.metadata?.remainingItemCount).toBe(2);
    await c.core.createNamespacedConfigMap({ namespace: 'sel', body: { metadata: { name: 'bb' } } });
    const second = await c.core.listNamespacedConfigMap({
      namespace: 'sel',
      limit: 2,
      _continue: first.metadata?._continue,
    });
    expect(second.items.map((i) => i.metadata?.name)).toEqual(['c', 'd']);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(second.metadata?._continue).toBeUndefined();
    await c.core.deleteNamespacedConfigMap({ namespace: 'sel', name: 'bb' });
  });
});

describe('more verbs', () => {
  it('generateName, delete preconditions, deletecollection', async () => {
    await c.core.createNamespace({ body: { metadata: { name: 'verbs' } } });
    const generated = await c.core.createNamespacedConfigMap({
      namespace: 'verbs',
      body: { metadata: { generateName: 'job-', labels: { batch: '1' } } },
    });
    expect(generated.metadata?.name).toMatch(/^job-[a-z0-9]{5}$/);
    await c.core.createNamespacedConfigMap({
      namespace: 'verbs',
      body: { metadata: { name: 'other', labels: { batch: '1' } } },
    });
    await c.core.createNamespacedConfigMap({ namespace: 'verbs', body: { metadata: { name: 'kept' } } });

    const wrongUid = await statusOf(
      c.core.deleteNamespacedConfigMap({
        namespace: 'verbs',
        name: 'other',
        body: { preconditions: { uid: 'not-the-uid' } },
      }),
    );
    expect(wrongUid).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(wrongUid.message).toContain('Precondition failed: UID in precondition: not-the-uid');

    await c.core.deleteCollectionNamespacedConfigMap({ namespace: 'verbs', labelSelector: 'batch=1' });
    const left = await c.core.listNamespacedConfigMap({ namespace: 'verbs' });
    expect(left.items.map((i) => i.metadata?.name)).toEqual(['kept']);
  });
});

describe('namespaces', () => {
  it('deleting a namespace deletes what is in it; the default namespace cannot be deleted', async () => {
    await c.core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await c.core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'cfg' } } });
    const deleted = await c.core.deleteNamespace({ name: 'doomed' });
    expect(deleted).toBeDefined();
    expect(
      (await c.core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=doomed' })).items,
    ).toHaveLength(0);
    expect(await statusOf(c.core.readNamespace({ name: 'doomed' }))).toMatchObject({ code: 404 });
    expect(await statusOf(c.core.deleteNamespace({ name: 'default' }))).toMatchObject({
      code: 403,
      reason: 'Forbidden',
    });
  });

  it('requires DNS-label names', async () => {
    const status = await statusOf(c.core.createNamespace({ body: { metadata: { name: 'Not_OK' } } }));
    expect(status).toMatchObject({
      reason: 'Invalid',
      code: 422,
      details: { causes: [expect.objectContaining({ field: 'metadata.name' })] },
    });
  });
});

describe('Events', () => {
  it('are created and found by involvedObject field selectors, as kubectl describe looks them up', async () => {
    await c.core.createNamespacedEvent({
      namespace: 'shop',
      body: {
        metadata: { name: 'web-0.1' },
        involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'shop' },
        reason: 'Started',
        message: 'started',
        type: 'Normal',
      },
    });
    const found = await c.core.listNamespacedEvent({
      namespace: 'shop',
      fieldSelector: 'involvedObject.name=web-0,involvedObject.kind=Pod',
    });
    expect(found.items.map((e) => e.reason)).toEqual(['Started']);
  });
});

describe('HTTP details', () => {
  it('answers unsupported methods with 405 MethodNotAllowed', async () => {
    const res = await fetch(`${c.api.url}/api/v1/pods`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
  });

  it('publishes OpenAPI v3 documents that let kubectl use server-side field validation', async () => {
    const root = (await (await fetch(`${c.api.url}/openapi/v3`)).json()) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    expect(Object.keys(root.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1']));
    const doc = (await (
      await fetch(`${c.api.url}${root.paths['apis/apps/v1']!.serverRelativeURL}`)
    ).json()) as {
      paths: Record<
        string,
        { patch?: { parameters: { name: string; in: string }[]; 'x-kubernetes-group-version-kind': unknown } }
      >;
    };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    expect(patch?.parameters).toContainEqual(
      expect.objectContaining({ name: 'fieldValidation', in: 'query' }),
    );
  });

  it('writes a kubeconfig that @kubernetes/client-node loads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    try {
      const path = join(dir, 'config');
      await c.api.writeKubeconfig(path, { namespace: 'shop' });
      expect(await readFile(path, 'utf8')).toContain('insecure-skip-tls-verify: true');
      const kc = new KubeConfig();
      kc.loadFromFile(path);
      expect(kc.getCurrentCluster()).toMatchObject({ server: c.api.url, skipTLSVerify: true });
      expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('shop');
      const ns = await kc.makeApiClient(CoreV1Api).readNamespace({ name: 'shop' });
      expect(ns.metadata?.name).toBe('shop');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
