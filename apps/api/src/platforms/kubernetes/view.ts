/**
 * What the caches say about the cluster, in the shapes the rest of the API uses: the services part of
 * validate()'s ClusterView and the endpoints every proxy is sent (HTTPRoutes: routes.ts).
 *
 * An endpoint is one EndpointSlice endpoint that targets a Pod: its first address with the slice's port named `weft-inbound`
 * (else the first port), its version from the labels of the Pod it points at (`app.kubernetes.io/version`,
 * else `version`; "unknown" without either), its proxy id the Pod's name. A version's instances are its
 * ready endpoints; versions whose endpoints are all unready are listed with 0 instances.
 *
 * Topology, for locality-aware balancing: the zone is the EndpointSlice endpoint's `zone` (which the
 * EndpointSlice controller copies from its Node's topology.kubernetes.io/zone label), else that label on
 * the Pod; the region is the Pod's topology.kubernetes.io/region label when it has one. Reading Nodes
 * would give the region always, at the price of a Node informer and its RBAC; without it, endpoints
 * without a region rank by zone only.
 */
import type { V1EndpointSlice } from '@kubernetes/client-node';
import type { ClusterService, ServiceEndpoints } from '@weft/schema';
import type { KubernetesCaches } from './caches.ts';

export const INBOUND_PORT_NAME = 'weft-inbound';
export const UNKNOWN_VERSION = 'unknown';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

interface SliceEndpoint {
  namespace: string;
  service: string;
  proxyId: string;
  address: string;
  version: string;
  ready: boolean;
  zone: string | undefined;
  region: string | undefined;
}

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function versionOf(caches: KubernetesCaches, namespace: string, podName: string): string {
  const labels = caches.pods.get(podName, namespace)?.metadata?.labels ?? {};
  return labels['app.kubernetes.io/version'] ?? labels.version ?? UNKNOWN_VERSION;
}

function sliceEndpoints(caches: KubernetesCaches, slice: V1EndpointSlice): SliceEndpoint[] {
  const namespace = slice.metadata?.namespace;
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!namespace || !service) return [];
  const ports = slice.ports ?? [];
  const port = (ports.find((p) => p.name === INBOUND_PORT_NAME) ?? ports[0])?.port;
  if (port === undefined) return [];
  const out: SliceEndpoint[] = [];
  for (const endpoint of slice.endpoints ?? []) {
    const address = endpoint.addresses[0];
    if (!address) continue;
    // Only pods run a proxy (the API server's own endpoints, external IPs do not).
    const pod = endpoint.targetRef?.kind === 'Pod' ? endpoint.targetRef.name : undefined;
    if (!pod) continue;
    out.push({
      namespace,
      service,
      proxyId: pod,
      address: hostPort(address, port),
      version: versionOf(caches, namespace, pod),
      // As in Kubernetes: an unknown readiness counts as ready.
      ready: endpoint.conditions?.ready !== false,
      ...topologyOf(caches, namespace, pod, endpoint.zone),
    });
  }
  return out;
}

function topologyOf(
  caches: KubernetesCaches,
  namespace: string,
  podName: string,
  sliceZone: string | undefined,
): { zone: string | undefined; region: string | undefined } {
  const labels = caches.pods.get(podName, namespace)?.metadata?.labels ?? {};
  return { zone: sliceZone || labels[ZONE_LABEL] || undefined, region: labels[REGION_LABEL] || undefined };
}

function allEndpoints(caches: KubernetesCaches): SliceEndpoint[] {
  return caches.endpointSlices.list().flatMap((slice) => sliceEndpoints(caches, slice));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ready endpoints per Service, ordered as the universal registry orders them. */
export function kubernetesEndpoints(caches: KubernetesCaches): ServiceEndpoints[] {
  const byService = new Map<string, ServiceEndpoints>();
  const seen = new Set<string>();
  const ready = allEndpoints(caches)
    .filter((e) => e.ready)
    .sort(
      (a, b) =>
        compareText(a.namespace, b.namespace) ||
        compareText(a.service, b.service) ||
        compareText(a.proxyId, b.proxyId),
    );
  for (const e of ready) {
    const key = `${e.namespace}/${e.service}`;
    // One pod may sit in two slices of a Service (dual stack, a slice being replaced).
    if (seen.has(`${key}/${e.proxyId}`)) continue;
    seen.add(`${key}/${e.proxyId}`);
    let entry = byService.get(key);
    if (!entry) {
      entry = { name: e.service, namespace: e.namespace, endpoints: [] };
      byService.set(key, entry);
    }
    entry.endpoints.push({
      proxyId: e.proxyId,
      address: e.address,
      version: e.version,
      ...(e.zone === undefined ? {} : { zone: e.zone }),
      ...(e.region === undefined ? {} : { region: e.region }),
    });
  }
  return [...byService.values()];
}

/** Every Service, with the versions behind it and their ready instances. */
export function kubernetesServices(caches: KubernetesCaches): ClusterService[] {
  const services = new Map<string, ClusterService>();
  for (const svc of caches.services.list()) {
    const namespace = svc.metadata?.namespace;
    const name = svc.metadata?.name;
    if (namespace && name) services.set(`${namespace}/${name}`, { namespace, name, versions: [] });
  }
  const counted = new Set<string>();
  for (const e of allEndpoints(caches)) {
    const service = services.get(`${e.namespace}/${e.service}`);
    if (!service) continue;
    let entry = service.versions.find((v) => v.version === e.version);
    if (!entry) {
      entry = { version: e.version, instances: 0 };
      service.versions.push(entry);
    }
    const key = `${e.namespace}/${e.service}/${e.proxyId}`;
    if (e.ready && !counted.has(key)) {
      counted.add(key);
      entry.instances++;
    }
  }
  return [...services.values()];
}
