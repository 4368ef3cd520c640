/**
 * `--platform kubernetes`: the in-process Kubernetes API server of @weft/test-support, holding the policy CRDs
 * and what a cluster's controllers and kubelets would have written for the demo shop. The test server runs no
 * controllers, so the launcher is that controller: per service version a Deployment and a Pod per instance
 * (named after the instance's proxy id, `status.podIP` 127.0.0.1, Ready, with its zone and region labels), per
 * service a Service and, per instance, an EndpointSlice (with the endpoint's zone). Every instance listens on 127.0.0.1 with its own inbound port, and the API reads one port per
 * slice (the one named `weft-inbound`), hence one slice per instance rather than one per Service.
 * Everything is written before the API starts, so its informers see the whole shop at their first list.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startKubeApiServer, type KubeApiServer } from '@weft/test-support/kube-apiserver';
import type { DemoWorkload } from '../topology.ts';

export const INBOUND_PORT_NAME = 'weft-inbound';
export const FIELD_MANAGER = 'weft-demo-launcher';
/** The port every Service exposes (the proxies resolve names from EndpointSlices, never through it). */
const SERVICE_PORT = 80;
const POLICY_CRD_DIR = 'charts/weft/crds';
const HTTPROUTE_CRD = 'packages/test-support/src/kube-apiserver/fixtures/gateway-api-httproutes.crd.yaml';

/** One running instance of a workload: its proxy id and where its proxy's inbound listener is. */
export interface ShopInstance {
  workload: DemoWorkload;
  proxyId: string;
  host: string;
  inboundPort: number;
}

type Obj = Record<string, unknown>;

export interface ShopObjects {
  /** In apply order: Namespaces, Deployments, Pods, Services, EndpointSlices. */
  objects: Obj[];
  /** Status subresource writes (Deployments, Pods), applied after the objects. */
  statuses: Obj[];
}

const labelsOf = (w: DemoWorkload): Record<string, string> => ({
  app: w.service,
  version: w.version,
  'app.kubernetes.io/version': w.version,
});

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';

/** What the kubelet and the Node's labels would put on a Pod: where it runs. */
const podLabelsOf = (w: DemoWorkload): Record<string, string> => ({
  ...labelsOf(w),
  [ZONE_LABEL]: w.zone,
  [REGION_LABEL]: w.region,
});

const containerOf = (i: ShopInstance): Obj => ({
  name: i.workload.service,
  image: `weft-demo/${i.workload.service}:${i.workload.version}`,
  ports: [{ name: INBOUND_PORT_NAME, containerPort: i.inboundPort, protocol: 'TCP' }],
});

/** The Kubernetes objects of the demo shop (pure: no server involved). */
export function shopObjects(instances: readonly ShopInstance[]): ShopObjects {
  const objects: Obj[] = [];
  const statuses: Obj[] = [];
  const namespaces = [...new Set(instances.map((i) => i.workload.namespace))];
  for (const name of namespaces) objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

  // One Deployment per service version, its replicas the instances (named after the first, e.g. "cart").
  const byWorkload = new Map<string, ShopInstance[]>();
  for (const i of instances) {
    const key = `${i.workload.namespace}/${i.workload.service}/${i.workload.version}`;
    byWorkload.set(key, [...(byWorkload.get(key) ?? []), i]);
  }
  for (const group of byWorkload.values()) {
    const w = group[0]!.workload;
    const labels = labelsOf(w);
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: w.name, namespace: w.namespace, labels },
      spec: {
        replicas: group.length,
        selector: { matchLabels: { app: w.service, version: w.version } },
        template: { metadata: { labels }, spec: { containers: [containerOf(group[0]!)] } },
      },
    });
    statuses.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: w.name, namespace: w.namespace },
      status: {
        observedGeneration: 1,
        replicas: group.length,
        updatedReplicas: group.length,
        readyReplicas: group.length,
        availableReplicas: group.length,
      },
    });
  }

  for (const i of instances) {
    const w = i.workload;
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: i.proxyId, namespace: w.namespace, labels: podLabelsOf(w) },
      spec: { containers: [containerOf(i)] },
    });
    const ready = (type: string): Obj => ({ type, status: 'True' });
    statuses.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: i.proxyId, namespace: w.namespace },
      status: {
        phase: 'Running',
        hostIP: i.host,
        podIP: i.host,
        podIPs: [{ ip: i.host }],
        conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(ready),
      },
    });
  }

  const services = new Map<string, DemoWorkload>();
  for (const i of instances) services.set(`${i.workload.namespace}/${i.workload.service}`, i.workload);
  for (const w of services.values()) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: w.service, namespace: w.namespace, labels: { app: w.service } },
      spec: {
        selector: { app: w.service },
        ports: [
          { name: INBOUND_PORT_NAME, port: SERVICE_PORT, targetPort: INBOUND_PORT_NAME, protocol: 'TCP' },
        ],
      },
    });
  }

  for (const i of instances) {
    const w = i.workload;
    objects.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: i.proxyId.replace(/\./g, '-'),
        namespace: w.namespace,
        labels: {
          'kubernetes.io/service-name': w.service,
          'endpointslice.kubernetes.io/managed-by': FIELD_MANAGER,
        },
      },
      addressType: 'IPv4',
      ports: [{ name: INBOUND_PORT_NAME, port: i.inboundPort, protocol: 'TCP' }],
      endpoints: [
        {
          addresses: [i.host],
          conditions: { ready: true, serving: true, terminating: false },
          // The EndpointSlice controller copies it from the Node's topology.kubernetes.io/zone.
          zone: w.zone,
          targetRef: { kind: 'Pod', name: i.proxyId, namespace: w.namespace },
        },
      ],
    });
  }
  return { objects, statuses };
}

/** The six policy CRDs of the chart and the Gateway API HTTPRoute CRD, as objects. */
export function crdObjects(repoRoot: string): Obj[] {
  const dir = path.join(repoRoot, POLICY_CRD_DIR);
  const files = [
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => path.join(dir, f)),
    path.join(repoRoot, HTTPROUTE_CRD),
  ];
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8'))
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => o !== null),
  );
}

export interface DemoCluster {
  server: KubeApiServer;
  kubeconfigPath: string;
  /** How many shop objects were written (CRDs not counted). */
  objectCount: number;
  close(): Promise<void>;
}

/** Starts the API server on host:port, writes its kubeconfig, the CRDs and the shop's objects. */
export async function startDemoCluster(options: {
  repoRoot: string;
  port: number;
  kubeconfigPath: string;
  instances: readonly ShopInstance[];
}): Promise<DemoCluster> {
  const server = await startKubeApiServer({ host: '127.0.0.1', port: options.port });
  try {
    await server.writeKubeconfig(options.kubeconfigPath, { name: 'weft-demo' });
    for (const crd of crdObjects(options.repoRoot)) server.store.apply(crd, { fieldManager: FIELD_MANAGER });
    const shop = shopObjects(options.instances);
    for (const o of shop.objects) server.store.apply(o, { fieldManager: FIELD_MANAGER });
    for (const s of shop.statuses) server.store.applyStatus(s, { fieldManager: FIELD_MANAGER });
    return {
      server,
      kubeconfigPath: options.kubeconfigPath,
      objectCount: shop.objects.length,
      close: () => server.close(),
    };
  } catch (e) {
    await server.close();
    throw e;
  }
}
