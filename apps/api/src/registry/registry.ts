/**
 * Universal-mode service registry: proxies register themselves and heartbeat; the live instances become
 * the endpoints every proxy receives in its config, together with the policies compiled from the policy
 * platform (config-stream/compile.ts).
 */
import { EventEmitter } from 'node:events';
import {
  REGISTRATION_RETRY_MAX_MS,
  type ParsedProxyRegistration,
  type ProxyConfig,
  DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE,
  type OutboundTrafficPolicyMode,
  type RegistrationResponse,
  type ServiceEndpoints,
} from '@weft/schema';
import { compileConfig, type CompiledConfig, type RoutingInput } from '../config-stream/compile.ts';
import type { Db } from '../db/client.ts';
import { HttpError } from '../http/body.ts';
import type { PolicyPlatform, StoredPolicy } from '../policies/platform.ts';

/**
 * Where endpoints come from when they are not the registrations (Kubernetes mode: EndpointSlices). Proxies
 * still register there, for liveness and ACK bookkeeping, but their registrations define no endpoints.
 */
export interface EndpointSource {
  services(): ServiceEndpoints[] | Promise<ServiceEndpoints[]>;
  /** HTTPRoutes (GAMMA) and the Services they may name; universal mode has none. */
  routing?(): RoutingInput;
  /** Called after any change of endpoints or routes. */
  onChange(listener: () => void): () => void;
}

export interface RegistryOptions {
  ttlSeconds: number;
  heartbeatSeconds: number;
  endpoints?: EndpointSource;
  now?: () => number;
  log?: (line: string) => void;
  /** The mesh's outbound traffic policy, sent in every proxy's config (WEFT_OUTBOUND_TRAFFIC_POLICY); absent: ALLOW_ANY. */
  outboundTrafficPolicy?: OutboundTrafficPolicyMode;
}

/** Longest a listed set of policies is used without listing again (change events normally come first). */
const POLICY_RELIST_MS = 30_000;
/** How long a proxy id → workload lookup is trusted without asking the database again. */
const WORKLOAD_CACHE_MS = 10_000;
const WORKLOAD_CACHE_MAX = 100_000;

export interface InstanceWorkload {
  namespace: string;
  service: string;
  version: string;
}

/**
 * After a start, the registry has not heard from live proxies yet: every instance in the database looks
 * expired if the API was down longer than the TTL. Until a full TTL (plus the proxies' longest registration
 * retry, REGISTRATION_RETRY_MAX_MS) has passed since start, instances that
 * were live when the API last heard from anyone stay in the config, so a control-plane restart never
 * changes what proxies route to; proxies re-register within a heartbeat and the normal rule takes over.
 */
export class ServiceRegistry {
  private readonly now: () => number;
  private readonly startedAtMs: number;
  /** Newest lastSeenAt in the database at start: the moment the previous API process last heard a proxy. */
  private lastHeardBeforeStartMs: number | null | undefined;
  private cached: { compiled: CompiledConfig; computedAtMs: number; generation: number } | null = null;
  /** Bumped on every membership or policy change so the cached config is rebuilt at once. */
  private generation = 0;
  private readonly changes = new EventEmitter().setMaxListeners(0);
  /** proxy id → its workload, for ACKs and config reads (see workloadOf). */
  private readonly workloads = new Map<string, { workload: InstanceWorkload; atMs: number }>();
  private policySource: PolicyPlatform | null = null;
  /** The platform's policies as last listed; null when they must be listed again. */
  private policies: { list: StoredPolicy[]; fetchedAtMs: number } | null = null;
  private policyListFailing = false;
  /** Bumped on every policy change: a list that was under way during a change is not cached. */
  private policyEpoch = 0;

  constructor(
    private readonly db: Db,
    private readonly options: RegistryOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.startedAtMs = this.now();
    options.endpoints?.onChange(() => this.configChanged());
  }

  private get ttlMs(): number {
    return this.options.ttlSeconds * 1000;
  }

  /**
   * The workload a registered proxy id belongs to, or null when it is unknown. Asked on every config ACK
   * (1,000 proxies ACK each change), so found rows are cached for WORKLOAD_CACHE_MS; register and
   * deregister on this replica update the cache at once, another replica's within that time.
   */
  async workloadOf(proxyId: string): Promise<InstanceWorkload | null> {
    const cached = this.workloads.get(proxyId);
    if (cached !== undefined && this.now() - cached.atMs < WORKLOAD_CACHE_MS) return cached.workload;
    const workload = await this.db.serviceInstance.findUnique({
      where: { proxyId },
      select: { namespace: true, service: true, version: true },
    });
    if (workload === null) this.workloads.delete(proxyId);
    else this.cacheWorkload(proxyId, workload);
    return workload;
  }

  private cacheWorkload(proxyId: string, workload: InstanceWorkload): void {
    // Bounded: the oldest entry goes first (Map keeps insertion order).
    this.workloads.delete(proxyId);
    if (this.workloads.size >= WORKLOAD_CACHE_MAX) {
      const oldest = this.workloads.keys().next().value;
      if (oldest !== undefined) this.workloads.delete(oldest);
    }
    this.workloads.set(proxyId, { workload, atMs: this.now() });
  }

