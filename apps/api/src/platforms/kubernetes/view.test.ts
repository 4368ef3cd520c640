import type { V1EndpointSlice, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubernetesCaches } from './caches.ts';
import { kubernetesEndpoints, REGION_LABEL, ZONE_LABEL } from './view.ts';

/** Just what the view reads of the caches. */
function caches(slices: V1EndpointSlice[], pods: V1Pod[]): KubernetesCaches {
  return {
    endpointSlices: { list: () => slices },
    pods: {
      get: (name: string, namespace: string) =>
        pods.find((p) => p.metadata?.name === name && p.metadata.namespace === namespace),
    },
  } as unknown as KubernetesCaches;
}

const pod = (name: string, labels: Record<string, string> = {}): V1Pod => ({
  metadata: { name, namespace: 'shop', labels: { version: 'v1', ...labels } },
});

const slice = (
  ...endpoints: { pod: string; ip: string; zone?: string; ready?: boolean }[]
): V1EndpointSlice => ({
  addressType: 'IPv4',
  metadata: { name: 'reviews-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'reviews' } },
  ports: [{ name: 'weft-inbound', port: 15006 }],
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    targetRef: { kind: 'Pod', name: e.pod, namespace: 'shop' },
    conditions: { ready: e.ready ?? true },
    ...(e.zone === undefined ? {} : { zone: e.zone }),
  })),
});

describe('kubernetesEndpoints topology', () => {
  it("takes the zone from the EndpointSlice endpoint, else the Pod's label, and the region from the Pod", () => {
    const view = caches(
      [
        slice(
          { pod: 'r1', ip: '10.0.0.1', zone: 'eu-1a' },
          { pod: 'r2', ip: '10.0.0.2' },
          { pod: 'r3', ip: '10.0.0.3' },
          { pod: 'r4', ip: '10.0.0.4', zone: 'eu-1b', ready: false },
        ),
      ],
      [
        pod('r1', { [REGION_LABEL]: 'eu-1' }),
        pod('r2', { [ZONE_LABEL]: 'eu-1c', [REGION_LABEL]: 'eu-1' }),
        pod('r3'),
        pod('r4'),
      ],
    );
    expect(kubernetesEndpoints(view)).toEqual([
      {
        name: 'reviews',
        namespace: 'shop',
        endpoints: [
          { proxyId: 'r1', address: '10.0.0.1:15006', version: 'v1', zone: 'eu-1a', region: 'eu-1' },
          { proxyId: 'r2', address: '10.0.0.2:15006', version: 'v1', zone: 'eu-1c', region: 'eu-1' },
          { proxyId: 'r3', address: '10.0.0.3:15006', version: 'v1' },
        ],
      },
    ]);
  });
});
