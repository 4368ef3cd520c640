/**
 * The rate limits an inbound proxy enforces for its own service, per config: the service's
 * RateLimitPolicy (`policies[].rateLimit` of its own entry) and those of its own HTTPRoute rules
 * (`routes[].policies.rateLimit`). A request takes the policy of the route rule it matches (the rule
 * outbound routing would pick: most specific match first, ties to the earlier rule), else the service's.
 *
 * `RateLimits` lives as long as the proxy and hands each config's table the buckets and in-flight counts
 * of the previous one where the rule (or policy) is unchanged, so a config update that does not touch a
 * limit neither refills its buckets nor forgets the requests in flight.
 */
import type { ProxyConfig, RouteRule, ServicePolicy } from '@weft/schema';
import type { WorkloadIdentity } from '../../identity.ts';
import {
  comparePrecedence,
  compileRouteMatch,
  MATCH_EVERYTHING,
  MatchInput,
  type CompiledMatch,
} from '../../routing/route-match.ts';
import { ruleLabel } from '../../routing/route-rules.ts';
import type { RequestHeaders } from '../../routing/split.ts';
import { BucketMap, DEFAULT_MAX_BUCKETS_PER_RULE } from './bucket-map.ts';
import { InFlightLimit } from './in-flight-limit.ts';
import {
  compileRuleMatches,
  describeLimit,
  EnforcedRateLimit,
  RateLimitRule,
  type RateLimitSpec,
} from './rate-limit-policy.ts';

/** One enforced policy on /config. */
export interface RateLimitReport {
  source: string;
  /** The HTTPRoute rule it applies to; absent for the service's own policy. */
  route?: string;
  rules: {
    name: string;
    limit: string;
    perClient: boolean;
    matches: number;
    overrides: { client: string; limit: string }[];
    /** Buckets held now (one per calling workload for a per-client rule). */
    buckets: number;
  }[];
  concurrency?: { maxInFlight: number; inFlight: number };
  /** Rules left out because their matches do not compile (the config check refuses those first). */
  problems: string[];
}

interface OrderedRouteMatch {
  readonly match: CompiledMatch;
  /** The rule's policy; undefined for a rule without a rate limit (the service's then applies). */
  readonly policy: EnforcedRateLimit | undefined;
  readonly order: number;
}

/** The rate limits of one config, for one workload. Immutable but for the state it shares (buckets). */
export class InboundRateLimits {
  readonly service: EnforcedRateLimit | undefined;
  /** Every match of every rule of the service's routes, most specific first; empty when none has a limit. */
  readonly #routeMatches: readonly OrderedRouteMatch[];
  readonly #policies: readonly EnforcedRateLimit[];
  readonly #problems: ReadonlyMap<EnforcedRateLimit, string[]>;

  constructor(
    service: EnforcedRateLimit | undefined,
    routeMatches: readonly OrderedRouteMatch[],
    policies: readonly EnforcedRateLimit[],
    problems: ReadonlyMap<EnforcedRateLimit, string[]>,
  ) {
    this.service = service;
    this.#routeMatches = routeMatches;
    this.#policies = policies;
    this.#problems = problems;
  }

  /** True when nothing is enforced: the layers then cost one call per request. */
  get empty(): boolean {
    return this.#policies.length === 0;
  }

  /** The policy for one request; `input` is built only when route rules carry limits. */
  policyFor(method: string, target: string, headers: RequestHeaders): EnforcedRateLimit | undefined {
    if (this.#routeMatches.length === 0) return this.service;
    const input = new MatchInput(method, target, headers);
    for (const m of this.#routeMatches) if (m.match.matches(input)) return m.policy ?? this.service;
    return this.service;
  }

  report(): RateLimitReport[] {
    return this.#policies.map((p) => ({
      source: p.source,
      ...(p.scope === undefined ? {} : { route: p.scope }),
      rules: p.rules.map((r) => ({
        name: r.name,
        limit: describeLimit(r.spec.limit),
        perClient: r.spec.perClient,
        matches: r.spec.matches?.length ?? 0,
        overrides: (r.spec.overrides ?? []).map((o) => ({
          client: `${o.client.service}.${o.client.namespace}`,
          limit: describeLimit(o.limit),
        })),
        buckets: r.buckets.size,
      })),
      ...(p.concurrency
        ? { concurrency: { maxInFlight: p.concurrency.max, inFlight: p.concurrency.inFlight } }
        : {}),
      problems: this.#problems.get(p) ?? [],
    }));
  }
}

export interface RateLimitsOptions {
  /** Buckets per rule at most (per-client rules: one per calling workload). */
  maxBucketsPerRule?: number;
}

