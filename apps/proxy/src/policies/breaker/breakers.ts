/**
 * Circuit breaking per destination service (Envoy's outlier detection and circuit breaker thresholds):
 * every service in the config has a ServiceBreaker with its CircuitBreakerPolicy's settings, or the
 * default outlier detection without one. Breakers are kept across config updates (their counters and the
 * queue of waiting attempts carry on) and dropped with the service. Ejection state itself lives on each
 * endpoint's EndpointState, so balancers see it without knowing about breakers.
 */
import type { ProxyConfig, ServicePolicy } from '@weft/schema';
import type { Logger } from '../../log.ts';
import type { EndpointState } from '../../routing/endpoint-registry.ts';
import type { AttemptOutcome, EjectionReason } from './endpoint-outlier.ts';
import { DEFAULT_OUTLIER_SETTINGS, outlierSettingsOf, type OutlierSettings } from './outlier-settings.ts';
import { limitSettingsOf, ServiceLimits, type LimitSettings, type OverflowReason } from './service-limits.ts';

export const EJECTION_REASONS: readonly EjectionReason[] = [
  'consecutive-5xx',
  'consecutive-gateway-errors',
  'failure-percentage',
];

const REASON_TEXT: Record<EjectionReason, string> = {
  'consecutive-5xx': '5xx answers in a row',
  'consecutive-gateway-errors': 'gateway errors (502/503/504, connect failures, resets, timeouts) in a row',
  'failure-percentage': 'failure percentage over its interval',
};

export class ServiceBreaker {
  readonly service: string;
  readonly namespace: string;
  outlier: OutlierSettings;
  readonly limits: ServiceLimits;
  readonly ejections: Record<EjectionReason, number> = {
    'consecutive-5xx': 0,
    'consecutive-gateway-errors': 0,
    'failure-percentage': 0,
  };
  /** Ejections not made because they would have exceeded maxEjectionPercent. */
  ejectionsRefused = 0;
  /** The service's endpoints in the config in force (empty before it lists the service). */
  peers: readonly { readonly address: string; readonly state: EndpointState }[] = [];

  constructor(service: string, namespace: string, policy: ServicePolicy['circuitBreaker']) {
    this.service = service;
    this.namespace = namespace;
    this.outlier = outlierSettingsOf(policy);
    this.limits = new ServiceLimits(limitSettingsOf(policy));
  }

  configure(policy: ServicePolicy['circuitBreaker']): void {
    this.outlier = outlierSettingsOf(policy);
    this.limits.update(limitSettingsOf(policy));
  }

  /**
   * Counts one attempt's outcome on `endpoint` and ejects it when a threshold is reached, unless that would
   * put more than maxEjectionPercent of `peers` (the service's endpoints) out at once, as Envoy does.
   * Returns the ejection's duration in ms when it ejected.
   */
  record(
    endpoint: EndpointState,
    peers: readonly { readonly state: EndpointState }[],
    outcome: AttemptOutcome,
    now: number,
  ): { reason: EjectionReason; durationMs: number } | undefined {
    const s = this.outlier;
    const reason = endpoint.outlier.observe(outcome, s, now);
    if (reason === undefined) return undefined;
    let ejected = 0;
    for (const p of peers) if (p.state.outlier.isEjected(now)) ejected++;
    const total = Math.max(peers.length, 1);
    if (((ejected + 1) * 100) / total > s.maxEjectionPercent) {
      this.ejectionsRefused++;
      return undefined;
    }
    this.ejections[reason]++;
    return { reason, durationMs: endpoint.outlier.eject(reason, s.baseEjectionMs, now) };
  }
}

/** One service's breakers on /config. */
export interface BreakerReport {
  service: string;
  namespace: string;
  outlierDetection: {
    source: string;
    consecutive5xx?: number;
    consecutiveGatewayErrors?: number;
    failurePercentage?: { threshold: number; minimumRequests: number; intervalMs: number };
    baseEjectionMs: number;
    maxEjectionPercent: number;
  };
  limits?: LimitSettings & { active: number; pending: number };
  /** Endpoints ejected now, with when they come back (ms from now) and why. */
  ejected: { address: string; remainingMs: number; ejections: number; reason: string }[];
}

const DEFAULT_SOURCE = DEFAULT_OUTLIER_SETTINGS.source;

/** Where ejections are counted for the control plane too (telemetry/resilience-counters.ts). */
export interface EjectionSink {
  ejected(service: string, namespace: string, reason: EjectionReason): void;
}

export class Breakers {
  readonly #byService = new Map<string, ServiceBreaker>();
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #sink: EjectionSink | undefined;

  constructor(log: Logger, now: () => number = () => performance.now(), sink?: EjectionSink) {
    this.#log = log;
    this.#now = now;
    this.#sink = sink;
  }

