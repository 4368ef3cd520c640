/**
 * Revert from history (policies.revert) over HTTP, as the console calls it, on both platforms and both
 * databases: universal mode (services are registrations) and Kubernetes mode (the in-repo kube-apiserver with
 * the chart's CRDs, services from Services / Pods / EndpointSlices). One scenario, run the same way on each:
 * revert to an earlier spec, a revert of a delete re-creates, a revert to a delete deletes, a stale
 * expectedResourceVersion and a viewer are refused with nothing written, a revert to a spec whose target
 * is gone is refused like any apply.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import type { Finding, PolicyResourceInput } from '@weft/schema';
import { startKubeApiServer, type KubeApiServer } from '@weft/test-support/kube-apiserver';
import { startApi, type RunningApi } from '../src/app.ts';
import type { PolicyRevision, StoredPolicy } from '../src/policies/platform.ts';
import type { RevertOutcome } from '../src/policies/revert.ts';
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
import { BACKENDS, type Backend, type TestDatabase } from './support/databases.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A running API on one platform, and how to make the `ratings` service disappear on it. */
interface Harness {
  api: RunningApi;
  admin: Session;
  removeRatings(): Promise<void>;
  stop(): Promise<void>;
}

interface Platform {
  name: string;
  start(database: TestDatabase): Promise<Harness>;
}

