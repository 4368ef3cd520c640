/**
 * Kubernetes mode end to end: the in-repo kube-apiserver with the chart's CRDs and the Gateway API HTTPRoute
 * CRD, a Service with pods and an EndpointSlice, and the real API started with WEFT_PLATFORM=kubernetes.
 * Policies written through the API become custom resources; ones written past it (as kubectl would) are
 * validated, listed, compiled when accepted, and recorded in the history.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import type { Condition, Finding, PolicyResourceInput, ProxyConfig } from '@weft/schema';
import { startKubeApiServer, type KubeApiServer } from '@weft/test-support/kube-apiserver';
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
} from './support/auth.ts';
import { sqliteDatabase, type TestDatabase } from './support/databases.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const GROUP = 'policy.weft.dev';
const VERSION = 'v1alpha1';

let kube: KubeApiServer;
let kc: KubeConfig;
let custom: CustomObjectsApi;
let database: TestDatabase;
let api: RunningApi;
let admin: Session;
let dir: string;
const logs: string[] = [];

function split(name: string, backends: { version: string; weight: number }[], resourceVersion?: string) {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'TrafficSplit',
    metadata: { name, namespace: 'shop', ...(resourceVersion ? { resourceVersion } : {}) },
    spec: { targetRef: { name: 'reviews' }, backends },
  } satisfies PolicyResourceInput;
}

async function readSplit(name: string) {
  return (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: 'shop',
    plural: 'trafficsplits',
    name,
  })) as { metadata: { resourceVersion: string; generation: number }; status?: { conditions?: Condition[] } };
}

function accepted(object: { status?: { conditions?: Condition[] } }): Condition | undefined {
  return object.status?.conditions?.find((c) => c.type === 'Accepted');
}

async function crdsFrom(files: string[]): Promise<void> {
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  for (const file of files) {
    await crds.createCustomResourceDefinition({
      body: parse(readFileSync(file, 'utf8')) as V1CustomResourceDefinition,
    });
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'weft-k8s-'));
  kube = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
  kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
  const kubeconfig = path.join(dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
  custom = kc.makeApiClient(CustomObjectsApi);
  const crdDir = path.join(ROOT, 'charts/weft/crds');
  await crdsFrom([
    ...readdirSync(crdDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => path.join(crdDir, f)),
    path.join(ROOT, 'packages/test-support/src/kube-apiserver/fixtures/gateway-api-httproutes.crd.yaml'),
  ]);

  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'shop' } } });
  await core.createNamespacedService({
    namespace: 'shop',
    body: {
      metadata: { name: 'reviews' },
      spec: { selector: { app: 'reviews' }, ports: [{ name: 'weft-inbound', port: 15001 }] },
    },
  });
  const pods: { name: string; labels: Record<string, string> }[] = [
    { name: 'reviews-v1-x', labels: { app: 'reviews', version: 'v1' } },
    { name: 'reviews-v2-x', labels: { app: 'reviews', 'app.kubernetes.io/version': 'v2' } },
    { name: 'reviews-v3-x', labels: { app: 'reviews', version: 'v3' } },
  ];
  for (const pod of pods) {
    await core.createNamespacedPod({
      namespace: 'shop',
      body: {
        metadata: pod,
        spec: { containers: [{ name: 'app', image: 'reviews:latest' }] },
      },
    });
  }
  await kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace: 'shop',
    body: {
      metadata: { name: 'reviews-abcde', labels: { 'kubernetes.io/service-name': 'reviews' } },
      addressType: 'IPv4',
      ports: [
        { name: 'metrics', port: 9090, protocol: 'TCP' },
        { name: 'weft-inbound', port: 15001, protocol: 'TCP' },
      ],
      endpoints: [
        {
          addresses: ['10.0.0.1'],
          conditions: { ready: true },
          targetRef: { kind: 'Pod', name: 'reviews-v1-x', namespace: 'shop' },
        },
        {
          addresses: ['10.0.0.2'],
          conditions: { ready: true },
          targetRef: { kind: 'Pod', name: 'reviews-v2-x', namespace: 'shop' },
        },
        {
          addresses: ['10.0.0.3'],
          conditions: { ready: false },
          targetRef: { kind: 'Pod', name: 'reviews-v3-x', namespace: 'shop' },
        },
      ],
    },
  });

  database = await sqliteDatabase();
  api = await startApi(
    await testApiOptions(database.url, { platform: { name: 'kubernetes', kubeconfig } }),
    (line) => logs.push(line),
  );
  admin = await signIn(api.url);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await kube?.close();
  await database?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Kubernetes platform', () => {
  const list = () => trpcQuery<StoredPolicy[]>(api.url, admin, 'policies.list', {});
  const history = () => trpcQuery<PolicyRevision[]>(api.url, admin, 'policies.history', {});

  it('says which platform it is on', async () => {
    const info = await trpcQuery<{ platform: string; server?: string }>(api.url, admin, 'platform.info');
    expect(info).toEqual({ platform: 'kubernetes', server: kc.getCurrentCluster()?.server });
  });

  it('writes a TrafficSplit applied through the API as a custom resource with Accepted=True', async () => {
    const stored = await trpcMutation<StoredPolicy>(
      api.url,
      admin,
      'policies.upsert',
      split('reviews-canary', [
        { version: 'v1', weight: 90 },
        { version: 'v2', weight: 10 },
      ]),
    );
    expect(stored.updatedBy).toBe('admin');
    const object = await readSplit('reviews-canary');
    expect(accepted(object)).toMatchObject({ status: 'True', reason: 'Accepted', observedGeneration: 1 });
    expect(object.status?.conditions?.some((c) => c.type === 'Programmed')).toBe(true);
    expect(stored.resource.metadata.resourceVersion).toBe(object.metadata.resourceVersion);
  });

  it('answers 409 CONFLICT to an update with a stale resourceVersion', async () => {
    const current = await readSplit('reviews-canary');
    const fresh = await trpcMutation<StoredPolicy>(
      api.url,
      admin,
      'policies.upsert',
      split('reviews-canary', [{ version: 'v1', weight: 1 }], current.metadata.resourceVersion),
    );
    expect(fresh.resource.metadata.generation).toBe(2);
    const stale = await trpcCall(
      api.url,
      admin,
      'policies.upsert',
      split('reviews-canary', [{ version: 'v2', weight: 1 }], current.metadata.resourceVersion),
      'mutation',
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error?.data?.code).toBe('CONFLICT');
    expect(stale.body.error?.message).toMatch(/changed after you read it/);
    expect((await readSplit('reviews-canary')).metadata.generation).toBe(2);
  });

  it('refuses a split to a version with no instances with 400 WEFT2002 and writes nothing', async () => {
    const answer = await trpcCall(
      api.url,
      admin,
      'policies.upsert',
      {
        ...split('reviews-v3', [{ version: 'v3', weight: 1 }]),
        metadata: { name: 'reviews-v3', namespace: 'shop' },
      },
      'mutation',
    );
    expect(answer.status).toBe(400);
    const findings = (answer.body.error?.data as { findings?: Finding[] } | undefined)?.findings ?? [];
    expect(findings.map((f) => f.code)).toContain('WEFT2002');
    const all = (await custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'shop',
      plural: 'trafficsplits',
    })) as { items: { metadata: { name: string } }[] };
    expect(all.items.map((i) => i.metadata.name)).toEqual(['reviews-canary']);
  });

  it('validates, lists and compiles policies created directly on the API server', async () => {
    // A RetryPolicy (valid) and a second TrafficSplit for reviews (invalid: WEFT2003), as kubectl would.
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'shop',
      plural: 'retrypolicies',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'RetryPolicy',
        metadata: { name: 'reviews-retry', namespace: 'shop' },
        spec: { targetRef: { name: 'reviews' }, attempts: 2 },
      },
    });
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'shop',
      plural: 'trafficsplits',
      body: split('reviews-other', [{ version: 'v2', weight: 1 }]),
    });

    await vi.waitFor(
      async () => {
        expect(accepted(await readSplit('reviews-other'))).toMatchObject({
          status: 'False',
          reason: 'Invalid',
          observedGeneration: 1,
        });
        expect(accepted(await readSplit('reviews-other'))?.message).toMatch(/WEFT2003/);
      },
      { timeout: 10_000, interval: 50 },
    );
    await vi.waitFor(
      async () => {
        const retry = (await list()).find((p) => p.resource.metadata.name === 'reviews-retry');
        expect(retry?.conditions.find((c) => c.type === 'Accepted')?.status).toBe('True');
        expect(retry?.updatedBy).toBe('kubernetes');
      },
      { timeout: 10_000, interval: 50 },
    );

    // A proxy of reviews@v1 (its pod is an EndpointSlice endpoint) reads its config.
    const token = await workloadToken(api.url, admin, {
      namespace: 'shop',
      service: 'reviews',
      version: 'v1',
    });
    const reg = await fetch(`${api.url}/v1/proxies/register`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify({
        proxyId: 'reviews-v1-x',
        service: 'reviews',
        namespace: 'shop',
        version: 'v1',
        // Registrations do not define endpoints in Kubernetes mode: this address is not used.
        inboundAddress: '127.0.0.1:1',
        adminAddress: '127.0.0.1:2',
      }),
    });
    expect(reg.status).toBe(200);
    await vi.waitFor(
      async () => {
        const res = await fetch(`${api.url}/v1/proxies/reviews-v1-x/config`, { headers: bearer(token) });
        expect(res.status).toBe(200);
        const config = (await res.json()) as ProxyConfig;
        expect(config.services).toEqual([
          {
            name: 'reviews',
            namespace: 'shop',
            endpoints: [
              { proxyId: 'reviews-v1-x', address: '10.0.0.1:15001', version: 'v1' },
              { proxyId: 'reviews-v2-x', address: '10.0.0.2:15001', version: 'v2' },
            ],
          },
        ]);
        const policy = config.policies?.find((p) => p.service === 'reviews');
        expect(policy?.retry?.source).toBe('RetryPolicy shop/reviews-retry');
        expect(policy?.split?.source).toBe('TrafficSplit shop/reviews-canary');
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('keeps a history of writes through the API and changes made past it', async () => {
    await vi.waitFor(
      async () => {
        const rows = await history();
        const summary = rows.map((r) => `${r.action} ${r.ref.kind}/${r.ref.name} by ${r.by}`);
        expect(summary).toEqual(
          expect.arrayContaining([
            'create TrafficSplit/reviews-canary by admin',
            'update TrafficSplit/reviews-canary by admin',
            'create RetryPolicy/reviews-retry by kubernetes',
            'create TrafficSplit/reviews-other by kubernetes',
          ]),
        );
        expect(rows).toHaveLength(4);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('recovers its informers after the history is compacted and the watches drop', async () => {
    kube.store.endAllWatches();
    await custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'shop',
      plural: 'retrypolicies',
      name: 'reviews-retry',
    });
    kube.store.compact();
    await vi.waitFor(
      async () => {
        expect((await list()).map((p) => p.resource.metadata.name)).not.toContain('reviews-retry');
        const rows = await history();
        expect(rows[0]).toMatchObject({ action: 'delete', by: 'kubernetes', ref: { name: 'reviews-retry' } });
      },
      { timeout: 15_000, interval: 100 },
    );
    // And it keeps watching: a change after the relist arrives too.
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'shop',
      plural: 'timeoutpolicies',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'TimeoutPolicy',
        metadata: { name: 'reviews-timeout', namespace: 'shop' },
        spec: { targetRef: { name: 'reviews' }, request: '2s' },
      },
    });
    await vi.waitFor(
      async () => {
        const timeout = (await list()).find((p) => p.resource.metadata.name === 'reviews-timeout');
        expect(timeout?.conditions.find((c) => c.type === 'Accepted')?.status).toBe('True');
      },
      { timeout: 15_000, interval: 100 },
    );
  });
});