  async register(reg: ParsedProxyRegistration): Promise<RegistrationResponse> {
    const now = new Date(this.now());
    const fields = {
      service: reg.service,
      namespace: reg.namespace,
      version: reg.version,
      inboundAddress: reg.inboundAddress,
      adminAddress: reg.adminAddress,
      mode: reg.mode,
      zone: reg.zone ?? null,
      region: reg.region ?? null,
      ready: reg.ready,
      lastSeenAt: now,
    };
    const previous = await this.db.serviceInstance.findUnique({
      where: { proxyId: reg.proxyId },
      select: {
        service: true,
        namespace: true,
        version: true,
        inboundAddress: true,
        zone: true,
        region: true,
        ready: true,
        lastSeenAt: true,
      },
    });
    const wasLive = previous !== null && previous.lastSeenAt.getTime() > this.now() - this.ttlMs;
    if (
      wasLive &&
      (previous.service !== reg.service ||
        previous.namespace !== reg.namespace ||
        previous.version !== reg.version)
    ) {
      // A live proxy id is never taken over by another workload (a replaced instance gets a new id or
      // waits out the TTL).
      throw new HttpError(
        409,
        `proxy id ${reg.proxyId} is live as ${previous.service}.${previous.namespace}@${previous.version}; pick another id`,
      );
    }
    await this.db.serviceInstance.upsert({
      where: { proxyId: reg.proxyId },
      create: { proxyId: reg.proxyId, ...fields },
      update: fields,
    });
    this.cacheWorkload(reg.proxyId, { namespace: reg.namespace, service: reg.service, version: reg.version });
    const changed =
      !wasLive ||
      previous.service !== reg.service ||
      previous.namespace !== reg.namespace ||
      previous.version !== reg.version ||
      previous.inboundAddress !== reg.inboundAddress ||
      // Readiness and topology change what the endpoint list says: a proxy whose app stopped answering
      // must leave the config at once, not at its TTL.
      previous.ready !== reg.ready ||
      previous.zone !== (reg.zone ?? null) ||
      previous.region !== (reg.region ?? null);
    if (changed) this.configChanged();
    return { proxyId: reg.proxyId, heartbeatSeconds: this.options.heartbeatSeconds };
  }

  /** Returns false when the proxy was not registered. */
  async deregister(proxyId: string): Promise<boolean> {
    this.workloads.delete(proxyId);
    const { count } = await this.db.serviceInstance.deleteMany({ where: { proxyId } });
    if (count > 0) this.configChanged();
    return count > 0;
  }

  private configChanged(): void {
    this.generation++;
    this.changes.emit('change');
  }