/** Owns rate-limit state across configs; `forConfig` builds (and caches) the table of each config. */
export class RateLimits {
  readonly #self: WorkloadIdentity;
  readonly #maxBuckets: number;
  #buckets = new Map<string, BucketMap>();
  #inFlight = new Map<string, InFlightLimit>();
  #config: ProxyConfig | undefined;
  #table: InboundRateLimits | undefined;

  constructor(self: WorkloadIdentity, o: RateLimitsOptions = {}) {
    this.#self = self;
    this.#maxBuckets = o.maxBucketsPerRule ?? DEFAULT_MAX_BUCKETS_PER_RULE;
  }

  /** The table for `config` (the one in force); rebuilt only when the config object changes. */
  forConfig(config: ProxyConfig | undefined): InboundRateLimits | undefined {
    if (config === undefined) return undefined;
    if (config !== this.#config) {
      this.#table = this.#build(config);
      this.#config = config;
    }
    return this.#table;
  }

  #build(config: ProxyConfig): InboundRateLimits {
    const buckets = new Map<string, BucketMap>();
    const inFlight = new Map<string, InFlightLimit>();
    const policies: EnforcedRateLimit[] = [];
    const problems = new Map<EnforcedRateLimit, string[]>();

    const enforce = (spec: RateLimitSpec, scope: string | undefined): EnforcedRateLimit => {
      const scopeKey = `${scope ?? 'service'}\n${spec.source}`;
      const rules: RateLimitRule[] = [];
      const ruleProblems: string[] = [];
      for (const [i, r] of (spec.rules ?? []).entries()) {
        const compiled = compileRuleMatches(r);
        if (!compiled.ok) {
          ruleProblems.push(`rule ${r.name ?? `#${i}`} is not in force: ${compiled.problem}`);
          continue;
        }
        // Same scope, position and content: the same rule, so its buckets carry on.
        const key = `${scopeKey}\n${i}\n${JSON.stringify(r)}`;
        const map = this.#buckets.get(key) ?? buckets.get(key) ?? new BucketMap(this.#maxBuckets);
        buckets.set(key, map);
        rules.push(new RateLimitRule(r, i, spec.source, compiled.matches, map));
      }
      let concurrency: InFlightLimit | undefined;
      if (spec.concurrency !== undefined) {
        concurrency = this.#inFlight.get(scopeKey) ?? inFlight.get(scopeKey);
        if (concurrency === undefined) concurrency = new InFlightLimit(spec.concurrency.maxInFlight);
        else concurrency.max = spec.concurrency.maxInFlight;
        inFlight.set(scopeKey, concurrency);
      }
      const policy = new EnforcedRateLimit(spec.source, scope, rules, concurrency);
      policies.push(policy);
      if (ruleProblems.length > 0) problems.set(policy, ruleProblems);
      return policy;
    };

    const own = ownPolicy(config, this.#self);
    const service = own?.rateLimit && enforce(own.rateLimit, undefined);
    const routes = own?.routes ?? [];
    const routeMatches: OrderedRouteMatch[] = [];
    if (routes.some((r) => r.policies?.rateLimit !== undefined)) {
      for (const [order, rule] of routes.entries()) {
        const matches = compileRouteRuleMatches(rule);
        if (matches === undefined) continue; // left out by the config check already
        const spec = rule.policies?.rateLimit;
        const policy = spec && enforce(spec, ruleLabel(rule));
        for (const match of matches) routeMatches.push({ match, policy, order });
      }
      routeMatches.sort(
        (a, b) => comparePrecedence(a.match.precedence, b.match.precedence) || a.order - b.order,
      );
    }

    this.#buckets = buckets;
    this.#inFlight = inFlight;
    return new InboundRateLimits(service, routeMatches, policies, problems);
  }
}

/** The config's entry for this workload's own service (the first, as the routing table takes it). */
function ownPolicy(config: ProxyConfig, self: WorkloadIdentity): ServicePolicy | undefined {
  return config.policies?.find((p) => p.service === self.service && p.namespace === self.namespace);
}

/** A route rule's matches, compiled; an empty list is Gateway API's default match (every request). */
function compileRouteRuleMatches(rule: RouteRule): CompiledMatch[] | undefined {
  if (rule.matches.length === 0) return [MATCH_EVERYTHING];
  const out: CompiledMatch[] = [];
  for (const m of rule.matches) {
    const compiled = compileRouteMatch(m);
    if (!compiled.ok) return undefined;
    out.push(compiled.match);
  }
  return out;
}
