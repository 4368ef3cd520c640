/**
 * List/watch semantics through the real @kubernetes/client-node informer and Watch: events, resourceVersion
 * resumption, 410 Expired after compaction (the informer relists), bookmarks, selector transitions.
 */
import { makeInformer, Watch, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestCluster, statusOf, type TestCluster } from './test-helpers.ts';

let c: TestCluster;
const requests: { method: string; url: string }[] = [];

beforeAll(async () => {
  c = await startTestCluster({ bookmarkIntervalMs: 50, onRequest: (r) => requests.push(r) });
  for (const name of ['inf', 'relist', 'raw', 'sel', 'crw'])
    await c.core.createNamespace({ body: { metadata: { name } } });
});
afterAll(async () => {
  await c.api.close();
});

const cm = (
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
): V1ConfigMap => ({
  metadata: { name, labels },
  data,
});

interface RawEvent {
  type: string;
  object: KubernetesObject & { code?: number; reason?: string; message?: string };
}

/** Opens a raw watch with client-node's Watch and collects its events until it ends. */
async function rawWatch(path: string, query: Record<string, string | boolean | number>) {
  const events: RawEvent[] = [];
  let ended = false;
  let endError: unknown;
  const controller = await new Watch(c.kc).watch(
    path,
    query,
    (type, object: RawEvent['object']) => events.push({ type, object }),
    (err: unknown) => {
      ended = true;
      endError = err;
    },
  );
  return {
    events,
    get ended() {
      return ended;
    },
    get endError() {
      return endError;
    },
    stop: () => controller.abort(),
  };
}