  /**
   * A breaker per service of the config, with its CircuitBreakerPolicy; breakers of services it no longer
   * lists go. `endpointsOf` gives the service's endpoints in the new routing table.
   */
  configure(
    config: ProxyConfig,
    endpointsOf: (
      service: string,
      namespace: string,
    ) => readonly { readonly address: string; readonly state: EndpointState }[],
  ): void {
    const policies = new Map<string, ServicePolicy['circuitBreaker']>();
    for (const p of config.policies ?? []) {
      const key = `${p.service}.${p.namespace}`;
      if (p.circuitBreaker !== undefined && !policies.has(key)) policies.set(key, p.circuitBreaker);
    }
    const listed = new Set<string>();
    for (const s of config.services) {
      const key = `${s.name}.${s.namespace}`;
      if (listed.has(key)) continue;
      listed.add(key);
      const policy = policies.get(key);
      let breaker = this.#byService.get(key);
      if (breaker === undefined) {
        breaker = new ServiceBreaker(s.name, s.namespace, policy);
        this.#byService.set(key, breaker);
      } else breaker.configure(policy);
      breaker.peers = endpointsOf(s.name, s.namespace);
    }
    for (const key of this.#byService.keys()) if (!listed.has(key)) this.#byService.delete(key);
  }

  /** The breaker of a service; one with the defaults when the config did not list it (yet). */
  of(service: string, namespace: string): ServiceBreaker {
    const key = `${service}.${namespace}`;
    let breaker = this.#byService.get(key);
    if (breaker === undefined) {
      breaker = new ServiceBreaker(service, namespace, undefined);
      this.#byService.set(key, breaker);
    }
    return breaker;
  }

  /** Records an attempt's outcome; logs an ejection (at most one per endpoint per ejection time). */
  record(
    breaker: ServiceBreaker,
    endpoint: EndpointState,
    peers: readonly { readonly state: EndpointState }[],
    outcome: AttemptOutcome,
  ): void {
    const ejection = breaker.record(endpoint, peers, outcome, this.#now());
    if (ejection === undefined) return;
    this.#sink?.ejected(breaker.service, breaker.namespace, ejection.reason);
    const s = breaker.outlier;
    const threshold =
      ejection.reason === 'consecutive-5xx'
        ? `${s.consecutive5xx ?? ''} `
        : ejection.reason === 'consecutive-gateway-errors'
          ? `${s.consecutiveGatewayErrors ?? ''} `
          : '';
    this.#log.warn(
      `outlier detection (${s.source}): ejected ${endpoint.address} of ${breaker.service}.${breaker.namespace} ` +
        `for ${Math.round(ejection.durationMs / 1000)} s after ${threshold}${REASON_TEXT[ejection.reason]}`,
    );
  }

  /** The endpoints of the breaker's service in the config in force (empty before it lists the service). */
  peersOf(breaker: ServiceBreaker): readonly { readonly state: EndpointState }[] {
    return breaker.peers;
  }

  breakers(): ServiceBreaker[] {
    return [...this.#byService.values()];
  }

  /** Every service with endpoints ejected now, for the gauge pushed to the control plane. */
  ejectedNow(): { service: string; namespace: string; ejected: number }[] {
    return this.breakers().map((b) => ({
      service: b.service,
      namespace: b.namespace,
      ejected: this.ejectedCount(b),
    }));
  }

  /** Endpoints of a service ejected now. */
  ejectedCount(breaker: ServiceBreaker): number {
    const now = this.#now();
    let n = 0;
    for (const e of breaker.peers) if (e.state.outlier.isEjected(now)) n++;
    return n;
  }

  /**
   * The breakers worth showing: those of a CircuitBreakerPolicy, and those of the default outlier detection
   * while they hold an endpoint ejected.
   */
  report(): BreakerReport[] {
    const now = this.#now();
    const reports = this.breakers().map((b) => {
      const o = b.outlier;
      const limits = b.limits.settings;
      const ejected = b.peers
        .filter((e) => e.state.outlier.isEjected(now))
        .map((e) => ({
          address: e.address,
          remainingMs: Math.round(e.state.outlier.ejectedUntil - now),
          ejections: e.state.outlier.ejections,
          reason: e.state.outlier.lastReason ?? '',
        }));
      return {
        service: b.service,
        namespace: b.namespace,
        outlierDetection: {
          source: o.source,
          ...(o.consecutive5xx === undefined ? {} : { consecutive5xx: o.consecutive5xx }),
          ...(o.consecutiveGatewayErrors === undefined
            ? {}
            : { consecutiveGatewayErrors: o.consecutiveGatewayErrors }),
          ...(o.failurePercentage === undefined ? {} : { failurePercentage: o.failurePercentage }),
          baseEjectionMs: o.baseEjectionMs,
          maxEjectionPercent: o.maxEjectionPercent,
        },
        ...(limits === undefined
          ? {}
          : { limits: { ...limits, active: b.limits.active, pending: b.limits.pending } }),
        ejected,
      };
    });
    return reports.filter(
      (r) => r.outlierDetection.source !== DEFAULT_SOURCE || r.limits !== undefined || r.ejected.length > 0,
    );
  }
}

export type { OverflowReason };
