/**
 * Kubernetes mode end to end: the in-repo kube-apiserver with the chart's CRDs and the Gateway API HTTPRoute
 * CRD, a Service with pods and an EndpointSlice, and the real API started with WEFT_PLATFORM=kubernetes.
 * Policies written through the API become custom resources; ones written past it (as kubectl would) are
 * validated, listed, compiled when accepted, and recorded in the history. HTTPRoutes attached to a Service
 * (GAMMA) are compiled into the config, get their status, and can be targeted by policies; policies follow
 * their target when it disappears and comes back.
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
import {
  MESH_CONTROLLER_NAME,
  type Condition,
  type Finding,
  type PolicyResourceInput,
  type ProxyConfig,
} from '@weft/schema';
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
import { BACKENDS, type Backend, type TestDatabase } from './support/databases.ts';

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

async function setUp(backend: Backend): Promise<void> {
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

  database = await backend.start();
  api = await startApi(
    await testApiOptions(database.url, { platform: { name: 'kubernetes', kubeconfig } }),
    (line) => logs.push(line),
  );
  admin = await signIn(api.url);
}

async function tearDown(): Promise<void> {
  await api?.close();
  await kube?.close();
  await database?.stop();
  rmSync(dir, { recursive: true, force: true });
}

describe.each(BACKENDS)('on $name', (backend) => {
  beforeAll(() => setUp(backend), 90_000);
  afterAll(tearDown);

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
          expect(rows[0]).toMatchObject({
            action: 'delete',
            by: 'kubernetes',
            ref: { name: 'reviews-retry' },
          });
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

  describe('HTTPRoutes (GAMMA) on the Kubernetes platform', () => {
    const ROUTES = '/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes';
    const tokens = new Map<string, string>();
    let core: CoreV1Api;

    interface RouteObject {
      metadata: { resourceVersion: string; generation: number };
      spec: { rules: { name?: string }[] };
      status?: {
        parents?: { controllerName: string; parentRef: { name: string }; conditions: Condition[] }[];
      };
    }

    /** A call to the API server as kubectl makes it (plain JSON over HTTP). */
    async function kubectl(method: string, path: string, body?: unknown, contentType = 'application/json') {
      const res = await fetch(`${kube.url}${path}`, {
        method,
        headers: { 'content-type': contentType },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as unknown;
    }

    const readRoute = async () => (await kubectl('GET', `${ROUTES}/reviews`)) as RouteObject;
    const ourEntry = (route: RouteObject, parent: string) =>
      route.status?.parents?.find(
        (p) => p.controllerName === MESH_CONTROLLER_NAME && p.parentRef.name === parent,
      );
    const cond = (conditions: Condition[] | undefined, type: string) =>
      conditions?.find((c) => c.type === type);

    /** The reviews proxies (EndpointSlice endpoints, so live) register once, each with its own token. */
    async function proxyToken(version: 'v1' | 'v2'): Promise<string> {
      let token = tokens.get(version);
      if (token) return token;
      token = await workloadToken(api.url, admin, { namespace: 'shop', service: 'reviews', version });
      const reg = await fetch(`${api.url}/v1/proxies/register`, {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify({
          proxyId: `reviews-${version}-x`,
          service: 'reviews',
          namespace: 'shop',
          version,
          inboundAddress: '127.0.0.1:1',
          adminAddress: '127.0.0.1:2',
        }),
      });
      expect(reg.status).toBe(200);
      tokens.set(version, token);
      return token;
    }

    async function configOf(version: 'v1' | 'v2'): Promise<ProxyConfig> {
      const res = await fetch(`${api.url}/v1/proxies/reviews-${version}-x/config`, {
        headers: bearer(await proxyToken(version)),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as ProxyConfig;
    }

    const reviewsEntry = (config: ProxyConfig) => config.policies?.find((p) => p.service === 'reviews');
    const policy = async (kind: string, name: string) =>
      (await trpcQuery<StoredPolicy[]>(api.url, admin, 'policies.list', {})).find(
        (p) => p.resource.kind === kind && p.resource.metadata.name === name,
      );
    const WAIT = { timeout: 15_000, interval: 100 };

    beforeAll(async () => {
      core = kc.makeApiClient(CoreV1Api);
      for (const name of ['reviews-v1', 'reviews-v2']) {
        await core.createNamespacedService({
          namespace: 'shop',
          body: { metadata: { name }, spec: { ports: [{ name: 'weft-inbound', port: 15001 }] } },
        });
      }
    });

    it('compiles an HTTPRoute created with kubectl into the config and writes its status', async () => {
      const everything = { path: { type: 'PathPrefix', value: '/' } };
      await kubectl('POST', `${ROUTES}?fieldManager=kubectl-client-side-apply`, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'reviews', namespace: 'shop' },
        spec: {
          parentRefs: [
            { group: '', kind: 'Service', name: 'reviews' },
            { group: '', kind: 'Service', name: 'nowhere' },
          ],
          rules: [
            {
              name: 'quote',
              matches: [{ path: { type: 'PathPrefix', value: '/quote' } }],
              backendRefs: [
                { name: 'reviews-v1', port: 15001, weight: 90 },
                { name: 'reviews-v2', port: 15001, weight: 10 },
              ],
              timeouts: { request: '2s' },
            },
            { name: 'legacy', backendRefs: [{ name: 'reviews-legacy', port: 15001 }] },
            { name: 'rest' },
          ],
        },
      });

      await vi.waitFor(async () => {
        expect(reviewsEntry(await configOf('v1'))?.routes).toEqual([
          {
            route: 'HTTPRoute shop/reviews',
            name: 'quote',
            index: 0,
            matches: [{ path: { type: 'PathPrefix', value: '/quote' } }],
            backends: [
              { service: 'reviews-v1', namespace: 'shop', weight: 90 },
              { service: 'reviews-v2', namespace: 'shop', weight: 10 },
            ],
            timeouts: { request: '2s' },
          },
          {
            route: 'HTTPRoute shop/reviews',
            name: 'legacy',
            index: 1,
            // The CRD's default match: every request.
            matches: [everything],
            backends: [{ service: 'reviews-legacy', namespace: 'shop', weight: 1 }],
          },
          { route: 'HTTPRoute shop/reviews', name: 'rest', index: 2, matches: [everything] },
        ]);
      }, WAIT);

      await vi.waitFor(async () => {
        const route = await readRoute();
        const reviews = ourEntry(route, 'reviews');
        expect(reviews?.parentRef).toEqual({ group: '', kind: 'Service', name: 'reviews' });
        expect(cond(reviews?.conditions, 'Accepted')).toMatchObject({
          status: 'True',
          reason: 'Accepted',
          observedGeneration: 1,
        });
        expect(cond(reviews?.conditions, 'ResolvedRefs')).toMatchObject({
          status: 'False',
          reason: 'BackendNotFound',
          message: expect.stringContaining('"reviews-legacy"') as string,
          observedGeneration: 1,
        });
        expect(cond(ourEntry(route, 'nowhere')?.conditions, 'Accepted')).toMatchObject({
          status: 'False',
          reason: 'NoMatchingParent',
        });
      }, WAIT);
    });

    it('warns the TrafficSplit of the route’s parent, in its Accepted message, that the route weights Services', async () => {
      await vi.waitFor(async () => {
        const canary = await policy('TrafficSplit', 'reviews-canary');
        const accepted = canary?.conditions.find((c) => c.type === 'Accepted');
        expect(accepted?.status).toBe('True');
        expect(accepted?.message).toMatch(/^the policy is valid, with warnings: WEFT2007 /);
        expect(canary?.findings.map((f) => f.code)).toEqual(['WEFT2007']);
      }, WAIT);
    });

    it('keeps the status entries of other controllers and follows the route’s generation', async () => {
      const before = await readRoute();
      const other = {
        parentRef: { group: '', kind: 'Service', name: 'reviews' },
        controllerName: 'example.com/other-mesh',
        conditions: [
          {
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'ok',
            lastTransitionTime: '2026-12-01T00:00:00Z',
            observedGeneration: 1,
          },
        ],
      };
      await kubectl(
        'PATCH',
        `${ROUTES}/reviews/status`,
        { status: { parents: [...(before.status?.parents ?? []), other] } },
        'application/merge-patch+json',
      );
      // Drop the missing backend: generation 2, and ResolvedRefs turns True.
      const current = await readRoute();
      await kubectl(
        'PATCH',
        `${ROUTES}/reviews`,
        [{ op: 'remove', path: '/spec/rules/1' }],
        'application/json-patch+json',
      );
      await vi.waitFor(async () => {
        const route = await readRoute();
        expect(route.metadata.generation).toBe(current.metadata.generation + 1);
        const reviews = ourEntry(route, 'reviews');
        expect(cond(reviews?.conditions, 'ResolvedRefs')).toMatchObject({
          status: 'True',
          observedGeneration: route.metadata.generation,
        });
        expect(cond(reviews?.conditions, 'Accepted')?.observedGeneration).toBe(route.metadata.generation);
        expect(route.status?.parents?.filter((p) => p.controllerName === 'example.com/other-mesh')).toEqual([
          other,
        ]);
      }, WAIT);
      await vi.waitFor(async () => {
        expect(reviewsEntry(await configOf('v1'))?.routes?.map((r) => r.name)).toEqual(['quote', 'rest']);
      }, WAIT);
    });

    it('programs a RetryPolicy for one rule of the route once every live proxy ACKs it', async () => {
      const stored = await trpcMutation<StoredPolicy>(api.url, admin, 'policies.upsert', {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'RetryPolicy',
        metadata: { name: 'quote-retry', namespace: 'shop' },
        spec: {
          targetRef: {
            group: 'gateway.networking.k8s.io',
            kind: 'HTTPRoute',
            name: 'reviews',
            sectionName: 'quote',
          },
          attempts: 3,
        },
      } satisfies PolicyResourceInput);
      expect(stored.conditions.find((c) => c.type === 'Accepted')?.status).toBe('True');

      // Both live proxies (the ready EndpointSlice endpoints) read the config that carries it and ACK it once:
      // the hub recomputes Programmed after a quiet moment, so a proxy ACKing in a tight loop would delay it.
      const acked = new Map<string, string>();
      const ackCurrent = async () => {
        for (const version of ['v1', 'v2'] as const) {
          const config = await configOf(version);
          const [quote, rest] = reviewsEntry(config)?.routes ?? [];
          expect(quote?.policies?.retry).toMatchObject({
            attempts: 3,
            source: 'RetryPolicy shop/quote-retry',
          });
          expect(rest?.policies).toBeUndefined();
          if (acked.get(version) === config.version) continue;
          const ack = await fetch(`${api.url}/v1/proxies/reviews-${version}-x/config/ack`, {
            method: 'POST',
            headers: bearer(await proxyToken(version)),
            body: JSON.stringify({ version: config.version, status: 'ACK' }),
          });
          expect(ack.status).toBe(204);
          acked.set(version, config.version);
        }
      };
      await vi.waitFor(ackCurrent, WAIT);
      await vi.waitFor(async () => {
        await ackCurrent();
        const programmed = (await policy('RetryPolicy', 'quote-retry'))?.conditions.find(
          (c) => c.type === 'Programmed',
        );
        expect(programmed).toMatchObject({ status: 'True', reason: 'Programmed', observedGeneration: 1 });
      }, WAIT);
    });

    it('takes Accepted back when the rule a policy names disappears, and gives it back when it returns', async () => {
      const current = await readRoute();
      // The quote rule loses its name: the RetryPolicy's sectionName names nothing (WEFT1003).
      await kubectl(
        'PATCH',
        `${ROUTES}/reviews`,
        [{ op: 'replace', path: '/spec/rules/0/name', value: 'quotes' }],
        'application/json-patch+json',
      );
      await vi.waitFor(async () => {
        const accepted = (await policy('RetryPolicy', 'quote-retry'))?.conditions.find(
          (c) => c.type === 'Accepted',
        );
        expect(accepted).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
        expect(accepted?.message).toContain('WEFT1003');
        const [quotes] = reviewsEntry(await configOf('v1'))?.routes ?? [];
        expect(quotes?.name).toBe('quotes');
        expect(quotes?.policies).toBeUndefined();
      }, WAIT);
      expect((await readRoute()).spec.rules[0]?.name).toBe('quotes');
      await kubectl(
        'PATCH',
        `${ROUTES}/reviews`,
        [{ op: 'replace', path: '/spec/rules/0/name', value: 'quote' }],
        'application/json-patch+json',
      );
      await vi.waitFor(async () => {
        const accepted = (await policy('RetryPolicy', 'quote-retry'))?.conditions.find(
          (c) => c.type === 'Accepted',
        );
        expect(accepted).toMatchObject({ status: 'True', reason: 'Accepted' });
        const [quote] = reviewsEntry(await configOf('v1'))?.routes ?? [];
        expect(quote?.policies?.retry?.source).toBe('RetryPolicy shop/quote-retry');
      }, WAIT);
      expect((await readRoute()).metadata.generation).toBe(current.metadata.generation + 2);
    });

    it('takes Accepted back when the target Service is deleted: the policy leaves the config until it is back', async () => {
      const ratings = {
        metadata: { name: 'ratings' },
        spec: { ports: [{ name: 'weft-inbound', port: 15001 }] },
      };
      await core.createNamespacedService({ namespace: 'shop', body: ratings });
      await trpcMutation(api.url, admin, 'policies.upsert', {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'TimeoutPolicy',
        metadata: { name: 'ratings-timeout', namespace: 'shop' },
        spec: { targetRef: { name: 'ratings' }, request: '3s' },
      } satisfies PolicyResourceInput);
      const ratingsTimeout = async () =>
        (await configOf('v1')).policies?.find((p) => p.service === 'ratings')?.timeout?.source;
      await vi.waitFor(async () => {
        expect(await ratingsTimeout()).toBe('TimeoutPolicy shop/ratings-timeout');
      }, WAIT);

      await core.deleteNamespacedService({ namespace: 'shop', name: 'ratings' });
      await vi.waitFor(async () => {
        const found = await policy('TimeoutPolicy', 'ratings-timeout');
        expect(found?.conditions.find((c) => c.type === 'Accepted')).toMatchObject({
          status: 'False',
          reason: 'TargetNotFound',
          message: expect.stringContaining('WEFT1001') as string,
          observedGeneration: 1,
        });
        expect(found?.conditions.find((c) => c.type === 'Programmed')).toMatchObject({
          status: 'False',
          reason: 'NotAccepted',
        });
        expect(await ratingsTimeout()).toBeUndefined();
      }, WAIT);
      expect(logs.some((l) => l.includes('TimeoutPolicy shop/ratings-timeout is no longer accepted'))).toBe(
        true,
      );

      await core.createNamespacedService({ namespace: 'shop', body: ratings });
      await vi.waitFor(async () => {
        const found = await policy('TimeoutPolicy', 'ratings-timeout');
        expect(found?.conditions.find((c) => c.type === 'Accepted')).toMatchObject({
          status: 'True',
          reason: 'Accepted',
        });
        expect(await ratingsTimeout()).toBe('TimeoutPolicy shop/ratings-timeout');
      }, WAIT);
    });
    it('accepts a policy created with kubectl before its target once the target exists', async () => {
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'shop',
        plural: 'retrypolicies',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'RetryPolicy',
          metadata: { name: 'inventory-retry', namespace: 'shop' },
          spec: { targetRef: { name: 'inventory' }, attempts: 2 },
        },
      });
      await vi.waitFor(async () => {
        const accepted = (await policy('RetryPolicy', 'inventory-retry'))?.conditions.find(
          (c) => c.type === 'Accepted',
        );
        expect(accepted).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
      }, WAIT);
      await core.createNamespacedService({
        namespace: 'shop',
        body: { metadata: { name: 'inventory' }, spec: { ports: [{ name: 'weft-inbound', port: 15001 }] } },
      });
      await vi.waitFor(async () => {
        const accepted = (await policy('RetryPolicy', 'inventory-retry'))?.conditions.find(
          (c) => c.type === 'Accepted',
        );
        expect(accepted).toMatchObject({ status: 'True', reason: 'Accepted', observedGeneration: 1 });
        expect((await configOf('v1')).policies?.find((p) => p.service === 'inventory')?.retry?.source).toBe(
          'RetryPolicy shop/inventory-retry',
        );
      }, WAIT);
    });
  });
});
