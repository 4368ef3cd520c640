/**
 * Active health checks of the endpoints of every service whose LoadBalancingPolicy has `healthCheck`: the
 * outbound proxy GETs the path on each endpoint (its inbound listener, which forwards to the app) every
 * interval, with jitter so proxies started together do not check in step. What the checks decide is put on
 * the endpoint's EndpointState (`activeHealthy`), which every balancer honours. Only services with the
 * policy are checked, and endpoints that leave the config (or services that lose the policy) stop being
 * checked at once.
 */
import http from 'node:http';
import type { ProxyConfig } from '@weft/schema';
import type { Logger } from '../../log.ts';
import type { EndpointState } from '../../routing/endpoint-registry.ts';
import { HealthCheckState, healthCheckSettingsOf, type HealthCheckSettings } from './health-check-state.ts';

/** One check: undefined when it passed, else what failed. */
export type HealthProbe = (address: string, path: string, timeoutMs: number) => Promise<string | undefined>;

export interface HealthCheckersOptions {
  /** The state of an endpoint address in the config in force. */
  endpoint: (address: string) => EndpointState | undefined;
  probe: HealthProbe;
  log: Logger;
  random?: () => number;
}

interface Target {
  service: string;
  namespace: string;
  address: string;
  settings: HealthCheckSettings;
  readonly state: HealthCheckState;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

export interface HealthCheckReport {
  service: string;
  namespace: string;
  source: string;
  path: string;
  intervalMs: number;
  endpoints: { address: string; healthy: boolean; problem?: string }[];
}

export class HealthCheckers {
  readonly #o: HealthCheckersOptions;
  readonly #targets = new Map<string, Target>();
  /** Checks per service ("name.namespace") and result, for /metrics; kept while the service is checked. */
  readonly results = new Map<string, { passed: number; failed: number }>();
  #stopped = false;

  constructor(options: HealthCheckersOptions) {
    this.#o = options;
  }

  configure(config: ProxyConfig): void {
    if (this.#stopped) return;
    const settings = new Map<string, HealthCheckSettings>();
    for (const p of config.policies ?? []) {
      const s = healthCheckSettingsOf(p.loadBalancing);
      const key = `${p.service}.${p.namespace}`;
      if (s !== undefined && !settings.has(key)) settings.set(key, s);
    }
    const wanted = new Set<string>();
    for (const svc of config.services) {
      const serviceKey = `${svc.name}.${svc.namespace}`;
      const s = settings.get(serviceKey);
      if (s === undefined) continue;
      if (!this.results.has(serviceKey)) this.results.set(serviceKey, { passed: 0, failed: 0 });
      for (const e of svc.endpoints) {
        const key = `${serviceKey}|${e.address}`;
        wanted.add(key);
        const target = this.#targets.get(key);
        if (target !== undefined) {
          target.settings = s;
          continue;
        }
        const fresh: Target = {
          service: svc.name,
          namespace: svc.namespace,
          address: e.address,
          settings: s,
          state: new HealthCheckState(),
          timer: undefined,
          stopped: false,
        };
        this.#targets.set(key, fresh);
        // The first check at a random point of the first interval.
        this.#schedule(fresh, this.#random() * s.intervalMs);
      }
    }
    for (const [key, target] of this.#targets) {
      if (wanted.has(key)) continue;
      this.#stop(target);
      this.#targets.delete(key);
      // Still listed (the policy went): no longer held out by checks nobody runs.
      const state = this.#o.endpoint(target.address);
      if (state !== undefined) state.activeHealthy = true;
    }
    for (const key of this.results.keys()) if (!settings.has(key)) this.results.delete(key);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#targets.values()) this.#stop(t);
    this.#targets.clear();
  }

  report(): HealthCheckReport[] {
    const byService = new Map<string, HealthCheckReport>();
    for (const t of this.#targets.values()) {
      const key = `${t.service}.${t.namespace}`;
      let r = byService.get(key);
      if (r === undefined) {
        r = {
          service: t.service,
          namespace: t.namespace,
          source: t.settings.source,
          path: t.settings.path,
          intervalMs: t.settings.intervalMs,
          endpoints: [],
        };
        byService.set(key, r);
      }
      r.endpoints.push({
        address: t.address,
        healthy: t.state.healthy,
        ...(t.state.lastProblem === undefined ? {} : { problem: t.state.lastProblem }),
      });
    }
    return [...byService.values()];
  }

  #random(): number {
    return (this.#o.random ?? Math.random)();
  }

  #stop(t: Target): void {
    t.stopped = true;
    if (t.timer !== undefined) clearTimeout(t.timer);
  }

  #schedule(t: Target, delayMs: number): void {
    if (t.stopped) return;
    t.timer = setTimeout(() => void this.#check(t), delayMs);
    t.timer.unref();
  }

  async #check(t: Target): Promise<void> {
    const s = t.settings;
    const problem = await this.#o.probe(t.address, s.path, s.timeoutMs);
    if (t.stopped) return;
    const counts = this.results.get(`${t.service}.${t.namespace}`);
    if (counts !== undefined) {
      if (problem === undefined) counts.passed++;
      else counts.failed++;
    }
    if (t.state.record(problem, s)) {
      const where = `${t.address} of ${t.service}.${t.namespace}`;
      if (t.state.healthy) this.#o.log.info(`health check (${s.source}): ${where} is healthy again`);
      else
        this.#o.log.warn(
          `health check (${s.source}): ${where} is unhealthy after ${s.unhealthyThreshold} failed checks: ${problem ?? ''}`,
        );
    }
    const state = this.#o.endpoint(t.address);
    if (state !== undefined) state.activeHealthy = t.state.healthy;
    // ±10 % jitter on every interval.
    this.#schedule(t, s.intervalMs * (0.9 + 0.2 * this.#random()));
  }
}

/** GET `path` on the endpoint on a fresh connection; 2xx passes. */
export function httpHealthProbe(headers: Record<string, string>): HealthProbe {
  return (address, path, timeoutMs) =>
    new Promise((resolve) => {
      let settled = false;
      const done = (problem: string | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        resolve(problem);
      };
      const req = http.get(`http://${address}${path}`, { agent: false, headers }, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        done(status >= 200 && status < 300 ? undefined : `GET ${path} answered ${status}`);
      });
      const timer = setTimeout(() => done(`GET ${path}: no answer within ${timeoutMs} ms`), timeoutMs);
      req.once('error', (err: NodeJS.ErrnoException) =>
        done(`GET ${path} failed (${err.code ?? err.message})`),
      );
    });
}
