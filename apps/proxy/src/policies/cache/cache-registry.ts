/**
 * The caches of one outbound proxy: one HttpCache per destination service and CachePolicy, created on the
 * first request the policy covers and kept across config updates while the config still carries that
 * policy (so a new config does not empty the cache; a changed maxBytes resizes it). Also the counts behind
 * `weft_proxy_cache_total` and the size gauges.
 */
import { CacheMetricNames, durationMs, type RoutePolicies, type ServicePolicy } from '@weft/schema';
import type { ProxyRequest } from '../../http/exchange.ts';
import type { PrometheusText } from '../../telemetry/prometheus.ts';
import { RequestMatches } from '../fault/compiled-matches.ts';
import { policyForRequest } from '../fault/request-policy.ts';
import { ruleLabel } from '../../routing/route-rules.ts';
import { HttpCache, type CacheLimits } from './http-cache.ts';

export type CachePolicyBody = NonNullable<RoutePolicies['cache']>;

/** What `x-weft-cache` says and `weft_proxy_cache_total` counts by. */
export type CacheResult = 'HIT' | 'MISS' | 'STALE' | 'REVALIDATED' | 'BYPASS';
const RESULTS: readonly CacheResult[] = ['HIT', 'MISS', 'STALE', 'REVALIDATED', 'BYPASS'];

const CACHE_METRICS = CacheMetricNames;

export interface CompiledCachePolicy {
  readonly source: string;
  readonly limits: CacheLimits;
  readonly matches: RequestMatches;
}

export interface CacheReport {
  service: string;
  namespace: string;
  /** The route rule the policy applies to; absent for the service's own. */
  rule?: string;
  source: string;
  enforced: true;
  limits: CacheLimits;
  stores: { destination: string; bytes: number; entries: number }[];
}

interface ServiceCache {
  readonly service: string;
  readonly namespace: string;
  readonly source: string;
  readonly cache: HttpCache;
}

interface Counts {
  readonly service: string;
  readonly namespace: string;
  readonly byResult: Record<CacheResult, number>;
}

const compiled = new WeakMap<CachePolicyBody, CompiledCachePolicy>();

export function compileCachePolicy(body: CachePolicyBody): CompiledCachePolicy {
  let c = compiled.get(body);
  if (c === undefined) {
    c = {
      source: body.source,
      limits: {
        maxBytes: body.maxBytes,
        maxEntryBytes: body.maxEntryBytes,
        heuristicPercent: body.heuristicPercent,
        heuristicMaxMs: durationMs(body.heuristicMax),
        staleWhileRevalidateMs:
          body.staleWhileRevalidate === undefined ? undefined : durationMs(body.staleWhileRevalidate),
        staleIfErrorMs: body.staleIfError === undefined ? undefined : durationMs(body.staleIfError),
      },
      matches: new RequestMatches(body.matches),
    };
    compiled.set(body, c);
  }
  return c;
}

export interface CacheRegistryOptions {
  /** The service policies of the config in force. */
  policies: () => readonly ServicePolicy[] | undefined;
  /** Wall clock (Date and Expires are wall-clock times); Date.now unless a test fixes it. */
  now?: () => number;
}

export class CacheRegistry {
  readonly #policies: () => readonly ServicePolicy[] | undefined;
  readonly #now: () => number;
  readonly #caches = new Map<string, ServiceCache>();
  readonly #counts = new Map<string, Counts>();
  /** The policies array the caches were last checked against (a new config brings a new array). */
  #seen: readonly ServicePolicy[] | undefined;

  constructor(o: CacheRegistryOptions) {
    this.#policies = o.policies;
    this.#now = o.now ?? Date.now;
  }

