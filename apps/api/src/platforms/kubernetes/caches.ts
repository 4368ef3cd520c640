/**
 * List+watch caches of what Kubernetes mode reads: Namespaces, Services, EndpointSlices, Pods, the six policy
 * CRDs and Gateway API HTTPRoutes, each a client-node informer (`makeInformer`). The informer relists by
 * itself after a 410 Gone (its resourceVersion was compacted away); on any other failure (the API server is
 * away, a CRD is not installed) it stops, so each one is restarted here with backoff. A resync timer hands
 * every cached object to the listeners again now and then, so a missed or failed reaction heals.
 */
import { EventEmitter } from 'node:events';
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type V1EndpointSlice,
  type V1Namespace,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { GATEWAY_GROUP, POLICY_GROUP, POLICY_KINDS, POLICY_VERSION, type PolicyKind } from '@weft/schema';

/** A policy custom resource as the API server has it. */
export interface PolicyObject extends KubernetesObject {
  spec?: unknown;
  status?: { conditions?: unknown[] };
}

/** A Gateway API HTTPRoute as the API server has it; routes.ts parses it with httpRouteSchema. */
export interface HttpRouteObject extends KubernetesObject {
  spec?: unknown;
  status?: { parents?: unknown[] };
}

type Cache<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export const HTTPROUTE_VERSION = 'v1';