/** reviews runs v1 and v2, ratings v1, registered by their proxies. */
async function startUniversal(database: TestDatabase): Promise<Harness> {
  const api = await startApi(await testApiOptions(database.url), () => undefined);
  const admin = await signIn(api.url);
  const tokens = new Map<string, string>();
  for (const w of [
    { proxyId: 'reviews-v1-1', service: 'reviews', version: 'v1', port: 16101 },
    { proxyId: 'reviews-v2-1', service: 'reviews', version: 'v2', port: 16102 },
    { proxyId: 'ratings-v1-1', service: 'ratings', version: 'v1', port: 16103 },
  ]) {
    const token = await workloadToken(api.url, admin, { namespace: 'shop', ...w });
    tokens.set(w.proxyId, token);
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
  return {
    api,
    admin,
    removeRatings: async () => {
      const res = await fetch(`${api.url}/v1/proxies/ratings-v1-1`, {
        method: 'DELETE',
        headers: bearer(tokens.get('ratings-v1-1')!),
      });
      expect(res.status).toBe(204);
    },
    stop: () => api.close(),
  };
}

/** The same services as Kubernetes objects: a Service, its Pods (version labels) and an EndpointSlice each. */
async function startKubernetes(database: TestDatabase): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-revert-k8s-'));
  const kube: KubeApiServer = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
  const kubeconfig = path.join(dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  const crdDir = path.join(ROOT, 'charts/weft/crds');
  for (const file of readdirSync(crdDir).filter((f) => f.endsWith('.yaml'))) {
    await crds.createCustomResourceDefinition({
      body: parse(readFileSync(path.join(crdDir, file), 'utf8')) as V1CustomResourceDefinition,
    });
  }
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  await core.createNamespace({ body: { metadata: { name: 'shop' } } });
  let address = 1;
  for (const [service, versions] of [
    ['reviews', ['v1', 'v2']],
    ['ratings', ['v1']],
  ] as const) {
    await core.createNamespacedService({
      namespace: 'shop',
      body: {
        metadata: { name: service },
        spec: { selector: { app: service }, ports: [{ name: 'weft-inbound', port: 15001 }] },
      },
    });
    for (const version of versions) {
      await core.createNamespacedPod({
        namespace: 'shop',
        body: {
          metadata: { name: `${service}-${version}-x`, labels: { app: service, version } },
          spec: { containers: [{ name: 'app', image: `${service}:latest` }] },
        },
      });
    }
    await discovery.createNamespacedEndpointSlice({
      namespace: 'shop',
      body: {
        metadata: { name: `${service}-abcde`, labels: { 'kubernetes.io/service-name': service } },
        addressType: 'IPv4',
        ports: [{ name: 'weft-inbound', port: 15001, protocol: 'TCP' }],
        endpoints: versions.map((version) => ({
          addresses: [`10.0.0.${address++}`],
          conditions: { ready: true },
          targetRef: { kind: 'Pod', name: `${service}-${version}-x`, namespace: 'shop' },
        })),
      },
    });
  }
  const api = await startApi(
    await testApiOptions(database.url, { platform: { name: 'kubernetes', kubeconfig } }),
    () => undefined,
  );
  return {
    api,
    admin: await signIn(api.url),
    removeRatings: async () => {
      await discovery.deleteNamespacedEndpointSlice({ namespace: 'shop', name: 'ratings-abcde' });
      await core.deleteNamespacedService({ namespace: 'shop', name: 'ratings' });
    },
    stop: async () => {
      await api.close();
      await kube.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const PLATFORMS: readonly Platform[] = [
  { name: 'universal', start: startUniversal },
  { name: 'Kubernetes', start: startKubernetes },
];

const CASES = PLATFORMS.flatMap((platform) =>
  BACKENDS.map((backend) => ({ name: `${platform.name} mode on ${backend.name}`, platform, backend })),
);

function split(name: string, service: string, backends: { version: string; weight: number }[]) {
  return {
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name, namespace: 'shop' },
    spec: { targetRef: { name: service }, backends },
  } satisfies PolicyResourceInput;
}

const CANARY = [
  { version: 'v1', weight: 90 },
  { version: 'v2', weight: 10 },
];
const HALF = [
  { version: 'v1', weight: 50 },
  { version: 'v2', weight: 50 },
];
const ALL_V2 = [{ version: 'v2', weight: 100 }];
const canaryRef = { kind: 'TrafficSplit', namespace: 'shop', name: 'reviews-canary' } as const;
const ratingsRef = { kind: 'TrafficSplit', namespace: 'shop', name: 'ratings-pin' } as const;

function errorCode(answer: TrpcAnswer): string | undefined {
  return answer.body.error?.data?.code;
}

describe.each(CASES)('revert in $name', ({ platform, backend }) => {
  let database: TestDatabase;
  let harness: Harness;
  let editor: Session;
  let viewer: Session;
  const url = () => harness.api.url;

  const get = async (ref: object = canaryRef): Promise<StoredPolicy | null> => {
    const answer = await trpcCall(url(), viewer, 'policies.get', ref, 'query');
    if (answer.status === 404) return null;
    expect(answer.status, JSON.stringify(answer.body.error)).toBe(200);
    return answer.body.result?.data as StoredPolicy;
  };
  const history = (filter: object = canaryRef) =>
    trpcQuery<PolicyRevision[]>(url(), viewer, 'policies.history', filter);
  const upsert = (resource: PolicyResourceInput, resourceVersion?: string) =>
    trpcMutation<StoredPolicy>(url(), editor, 'policies.upsert', {
      ...resource,
      metadata: { ...resource.metadata, ...(resourceVersion ? { resourceVersion } : {}) },
    });
  const revert = (session: Session, input: object) =>
    trpcCall(url(), session, 'policies.revert', input, 'mutation');
  /** Everything a refused revert must leave as it was. */
  const snapshot = async () => ({
    policies: await trpcQuery<StoredPolicy[]>(url(), viewer, 'policies.list', {}),
    history: await history({ limit: 500 }),
  });

  beforeAll(async () => {
    database = await (backend satisfies Backend).start();
    harness = await platform.start(database);
    for (const role of ['editor', 'viewer'] as const) {
      await trpcMutation(url(), harness.admin, 'users.create', {
        username: `${role}-user`,
        role,
        password: `${role}-password-123`,
      });
    }
    editor = await signIn(url(), 'editor-user', 'editor-password-123');
    viewer = await signIn(url(), 'viewer-user', 'viewer-password-123');
    // The Kubernetes caches fill asynchronously: wait until validation sees both services.
    await vi.waitFor(
      async () => {
        const dryRun = await trpcMutation<{ findings: Finding[] }>(
          url(),
          viewer,
          'policies.validate',
          split('probe', 'ratings', [{ version: 'v1', weight: 1 }]),
        );
        expect(dryRun.findings).toEqual([]);
      },
      { timeout: 10_000, interval: 100 },
    );
    // Three revisions: 90/10, 50/50, all to v2.
    const first = await upsert(split('reviews-canary', 'reviews', CANARY));
    const second = await upsert(
      split('reviews-canary', 'reviews', HALF),
      first.resource.metadata.resourceVersion,
    );
    await upsert(split('reviews-canary', 'reviews', ALL_V2), second.resource.metadata.resourceVersion);
  }, 90_000);

  afterAll(async () => {
    await harness?.stop();
    await database?.stop();
  });

  /** The resourceVersion the first revert was sent with: stale from then on. */
  let readBeforeRevert: string;

  it('reverts to an earlier spec: it is live again, recorded as a new revision by the editor', async () => {
    const before = (await get())!;
    readBeforeRevert = before.resource.metadata.resourceVersion!;
    expect((await history()).map((r) => r.revision)).toEqual([3, 2, 1]);

    const answer = await revert(editor, {
      ...canaryRef,
      revision: 1,
      expectedResourceVersion: before.resource.metadata.resourceVersion,
    });
    expect(answer.status, JSON.stringify(answer.body.error)).toBe(200);
    const outcome = answer.body.result?.data as RevertOutcome;
    expect(outcome).toMatchObject({ action: 'update', revertedTo: 1 });
    expect(outcome.policy?.resource.spec).toMatchObject({ backends: CANARY });

    const live = (await get())!;
    expect(live.resource.spec).toMatchObject({ backends: CANARY });
    expect(live.resource.metadata.generation).toBe((before.resource.metadata.generation ?? 0) + 1);
    expect(live.conditions.find((c) => c.type === 'Accepted')).toMatchObject({ status: 'True' });
    const [newest] = await history();
    expect(newest).toMatchObject({
      revision: 4,
      action: 'update',
      by: 'editor-user',
      spec: { backends: CANARY },
      previousSpec: { backends: ALL_V2 },
    });
  });

  it('refuses a stale expectedResourceVersion with 409 CONFLICT and writes nothing', async () => {
    const before = await snapshot();
    const answer = await revert(editor, {
      ...canaryRef,
      revision: 2,
      expectedResourceVersion: readBeforeRevert,
    });
    expect(answer.status).toBe(409);
    expect(errorCode(answer)).toBe('CONFLICT');
    expect(answer.body.error?.message).toMatch(/changed after you read it/);
    // null says "I saw it deleted": also stale while it exists.
    const sawDeleted = await revert(editor, { ...canaryRef, revision: 2, expectedResourceVersion: null });
    expect(sawDeleted.status).toBe(409);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a viewer (403) and an unknown revision (404), writing nothing', async () => {
    const before = await snapshot();
    const current = (await get())!;
    const byViewer = await revert(viewer, {
      ...canaryRef,
      revision: 2,
      expectedResourceVersion: current.resource.metadata.resourceVersion,
    });
    expect(byViewer.status).toBe(403);
    expect(byViewer.body.error?.message).toContain('needs the editor role');
    const unknown = await revert(editor, {
      ...canaryRef,
      revision: 99,
      expectedResourceVersion: current.resource.metadata.resourceVersion,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.message).toMatch(/no revision 99 \(its revisions are 1 to 4\)/);
    expect(await snapshot()).toEqual(before);
  });

  it('re-creates a deleted policy when reverting to a revision before its delete', async () => {
    const current = (await get())!;
    expect(
      await trpcMutation(url(), editor, 'policies.delete', {
        ...canaryRef,
        resourceVersion: current.resource.metadata.resourceVersion,
      }),
    ).toEqual({ ok: true });
    expect(await get()).toBeNull();

    // The caller read it deleted: its expected resourceVersion is null.
    const answer = await revert(editor, { ...canaryRef, revision: 2, expectedResourceVersion: null });
    expect(answer.status, JSON.stringify(answer.body.error)).toBe(200);
    expect(answer.body.result?.data).toMatchObject({ action: 'create', revertedTo: 2 });
    const live = (await get())!;
    expect(live.resource.spec).toMatchObject({ backends: HALF });
    expect(live.resource.metadata.generation).toBe(1);
    expect((await history()).slice(0, 2)).toMatchObject([
      { revision: 6, action: 'create', spec: { backends: HALF }, previousSpec: null, by: 'editor-user' },
      { revision: 5, action: 'delete', spec: null, previousSpec: { backends: CANARY } },
    ]);
  });

  it('deletes when reverting to a delete, and answers "unchanged" for what is already live', async () => {
    const current = (await get())!;
    const same = await revert(editor, {
      ...canaryRef,
      revision: 6,
      expectedResourceVersion: current.resource.metadata.resourceVersion,
    });
    expect(same.status).toBe(200);
    expect(same.body.result?.data).toMatchObject({ action: 'unchanged', revertedTo: 6 });
    expect((await history())[0]?.revision).toBe(6);

    const answer = await revert(editor, {
      ...canaryRef,
      revision: 5,
      expectedResourceVersion: current.resource.metadata.resourceVersion,
    });
    expect(answer.status, JSON.stringify(answer.body.error)).toBe(200);
    expect(answer.body.result?.data).toMatchObject({ action: 'delete', revertedTo: 5, policy: null });
    expect(await get()).toBeNull();
    expect((await history())[0]).toMatchObject({
      revision: 7,
      action: 'delete',
      previousSpec: { backends: HALF },
    });
  });

  it('refuses a revert to a spec whose target is gone with 400 and the code, writing nothing', async () => {
    const created = await upsert(split('ratings-pin', 'ratings', [{ version: 'v1', weight: 1 }]));
    expect(
      await trpcMutation(url(), editor, 'policies.delete', {
        ...ratingsRef,
        resourceVersion: created.resource.metadata.resourceVersion,
      }),
    ).toEqual({ ok: true });
    await harness.removeRatings();
    await vi.waitFor(
      async () => {
        const dryRun = await trpcMutation<{ findings: Finding[] }>(
          url(),
          viewer,
          'policies.validate',
          split('ratings-pin', 'ratings', [{ version: 'v1', weight: 1 }]),
        );
        expect(dryRun.findings.map((f) => f.code)).toContain('WEFT1001');
      },
      { timeout: 10_000, interval: 100 },
    );

    const before = await snapshot();
    const answer = await revert(editor, { ...ratingsRef, revision: 1, expectedResourceVersion: null });
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('BAD_REQUEST');
    expect(answer.body.error?.message).toContain('WEFT1001');
    const findings = (answer.body.error?.data as { findings?: Finding[] } | undefined)?.findings ?? [];
    expect(findings).toContainEqual(
      expect.objectContaining({ code: 'WEFT1001', severity: 'error', path: 'spec.targetRef.name' }),
    );
    expect(await snapshot()).toEqual(before);
    expect(await get(ratingsRef)).toBeNull();
  });

  it('answers history newest first, per policy and mesh-wide, bounded by the limit', async () => {
    const perPolicy = await history();
    expect(perPolicy.map((r) => r.revision)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    const meshWide = await history({ limit: 500 });
    expect(meshWide.map((r) => `${r.ref.name}#${r.revision}`).slice(0, 3)).toEqual([
      'ratings-pin#2',
      'ratings-pin#1',
      'reviews-canary#7',
    ]);
    expect(meshWide.every((r, i) => i === 0 || meshWide[i - 1]!.atMs >= r.atMs)).toBe(true);
    expect(await history({ limit: 2 })).toHaveLength(2);
  });
});
