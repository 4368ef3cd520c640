/**
 * Kubernetes mode, assembled: the kubeconfig (a file, or the pod's service account), the informer caches,
 * the policy platform, the endpoint and route source the registry compiles proxy configs from, and the
 * HTTPRoute status writer. Any cluster change (Services, EndpointSlices, Pods, HTTPRoutes) recompiles the
 * config, re-validates the policies and brings route status up to date.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { ServiceEndpoints } from '@weft/schema';
import type { Db } from '../../db/client.ts';
import type { EndpointSource } from '../../registry/registry.ts';
import { KubernetesCaches, type CachesOptions } from './caches.ts';
import { KubernetesPolicyPlatform } from './platform.ts';
import { HttpRouteReader, HttpRouteStatusWriter, serviceKeys } from './routes.ts';
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
  const routes = new HttpRouteReader(caches, options.log);
  const policies = new KubernetesPolicyPlatform(kc, caches, db, { log: options.log, routes });
  const routeStatus = new HttpRouteStatusWriter(kc, caches, routes, { log: options.log });
  const stopRouteStatus = caches.on((event) => {
    if (event.type === 'cluster') routeStatus.schedule();
  });
  const endpoints: EndpointSource = {
    services: (): ServiceEndpoints[] => kubernetesEndpoints(caches),
    routing: () => ({ routes: routes.routes(), services: serviceKeys(caches) }),
    onChange: (listener) =>
      caches.on((event) => {
        if (event.type === 'cluster') listener();
      }),
  };
  await caches.start();
  // What changed while the API was down: no informer event announces it.
  routeStatus.schedule();
  policies.scheduleRevalidation();
  return {
    kubeConfig: kc,
    caches,
    policies,
    endpoints,
    async close() {
      stopRouteStatus();
      routeStatus.close();
      policies.close();
      await caches.stop();
    },
  };
}