describe('informer (makeInformer list+watch)', () => {
  it('sees adds, updates and deletes', async () => {
    await c.core.createNamespacedConfigMap({ namespace: 'inf', body: cm('before') });
    const informer = makeInformer(c.kc, '/api/v1/namespaces/inf/configmaps', () =>
      c.core.listNamespacedConfigMap({ namespace: 'inf' }),
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}:${o.data?.k ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    try {
      await vi.waitFor(() => expect(seen).toContain('add:before'));
      await vi.waitFor(() => expect(c.api.store.activeWatches).toBe(1));
      await c.core.createNamespacedConfigMap({ namespace: 'inf', body: cm('live') });
      await c.core.replaceNamespacedConfigMap({
        namespace: 'inf',
        name: 'live',
        body: cm('live', {}, { k: 'v2' }),
      });
      await c.core.deleteNamespacedConfigMap({ namespace: 'inf', name: 'before' });
      await vi.waitFor(() =>
        expect(seen).toEqual(['add:before', 'add:live', 'update:live:v2', 'delete:before']),
      );
      expect(informer.list().map((o) => o.metadata?.name)).toEqual(['live']);
      expect(informer.get('live', 'inf')?.metadata?.resourceVersion).toBe(
        (await c.core.readNamespacedConfigMap({ namespace: 'inf', name: 'live' })).metadata?.resourceVersion,
      );
    } finally {
      await informer.stop();
    }
  });

  it('relists after a 410 Expired when its resourceVersion was compacted away', async () => {
    await c.core.createNamespacedConfigMap({ namespace: 'relist', body: cm('old') });
    const path = '/api/v1/namespaces/relist/configmaps';
    const informer = makeInformer(c.kc, path, () => c.core.listNamespacedConfigMap({ namespace: 'relist' }));
    const adds: string[] = [];
    const deletes: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => adds.push(o.metadata?.name ?? ''));
    informer.on('delete', (o) => deletes.push(o.metadata?.name ?? ''));
    informer.on('error', (e) => errors.push(e));
    const listsBefore = requests.filter((r) => r.url.startsWith(path) && !r.url.includes('watch=')).length;
    await informer.start();
    try {
      await vi.waitFor(() => expect(adds).toEqual(['old']));
      await vi.waitFor(() => expect(c.api.store.activeWatches).toBe(1));
      // Nothing was written since the informer listed, so its resourceVersion is the current one.
      const informerRv = String(c.api.store.resourceVersion);

      // The watch drops; before the informer is back, things change and history is compacted (one tick,
      // so the informer cannot see the change through its watch).
      c.api.store.endAllWatches();
      c.api.store.createObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'new', namespace: 'relist' },
      });
      c.api.store.deleteObject('v1', 'ConfigMap', 'old', 'relist');
      c.api.store.compact();

      // The re-watch from the old resourceVersion gets 410 Expired; the informer lists again and catches up.
      await vi.waitFor(() => {
        expect(adds).toEqual(['old', 'new']);
        expect(deletes).toEqual(['old']);
      });
      expect(informer.list().map((o) => o.metadata?.name)).toEqual(['new']);
      expect(
        requests.some(
          (r) =>
            r.url.startsWith(path) &&
            r.url.includes('watch=true') &&
            r.url.includes(`resourceVersion=${informerRv}`),
        ),
      ).toBe(true);
      const lists = requests.filter((r) => r.url.startsWith(path) && !r.url.includes('watch='));
      expect(lists.length - listsBefore).toBe(2);
      expect(errors).toEqual([]);
      await vi.waitFor(() => expect(c.api.store.activeWatches).toBe(1));
    } finally {
      await informer.stop();
    }
  });

  it('works for custom resources too', async () => {
    await c.crds.createCustomResourceDefinition({
      body: {
        metadata: { name: 'routes.mesh.weft.dev' },
        spec: {
          group: 'mesh.weft.dev',
          scope: 'Namespaced',
          names: { plural: 'routes', kind: 'Route' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    const routes = { group: 'mesh.weft.dev', version: 'v1', namespace: 'crw', plural: 'routes' };
    const informer = makeInformer(
      c.kc,
      '/apis/mesh.weft.dev/v1/namespaces/crw/routes',
      () => c.custom.listNamespacedCustomObject(routes) as never,
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    try {
      await vi.waitFor(() => expect(c.api.store.activeWatches).toBe(1));
      await c.custom.createNamespacedCustomObject({
        ...routes,
        body: { apiVersion: 'mesh.weft.dev/v1', kind: 'Route', metadata: { name: 'r1' }, spec: {} },
      });
      await c.custom.deleteNamespacedCustomObject({ ...routes, name: 'r1' });
      await vi.waitFor(() => expect(seen).toEqual(['add:r1', 'delete:r1']));
    } finally {
      await informer.stop();
    }
  });
});

describe('watch', () => {
  it('resumes after a resourceVersion: MODIFIED and DELETED (with the last state) events, in order', async () => {
    const created = await c.core.createNamespacedConfigMap({
      namespace: 'raw',
      body: cm('a', {}, { v: '1' }),
    });
    const rv = created.metadata!.resourceVersion!;
    await c.core.replaceNamespacedConfigMap({ namespace: 'raw', name: 'a', body: cm('a', {}, { v: '2' }) });
    await c.core.deleteNamespacedConfigMap({ namespace: 'raw', name: 'a' });
    const w = await rawWatch('/api/v1/namespaces/raw/configmaps', { resourceVersion: rv });
    try {
      await vi.waitFor(() => expect(w.events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']));
      const [modified, deleted] = w.events;
      expect(modified?.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', data: { v: '2' } });
      expect(deleted?.object).toMatchObject({ data: { v: '2' } });
      expect(Number(deleted?.object.metadata?.resourceVersion)).toBeGreaterThan(
        Number(modified?.object.metadata?.resourceVersion),
      );
    } finally {
      w.stop();
    }
  });

  it('without a resourceVersion starts with ADDED events for what exists', async () => {
    await c.core.createNamespacedConfigMap({ namespace: 'raw', body: cm('present') });
    const w = await rawWatch('/api/v1/namespaces/raw/configmaps', {});
    try {
      await vi.waitFor(() =>
        expect(w.events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual(['ADDED:present']),
      );
    } finally {
      w.stop();
    }
  });

  it('answers a too old resourceVersion with an ERROR event carrying a 410 Expired Status, then ends', async () => {
    const created = await c.core.createNamespacedConfigMap({ namespace: 'raw', body: cm('expiring') });
    await c.core.deleteNamespacedConfigMap({ namespace: 'raw', name: 'expiring' });
    c.api.store.compact();
    const w = await rawWatch('/api/v1/namespaces/raw/configmaps', {
      resourceVersion: created.metadata!.resourceVersion!,
    });
    await vi.waitFor(() => expect(w.ended).toBe(true));
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Expired',
        code: 410,
        message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/) as unknown,
      },
    });
  });

  it('lists at an exact resourceVersion while it is retained, 410 Expired after compaction', async () => {
    const first = await c.core.createNamespacedConfigMap({ namespace: 'raw', body: cm('exact-1') });
    const rv = first.metadata!.resourceVersion!;
    await c.core.createNamespacedConfigMap({ namespace: 'raw', body: cm('exact-2') });
    const then = await c.core.listNamespacedConfigMap({
      namespace: 'raw',
      resourceVersion: rv,
      resourceVersionMatch: 'Exact',
    });
    expect(then.metadata?.resourceVersion).toBe(rv);
    expect(then.items.map((i) => i.metadata?.name)).toContain('exact-1');
    expect(then.items.map((i) => i.metadata?.name)).not.toContain('exact-2');
    c.api.store.compact();
    const status = await statusOf(
      c.core.listNamespacedConfigMap({
        namespace: 'raw',
        resourceVersion: rv,
        resourceVersionMatch: 'Exact',
      }),
    );
    expect(status).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('sends BOOKMARK events when asked to', async () => {
    const w = await rawWatch('/api/v1/namespaces/raw/configmaps', {
      allowWatchBookmarks: true,
      resourceVersion: String(c.api.store.resourceVersion),
    });
    try {
      await vi.waitFor(() => expect(w.events.some((e) => e.type === 'BOOKMARK')).toBe(true));
      const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
      expect(bookmark?.object).toEqual({
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(c.api.store.resourceVersion) },
      });
    } finally {
      w.stop();
    }
  });

  it('turns selector transitions into ADDED / DELETED', async () => {
    const w = await rawWatch('/api/v1/namespaces/sel/configmaps', {
      labelSelector: 'mesh=on',
      resourceVersion: String(c.api.store.resourceVersion),
    });
    try {
      await c.core.createNamespacedConfigMap({ namespace: 'sel', body: cm('x') });
      await c.core.replaceNamespacedConfigMap({ namespace: 'sel', name: 'x', body: cm('x', { mesh: 'on' }) });
      await c.core.replaceNamespacedConfigMap({
        namespace: 'sel',
        name: 'x',
        body: cm('x', { mesh: 'on' }, { a: 'b' }),
      });
      await c.core.replaceNamespacedConfigMap({
        namespace: 'sel',
        name: 'x',
        body: cm('x', { mesh: 'off' }),
      });
      await vi.waitFor(() => expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']));
      expect(w.events[2]?.object.metadata?.labels).toEqual({ mesh: 'off' });
    } finally {
      w.stop();
    }
  });

  it('serves the legacy /watch/ paths and sendInitialEvents with its end-of-initial-events bookmark', async () => {
    await c.core.createNamespacedConfigMap({ namespace: 'raw', body: cm('legacy') });
    const legacy = await rawWatch('/api/v1/watch/namespaces/raw/configmaps/legacy', {});
    try {
      await vi.waitFor(() =>
        expect(legacy.events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual(['ADDED:legacy']),
      );
    } finally {
      legacy.stop();
    }
    const streaming = await rawWatch('/api/v1/namespaces/raw/configmaps', {
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: true,
      fieldSelector: 'metadata.name=legacy',
    });
    try {
      await vi.waitFor(() =>
        expect(streaming.events.map((e) => e.type).slice(0, 2)).toEqual(['ADDED', 'BOOKMARK']),
      );
      expect(streaming.events[1]?.object.metadata?.annotations).toEqual({
        'k8s.io/initial-events-end': 'true',
      });
    } finally {
      streaming.stop();
    }
  });

  it('ends after timeoutSeconds', async () => {
    const w = await rawWatch('/api/v1/namespaces/raw/configmaps', {
      timeoutSeconds: 1,
      resourceVersion: String(c.api.store.resourceVersion),
    });
    await vi.waitFor(() => expect(w.ended).toBe(true), { timeout: 5000 });
    expect(w.endError).toBeNull();
  });

  it('watches all namespaces at the cluster-wide path', async () => {
    const w = await rawWatch('/api/v1/configmaps', { resourceVersion: String(c.api.store.resourceVersion) });
    try {
      await c.core.createNamespacedConfigMap({ namespace: 'inf', body: cm('everywhere-1') });
      await c.core.createNamespacedConfigMap({ namespace: 'raw', body: cm('everywhere-2') });
      await vi.waitFor(() =>
        expect(w.events.map((e) => `${e.object.metadata?.namespace}/${e.object.metadata?.name}`)).toEqual([
          'inf/everywhere-1',
          'raw/everywhere-2',
        ]),
      );
    } finally {
      w.stop();
    }
  });
});