  /** The cache in force for an outbound request (after routing), with its policy; undefined when none. */
  resolve(req: ProxyRequest): { cache: HttpCache; policy: CompiledCachePolicy } | undefined {
    const route = req.route;
    if (route === undefined) return undefined;
    const policies = this.#policies();
    if (policies !== this.#seen) this.#retain(policies);
    const body = policyForRequest(req, policies, 'cache');
    if (body === undefined) return undefined;
    const policy = compileCachePolicy(body);
    const key = `${route.service}.${route.namespace}\n${policy.source}`;
    let entry = this.#caches.get(key);
    if (entry === undefined) {
      entry = {
        service: route.service,
        namespace: route.namespace,
        source: policy.source,
        cache: new HttpCache(policy.limits, this.#now),
      };
      this.#caches.set(key, entry);
    } else if (entry.cache.limits !== policy.limits) {
      entry.cache.setLimits(policy.limits);
    }
    return { cache: entry.cache, policy };
  }

  count(req: ProxyRequest, result: CacheResult): void {
    const service = req.route?.service ?? req.destination.service;
    const namespace = req.route?.namespace ?? req.destination.namespace;
    const key = `${service}.${namespace}`;
    let c = this.#counts.get(key);
    if (c === undefined) {
      c = { service, namespace, byResult: { HIT: 0, MISS: 0, STALE: 0, REVALIDATED: 0, BYPASS: 0 } };
      this.#counts.set(key, c);
    }
    c.byResult[result]++;
  }

  /** Drops the caches of policies the config in force no longer carries. */
  #retain(policies: readonly ServicePolicy[] | undefined): void {
    this.#seen = policies;
    const live = new Set<string>();
    for (const p of policies ?? []) {
      if (p.cache) live.add(p.cache.source);
      for (const r of p.routes ?? []) if (r.policies?.cache) live.add(r.policies.cache.source);
    }
    for (const [key, c] of this.#caches) if (!live.has(c.source)) this.#caches.delete(key);
  }

  /**
   * `caches` on /config: each CachePolicy of the config in force where it applies (a service, or a rule of
   * its routes), its limits in ms, and what its caches hold now per destination service.
   */
  report(policies: readonly ServicePolicy[] | undefined): CacheReport[] {
    const out: CacheReport[] = [];
    const add = (service: string, namespace: string, rule: string | undefined, body: CachePolicyBody) => {
      const { limits, source } = compileCachePolicy(body);
      const stores = [...this.#caches.values()]
        .filter((c) => c.source === source)
        .map((c) => ({
          destination: `${c.service}.${c.namespace}`,
          bytes: c.cache.store.bytes,
          entries: c.cache.store.entries,
        }));
      out.push({
        service,
        namespace,
        ...(rule === undefined ? {} : { rule }),
        source,
        enforced: true,
        limits,
        stores,
      });
    };
    for (const p of policies ?? []) {
      if (p.cache) add(p.service, p.namespace, undefined, p.cache);
      for (const r of p.routes ?? []) {
        if (r.policies?.cache) add(p.service, p.namespace, ruleLabel(r), r.policies.cache);
      }
    }
    return out;
  }

  render(text: PrometheusText): void {
    text.family(
      CACHE_METRICS.requests,
      'counter',
      'Outbound requests a CachePolicy covered, by result (as x-weft-cache says): HIT, MISS, STALE (served stale: max-stale, stale-while-revalidate, stale-if-error), REVALIDATED (304 from the origin), BYPASS (unsafe method: forwarded, invalidates).',
    );
    for (const c of this.#counts.values()) {
      for (const result of RESULTS) {
        text.sample(
          CACHE_METRICS.requests,
          { result, destination_service: c.service, destination_namespace: c.namespace },
          c.byResult[result],
        );
      }
    }
    text.family(
      CACHE_METRICS.bytes,
      'gauge',
      'Bytes held by the response cache, per destination service and policy.',
    );
    for (const c of this.#caches.values()) {
      text.sample(
        CACHE_METRICS.bytes,
        { destination_service: c.service, destination_namespace: c.namespace, source: c.source },
        c.cache.store.bytes,
      );
    }
    text.family(
      CACHE_METRICS.entries,
      'gauge',
      'Responses held by the response cache, per destination service and policy.',
    );
    for (const c of this.#caches.values()) {
      text.sample(
        CACHE_METRICS.entries,
        { destination_service: c.service, destination_namespace: c.namespace, source: c.source },
        c.cache.store.entries,
      );
    }
  }
}
