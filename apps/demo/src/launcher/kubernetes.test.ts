import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { POLICY_KIND_NAMES } from '@weft/schema';
import { KubeStore } from '@weft/test-support/kube-apiserver';
import { describe, expect, it } from 'vitest';
import { DEMO_WORKLOADS } from '../topology.ts';
import { crdObjects, shopObjects, type ShopInstance } from './kubernetes.ts';
import { allocateWorkloadPorts } from './ports.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const instances: ShopInstance[] = allocateWorkloadPorts(15000).map((p) => ({
  workload: p.workload,
  proxyId: `${p.workload.name}.${p.workload.namespace}`,
  host: '127.0.0.1',
  inboundPort: p.inbound,
}));

interface Meta {
  name: string;
  labels: Record<string, string>;
}
interface Pod {
  metadata: Meta;
  status: { podIP: string; conditions: { type: string; status: string }[] };
}
interface Slice {
  metadata: Meta;
  ports: { name: string; port: number }[];
  endpoints: { addresses: string[]; conditions: { ready: boolean }; targetRef: { name: string } }[];
}
const nameOf = (o: object): string => (o as { metadata: Meta }).metadata.name;

describe('the Kubernetes objects of the demo shop', () => {
  it('are accepted by the in-repo API server, with the CRDs, and say what the API reads', async () => {
    const store = new KubeStore();
    for (const crd of crdObjects(repoRoot)) store.apply(crd);
    const shop = shopObjects(instances);
    for (const o of shop.objects) store.apply(o);
    for (const s of shop.statuses) store.applyStatus(s);

    const crds = (await store.listObjects('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).map(nameOf);
    expect(crds).toEqual(
      expect.arrayContaining([
        'trafficsplits.policy.weft.dev',
        'retrypolicies.policy.weft.dev',
        'httproutes.gateway.networking.k8s.io',
      ]),
    );
    expect(crds.filter((c) => c.endsWith('.policy.weft.dev'))).toHaveLength(POLICY_KIND_NAMES.length);

    const pod = store.getObject('v1', 'Pod', 'reviews-v2.shop', 'shop') as unknown as Pod;
    expect(pod.metadata.labels).toMatchObject({ app: 'reviews', 'app.kubernetes.io/version': 'v2' });
    expect(pod.status.podIP).toBe('127.0.0.1');
    expect(pod.status.conditions).toContainEqual({ type: 'Ready', status: 'True' });
    expect(pod.metadata.labels).toMatchObject({
      'topology.kubernetes.io/zone': 'eu-west-1b',
      'topology.kubernetes.io/region': 'eu-west-1',
    });
    expect(await store.listObjects('v1', 'Pod', 'shop')).toHaveLength(
      DEMO_WORKLOADS.filter((w) => w.namespace === 'shop').length,
    );
    // One Deployment per service version; cart's has three replicas, ratings' two.
    const deployments = (await store.listObjects('apps/v1', 'Deployment', 'shop')) as unknown as {
      metadata: Meta;
      spec: { replicas: number };
    }[];
    expect(deployments.map((d) => [nameOf(d), d.spec.replicas]).sort()).toEqual([
      ['cart', 3],
      ['catalog', 1],
      ['pricing', 1],
      ['ratings', 2],
      ['reviews-v1', 1],
      ['reviews-v2', 1],
    ]);
    const services = (await store.listObjects('v1', 'Service', 'shop')).map(nameOf);
    expect(services.sort()).toEqual(['cart', 'catalog', 'pricing', 'ratings', 'reviews']);

    // One slice per instance: every instance has its own inbound port on the same address.
    const slices = (await store.listObjects(
      'discovery.k8s.io/v1',
      'EndpointSlice',
      'shop',
    )) as unknown as Slice[];
    const reviews = slices.filter((s) => s.metadata.labels['kubernetes.io/service-name'] === 'reviews');
    expect(
      reviews.map((s) => [s.ports[0]!.name, s.ports[0]!.port, s.endpoints[0]!.targetRef.name]).sort(),
    ).toEqual([
      ['weft-inbound', 15041, 'reviews-v1.shop'],
      ['weft-inbound', 15051, 'reviews-v2.shop'],
    ]);
    expect(reviews[0]!.endpoints[0]).toMatchObject({ addresses: ['127.0.0.1'], conditions: { ready: true } });
    const zones = Object.fromEntries(
      slices.map((s) => [s.endpoints[0]!.targetRef.name, (s.endpoints[0] as { zone?: string }).zone]),
    );
    expect(zones).toMatchObject({ 'cart.shop': 'eu-west-1a', 'cart-3.shop': 'eu-west-1b' });
    expect(slices).toHaveLength(DEMO_WORKLOADS.length - 1);
    // Validating every object against the CRD schemas takes a few seconds on a busy machine.
  }, 30_000);
});
