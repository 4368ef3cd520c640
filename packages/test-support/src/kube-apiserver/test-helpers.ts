/** Shared setup for this package's integration tests: a server plus real @kubernetes/client-node clients. */
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiServer, type KubeApiServerOptions, type Status } from './index.ts';

export interface TestCluster {
  api: KubeApiServer;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  discovery: DiscoveryV1Api;
  custom: CustomObjectsApi;
  crds: ApiextensionsV1Api;
}

export async function startTestCluster(options: KubeApiServerOptions = {}): Promise<TestCluster> {
  const api = await startKubeApiServer({ host: '127.0.0.1', port: 0, ...options });
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
  return {
    api,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    crds: kc.makeApiClient(ApiextensionsV1Api),
  };
}

/** The Kubernetes Status a failed client-node call carried. */
export async function statusOf(call: Promise<unknown>): Promise<Status> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) {
      const body: unknown = err.body;
      const status = (typeof body === 'string' ? JSON.parse(body) : body) as Status;
      if (status.code !== err.code) throw new Error(`HTTP ${err.code} but Status.code ${status.code}`);
      return status;
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** A namespaced custom resource type with a status subresource, two versions, defaults and list-map keys. */
export const WIDGET_CRD: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.mesh.weft.dev' },
  spec: {
    group: 'mesh.weft.dev',
    scope: 'Namespaced',
    names: {
      plural: 'widgets',
      singular: 'widget',
      kind: 'Widget',
      shortNames: ['wd'],
      categories: ['weft'],
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Host', type: 'string', jsonPath: '.spec.host' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['host'],
                properties: {
                  host: { type: 'string', maxLength: 30, pattern: '^[a-z.-]+$' },
                  weight: { type: 'integer', minimum: 0, maximum: 100 },
                  mode: { type: 'string', _enum: ['fast', 'safe'], _default: 'safe' },
                  port: { x_kubernetes_int_or_string: true },
                  backends: {
                    type: 'array',
                    maxItems: 3,
                    x_kubernetes_list_type: 'map',
                    x_kubernetes_list_map_keys: ['name'],
                    items: {
                      type: 'object',
                      required: ['name'],
                      properties: { name: { type: 'string' }, port: { type: 'integer' } },
                    },
                  },
                  extra: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                },
              },
              status: {
                type: 'object',
                properties: { ready: { type: 'boolean' }, observedGeneration: { type: 'integer' } },
              },
            },
          },
        },
      },
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
        },
      },
    ],
  },
};

/** A cluster-scoped custom resource type without a status subresource. */
export const GADGET_CRD: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.mesh.weft.dev' },
  spec: {
    group: 'mesh.weft.dev',
    scope: 'Cluster',
    names: { plural: 'gadgets', kind: 'Gadget' },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};
