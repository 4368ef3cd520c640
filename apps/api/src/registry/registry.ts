/**
 * Universal-mode service registry: proxies register themselves and heartbeat; the live instances become
 * the endpoints every proxy receives in its config.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  proxyRegistrationSchema,
  type ProxyConfig,
  type RegistrationResponse,
  type ServiceEndpoints,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { parseOrThrow } from '../ingest/validation.ts';

export interface RegistryOptions {
  ttlSeconds: number;
  heartbeatSeconds: number;
  now?: () => number;
}

export class ServiceRegistry {
  private readonly now: () => number;
  private cached: { config: ProxyConfig; computedAtMs: number; generation: number } | null = null;
  /** Bumped on every membership change so the cached config is rebuilt at once. */
  private generation = 0;
  private readonly changes = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly db: Db,
    private readonly options: RegistryOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async register(body: unknown): Promise<RegistrationResponse> {
    const reg = parseOrThrow(proxyRegistrationSchema, body, 'proxy registration');
    const now = new Date(this.now());
    const fields = {
      service: reg.service,
      namespace: reg.namespace,
      version: reg.version,
      inboundAddress: reg.inboundAddress,
      adminAddress: reg.adminAddress,
      mode: reg.mode,
      lastSeenAt: now,
    };
    const previous = await this.db.serviceInstance.findUnique({
      where: { proxyId: reg.proxyId },
      select: { service: true, namespace: true, version: true, inboundAddress: true, lastSeenAt: true },
    });
    await this.db.serviceInstance.upsert({
      where: { proxyId: reg.proxyId },
      create: { proxyId: reg.proxyId, ...fields },
      update: fields,
    });
    const wasLive =
      previous !== null && previous.lastSeenAt.getTime() > this.now() - this.options.ttlSeconds * 1000;
    const changed =
      !wasLive ||
      previous.service !== reg.service ||
      previous.namespace !== reg.namespace ||
      previous.version !== reg.version ||
      previous.inboundAddress !== reg.inboundAddress;
    if (changed) this.membershipChanged();
    return { proxyId: reg.proxyId, heartbeatSeconds: this.options.heartbeatSeconds };
  }

  /** Returns false when the proxy was not registered. */
  async deregister(proxyId: string): Promise<boolean> {
    const { count } = await this.db.serviceInstance.deleteMany({ where: { proxyId } });
    if (count > 0) this.membershipChanged();
    return count > 0;
  }

  private membershipChanged(): void {
    this.generation++;
    this.changes.emit('change');
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

  async isKnown(proxyId: string): Promise<boolean> {
    const found = await this.db.serviceInstance.findUnique({ where: { proxyId }, select: { proxyId: true } });
    return found !== null;
  }

  /**
   * The config every proxy gets: live endpoints per service. Rebuilt when membership changes, and at
   * least every second so instances that stopped heartbeating drop out.
   */
  async currentConfig(): Promise<ProxyConfig> {
    const now = this.now();
    if (this.cached && this.cached.generation === this.generation && now - this.cached.computedAtMs < 1000) {
      return this.cached.config;
    }
    const generation = this.generation;
    const live = await this.db.serviceInstance.findMany({
      where: { lastSeenAt: { gt: new Date(now - this.options.ttlSeconds * 1000) } },
      select: { proxyId: true, service: true, namespace: true, version: true, inboundAddress: true },
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
      entry.endpoints.push({ proxyId: inst.proxyId, address: inst.inboundAddress, version: inst.version });
    }
    const services = [...byService.values()];
    const version = createHash('sha256').update(JSON.stringify(services)).digest('hex').slice(0, 16);
    const config: ProxyConfig = { version, services };
    this.cached = { config, computedAtMs: now, generation };
    return config;
  }
}