  /** Called after every membership or policy change (not for expiry: that is noticed within a second). */
  onChange(listener: () => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  /**
   * Compiles the platform's policies into the config from now on, and rebuilds it on every policy change.
   * Returns a function that stops listening.
   */
  usePolicies(platform: PolicyPlatform): () => void {
    this.policySource = platform;
    this.policies = null;
    const unsubscribe = platform.onChange(() => {
      this.policies = null;
      this.policyEpoch++;
      this.configChanged();
    });
    this.configChanged();
    return () => {
      unsubscribe();
      if (this.policySource === platform) this.policySource = null;
    };
  }

  /**
   * The platform's policies, listed again after a change and at least every POLICY_RELIST_MS (a missed
   * change event heals). While the platform cannot list them, the last list stays, logged once.
   */
  private async currentPolicies(now: number): Promise<StoredPolicy[]> {
    const source = this.policySource;
    if (!source) return [];
    if (this.policies && now - this.policies.fetchedAtMs < POLICY_RELIST_MS) return this.policies.list;
    const epoch = this.policyEpoch;
    try {
      const list = await source.list();
      if (this.policyListFailing) this.log('weft-api: the policy platform lists policies again');
      this.policyListFailing = false;
      if (epoch === this.policyEpoch) this.policies = { list, fetchedAtMs: now };
      return list;
    } catch (err) {
      if (!this.policyListFailing) {
        this.log(
          `weft-api: cannot list policies from the ${source.name} platform, keeping the last list: ${(err as Error).message}`,
        );
      }
      this.policyListFailing = true;
      return this.policies?.list ?? [];
    }
  }

  private log(line: string): void {
    (this.options.log ?? ((l: string) => console.error(l)))(line);
  }

  /**
   * Long poll: resolves with a config whose version differs from `knownVersion` as soon as there is one,
   * or with the unchanged config after `waitMs`. Membership changes wake waiters at once; instances that
   * expire are noticed within a second.
   */
  async waitForNewConfig(knownVersion: string, waitMs: number, signal: AbortSignal): Promise<ProxyConfig> {
    const deadline = this.now() + waitMs;
    let config = await this.currentConfig();
    while (config.version === knownVersion && this.now() < deadline && !signal.aborted) {
      await this.nextChange(Math.min(1000, Math.max(1, deadline - this.now())), signal);
      config = await this.currentConfig();
    }
    return config;
  }

  /**
   * Resolves on the next membership change, after `ms`, or when `signal` aborts, whichever is first.
   * Plain timers on purpose: on Node 20 a signal from AbortSignal.any() over AbortSignal.timeout() can be
   * garbage-collected before it fires, which left long polls hanging.
   */
  private nextChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changes.off('change', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.changes.on('change', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * The config every proxy gets: live endpoints per service and the policies in force. Rebuilt when
   * membership or policies change, and at least every second so instances that stopped heartbeating drop
   * out.
   */
  async currentConfig(): Promise<ProxyConfig> {
    return (await this.currentCompiled()).config;
  }

  /** The config with what became of each policy (for the Programmed condition). */
  async currentCompiled(): Promise<CompiledConfig> {
    const now = this.now();
    if (this.cached && this.cached.generation === this.generation && now - this.cached.computedAtMs < 1000) {
      return this.cached.compiled;
    }
    const generation = this.generation;
    const endpoints = this.options.endpoints;
    const services = endpoints ? await endpoints.services() : await this.registeredEndpoints(now);
    const policies = await this.currentPolicies(now);
    const compiled = withOutboundTrafficPolicy(
      compileConfig(services, policies, endpoints?.routing?.()),
      this.options.outboundTrafficPolicy ?? DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE,
    );
    this.cached = { compiled, computedAtMs: now, generation };
    return compiled;
  }

  /**
   * Live, ready registrations per service (universal mode). A proxy that reports its application not
   * ready stays registered (and listed as a proxy) but is handed out to nobody, as Kubernetes leaves a
   * pod that is not ready out of its EndpointSlices.
   */
  private async registeredEndpoints(now: number): Promise<ServiceEndpoints[]> {
    const live = await this.db.serviceInstance.findMany({
      where: { lastSeenAt: { gt: new Date(await this.liveSinceMs(now)) }, ready: true },
      select: {
        proxyId: true,
        service: true,
        namespace: true,
        version: true,
        inboundAddress: true,
        zone: true,
        region: true,
      },
      orderBy: [{ namespace: 'asc' }, { service: 'asc' }, { proxyId: 'asc' }],
    });
    const byService = new Map<string, ServiceEndpoints>();
    for (const inst of live) {
      const key = `${inst.namespace}/${inst.service}`;
      let entry = byService.get(key);
      if (!entry) {
        entry = { name: inst.service, namespace: inst.namespace, endpoints: [] };
        byService.set(key, entry);
      }
      entry.endpoints.push({
        proxyId: inst.proxyId,
        address: inst.inboundAddress,
        version: inst.version,
        ...(inst.zone === null ? {} : { zone: inst.zone }),
        ...(inst.region === null ? {} : { region: inst.region }),
      });
    }
    return [...byService.values()];
  }

  /**
   * Live instances that report their application not ready (universal mode; in Kubernetes mode the
   * EndpointSlices say who is ready). Listed as proxies, never handed out as endpoints.
   */
  async notReady(): Promise<(InstanceWorkload & { proxyId: string })[]> {
    if (this.options.endpoints) return [];
    return this.db.serviceInstance.findMany({
      where: { lastSeenAt: { gt: new Date(await this.liveSinceMs(this.now())) }, ready: false },
      select: { proxyId: true, service: true, namespace: true, version: true },
      orderBy: [{ namespace: 'asc' }, { service: 'asc' }, { proxyId: 'asc' }],
    });
  }

  /** Instances seen after this moment are live (see the class comment for the first TTL after start). */
  private async liveSinceMs(now: number): Promise<number> {
    const normal = now - this.ttlMs;
    if (!this.warmingUp) return normal;
    if (this.lastHeardBeforeStartMs === undefined) {
      const newest = await this.db.serviceInstance.aggregate({
        _max: { lastSeenAt: true },
        where: { lastSeenAt: { lte: new Date(this.startedAtMs) } },
      });
      this.lastHeardBeforeStartMs = newest._max.lastSeenAt?.getTime() ?? null;
    }
    if (this.lastHeardBeforeStartMs === null) return normal;
    return Math.min(normal, this.lastHeardBeforeStartMs - this.ttlMs);
  }

  /** Whether the registry is still in its first TTL after start (for /healthz and logs). */
  get warmingUp(): boolean {
    return this.now() - this.startedAtMs < this.ttlMs + REGISTRATION_RETRY_MAX_MS;
  }
}

/**
 * The mesh-wide egress switch in the config. Its mode is part of the version only when it is not the default,
 * so configs of meshes that never set it keep their versions, and one switched by a restart with another
 * WEFT_OUTBOUND_TRAFFIC_POLICY reaches proxies that already hold the same endpoints and policies.
 */
function withOutboundTrafficPolicy(
  compiled: CompiledConfig,
  mode: OutboundTrafficPolicyMode,
): CompiledConfig {
  const config = compiled.config;
  const version =
    mode === DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE
      ? config.version
      : `${config.version}-${mode.toLowerCase()}`;
  return { ...compiled, config: { ...config, version, outboundTrafficPolicy: { mode } } };
}
