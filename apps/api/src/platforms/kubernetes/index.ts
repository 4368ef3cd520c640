/**
 * Kubernetes mode, assembled: the kubeconfig (a file, or the pod's service account), the informer caches,
 * the policy platform and the endpoint source the registry compiles proxy configs from.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { ServiceEndpoints } from '@weft/schema';
import type { Db } from '../../db/client.ts';
import type { EndpointSource } from '../../registry/registry.ts';
import { KubernetesCaches, type CachesOptions } from './caches.ts';
import { KubernetesPolicyPlatform } from './platform.ts';
import { kubernetesEndpoints } from './view.ts';

export { KubernetesCaches } from './caches.ts';
export { KubernetesPolicyPlatform } from './platform.ts';

export interface KubernetesPlatform {
  kubeConfig: KubeConfig;
  caches: KubernetesCaches;
  policies: KubernetesPolicyPlatform;
  endpoints: EndpointSource;
  close(): Promise<void>;
}

/** A kubeconfig file, or in-cluster configuration when `path` is undefined. */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  if (!kc.getCurrentCluster()) {
    throw new Error(`the kubeconfig ${path ?? '(in-cluster)'} has no current cluster`);
  }
  return kc;
}

export async function startKubernetesPlatform(
  kubeconfig: string | undefined,
  db: Db,
  options: Pick<CachesOptions, 'resyncMs'> & { log: (line: string) => void },
): Promise<KubernetesPlatform> {
  const kc = loadKubeConfig(kubeconfig);
  const caches = new KubernetesCaches(kc, options);
  const policies = new KubernetesPolicyPlatform(kc, caches, db, { log: options.log });
  const endpoints: EndpointSource = {
    services: (): ServiceEndpoints[] => kubernetesEndpoints(caches),
    onChange: (listener) =>
      caches.on((event) => {
        if (event.type === 'cluster') listener();
      }),
  };
  await caches.start();
  return {
    kubeConfig: kc,
    caches,
    policies,
    endpoints,
    async close() {
      policies.close();
      await caches.stop();
    },
  };
}