export interface CachesOptions {
  log: (line: string) => void;
  /** How often every cached object is handed to the listeners again. */
  resyncMs?: number;
  /** First and longest wait before an informer that failed is started again. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export type CacheEvent =
  | { type: 'policy'; kind: PolicyKind; verb: 'add' | 'update' | 'delete'; object: PolicyObject }
  | { type: 'cluster' };

function errorCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

function describeError(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return code !== undefined ? `HTTP ${code}: ${message}` : (message ?? 'unknown error');
}

export class KubernetesCaches {
  readonly namespaces: Cache<V1Namespace>;
  readonly services: Cache<V1Service>;
  readonly endpointSlices: Cache<V1EndpointSlice>;
  readonly pods: Cache<V1Pod>;
  readonly policies: Record<PolicyKind, Cache<PolicyObject>>;
  readonly httpRoutes: Cache<HttpRouteObject>;
  readonly #all: { name: string; informer: Cache<KubernetesObject>; optional: boolean }[] = [];
  readonly #events = new EventEmitter().setMaxListeners(0);
  readonly #log: (line: string) => void;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #failing = new Map<string, number>();
  /** The HTTP code of each failing informer's last error. */
  readonly #lastCode = new Map<string, number | undefined>();
  #started = false;
  readonly #o: Required<Omit<CachesOptions, 'log'>>;
  #resync: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(kc: KubeConfig, options: CachesOptions) {
    this.#log = options.log;
    this.#o = {
      resyncMs: options.resyncMs ?? 5 * 60_000,
      retryMinMs: options.retryMinMs ?? 500,
      retryMaxMs: options.retryMaxMs ?? 30_000,
    };
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const customList = (group: string, version: string, plural: string) => () =>
      custom.listClusterCustomObject({ group, version, plural }) as Promise<
        KubernetesListObject<KubernetesObject>
      >;

    this.namespaces = this.#add(
      'Namespaces',
      makeInformer(kc, '/api/v1/namespaces', () => core.listNamespace()),
    );
    this.services = this.#add(
      'Services',
      makeInformer(kc, '/api/v1/services', () => core.listServiceForAllNamespaces()),
    );
    this.endpointSlices = this.#add(
      'EndpointSlices',
      makeInformer(kc, '/apis/discovery.k8s.io/v1/endpointslices', () =>
        discovery.listEndpointSliceForAllNamespaces(),
      ),
    );
    this.pods = this.#add(
      'Pods',
      makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces()),
    );
    const policies = {} as Record<PolicyKind, Cache<PolicyObject>>;
    for (const [kind, { plural }] of Object.entries(POLICY_KINDS) as [PolicyKind, { plural: string }][]) {
      const informer = makeInformer<PolicyObject>(
        kc,
        `/apis/${POLICY_GROUP}/${POLICY_VERSION}/${plural}`,
        customList(POLICY_GROUP, POLICY_VERSION, plural),
      );
      policies[kind] = this.#add(`${plural}.${POLICY_GROUP}`, informer, false, kind);
    }
    this.policies = policies;
    this.httpRoutes = this.#add(
      `httproutes.${GATEWAY_GROUP}`,
      makeInformer<HttpRouteObject>(
        kc,
        `/apis/${GATEWAY_GROUP}/${HTTPROUTE_VERSION}/httproutes`,
        customList(GATEWAY_GROUP, HTTPROUTE_VERSION, 'httproutes'),
      ),
      true,
    );
  }

  #add<T extends KubernetesObject>(
    name: string,
    informer: Cache<T>,
    optional = false,
    policyKind?: PolicyKind,
  ): Cache<T> {
    const emit = (verb: 'add' | 'update' | 'delete') => (object: T) => {
      this.#recovered(name);
      if (policyKind) this.#emit({ type: 'policy', kind: policyKind, verb, object: object });
      else this.#emit({ type: 'cluster' });
    };
    informer.on('add', emit('add'));
    informer.on('update', emit('update'));
    informer.on('delete', emit('delete'));
    informer.on('connect', () => undefined);
    informer.on('error', (err: unknown) => this.#failed(name, informer, optional, err));
    this.#all.push({ name, informer: informer, optional });
    return informer;
  }

  /** Lists everything once (failures are logged and retried in the background) and keeps watching. */
  async start(): Promise<void> {
    await Promise.all(
      this.#all.map(async ({ name, informer, optional }) => {
        try {
          await informer.start();
        } catch (err) {
          this.#failed(name, informer, optional, err);
        }
      }),
    );
    this.#started = true;
    this.#resync = setInterval(() => this.resync(), this.#o.resyncMs).unref();
  }

  /**
   * Whether every cache holds what the API server has (listed, and not failing since): what is absent from
   * them is absent from the cluster. An optional kind that is not installed (404) counts as listed, empty.
   */
  synced(): boolean {
    if (!this.#started) return false;
    return this.#all.every(
      ({ name, optional }) => !this.#failing.has(name) || (optional && this.#lastCode.get(name) === 404),
    );
  }

  /** Hands every cached policy to the listeners again, and announces a cluster change. */
  resync(): void {
    for (const [kind, informer] of Object.entries(this.policies) as [PolicyKind, Cache<PolicyObject>][]) {
      for (const object of informer.list()) this.#emit({ type: 'policy', kind, verb: 'update', object });
    }
    this.#emit({ type: 'cluster' });
  }

  on(listener: (event: CacheEvent) => void): () => void {
    this.#events.on('event', listener);
    return () => this.#events.off('event', listener);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#resync);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#all.map(({ informer }) => informer.stop()));
  }

  #emit(event: CacheEvent): void {
    this.#events.emit('event', event);
  }

  /** The informer stopped on an error other than 410: start it again later, logging once per outage. */
  #failed(name: string, informer: Cache<KubernetesObject>, optional: boolean, err: unknown): void {
    if (this.#stopped) return;
    const attempts = this.#failing.get(name) ?? 0;
    this.#failing.set(name, attempts + 1);
    this.#lastCode.set(name, errorCode(err));
    if (attempts === 0) {
      if (optional && errorCode(err) === 404) {
        this.#log(`weft-api: ${name} is not installed in the cluster; policies cannot target HTTPRoutes`);
      } else {
        this.#log(`weft-api: cannot list/watch ${name}, retrying with backoff: ${describeError(err)}`);
      }
    }
    const delay = Math.min(this.#o.retryMaxMs, this.#o.retryMinMs * 2 ** Math.min(attempts, 16));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#stopped) return;
      informer.start().then(
        () => {
          // No new failure while it listed and started watching: it works again.
          if (this.#failing.get(name) === attempts + 1) this.#recovered(name);
        },
        (e: unknown) => this.#failed(name, informer, optional, e),
      );
    }, delay);
    timer.unref();
    this.#timers.add(timer);
  }

  #recovered(name: string): void {
    if (!this.#failing.has(name)) return;
    this.#failing.delete(name);
    this.#lastCode.delete(name);
    this.#log(`weft-api: list/watch of ${name} works again`);
  }
}
