/**
 * One RateLimitPolicy as the inbound proxy enforces it for one scope (its service, or one HTTPRoute rule of
 * it): the rules with their matches compiled, their buckets, and the concurrency limit.
 *
 * Every rule whose matches fit the request applies (a rule without matches applies to every request), and
 * the request passes only if each of them has a token for it; tokens are taken only then, so a request
 * refused by one rule costs nothing in the others. A rule keeps one shared bucket, or with `perClient` one
 * per calling workload (service.namespace from `x-weft-source`; callers without an identity share the
 * "unknown" bucket). A client with an override gets its own bucket with the override's limit in either case.
 */
import { durationMs, type ServicePolicy } from '@weft/schema';
import type { WorkloadIdentity } from '../../identity.ts';
import { compileRouteMatch, type CompiledMatch, type MatchInput } from '../../routing/route-match.ts';
import type { BucketMap } from './bucket-map.ts';
import type { InFlightLimit } from './in-flight-limit.ts';
import type { BucketLimit, TokenBucket } from './token-bucket.ts';

/** A RateLimitPolicy as the config carries it (spec without targetRef, plus `source`). */
export type RateLimitSpec = NonNullable<ServicePolicy['rateLimit']>;
export type RateLimitRuleSpec = NonNullable<RateLimitSpec['rules']>[number];

/** The key of the bucket a rule shares between every caller (not a valid service.namespace). */
const SHARED = '*';

export function clientKey(client: Pick<WorkloadIdentity, 'service' | 'namespace'>): string {
  return `${client.service}.${client.namespace}`;
}

export function bucketLimit(l: RateLimitRuleSpec['limit']): BucketLimit {
  return { requests: l.requests, intervalMs: durationMs(l.interval), burst: l.burst };
}

/** "100 per 1s + burst 20" */
export function describeLimit(l: RateLimitRuleSpec['limit']): string {
  return `${l.requests} per ${l.interval}${l.burst > 0 ? ` + burst ${l.burst}` : ''}`;
}

export class RateLimitRule {
  readonly spec: RateLimitRuleSpec;
  /** The rule's name, or "#index" for one without: how headers, metrics and replies name it. */
  readonly name: string;
  /** "RateLimitPolicy shop/pricing-rate-limit rule per-caller" */
  readonly label: string;
  readonly limit: BucketLimit;
  readonly buckets: BucketMap;
  readonly #matches: readonly CompiledMatch[] | undefined;
  readonly #overrides: ReadonlyMap<string, BucketLimit>;

  /** `matches`: compiled by `compileRules` (undefined: every request). */
  constructor(
    spec: RateLimitRuleSpec,
    index: number,
    source: string,
    matches: readonly CompiledMatch[] | undefined,
    buckets: BucketMap,
  ) {
    this.spec = spec;
    this.name = spec.name ?? `#${index}`;
    this.label = `${source} rule ${this.name}`;
    this.limit = bucketLimit(spec.limit);
    this.buckets = buckets;
    this.#matches = matches;
    this.#overrides = new Map(
      (spec.overrides ?? []).map((o) => [clientKey(o.client), bucketLimit(o.limit)] as const),
    );
  }

  applies(input: MatchInput): boolean {
    const matches = this.#matches;
    if (matches === undefined) return true;
    for (const m of matches) if (m.matches(input)) return true;
    return false;
  }

  /** The bucket `client` draws from, and its partition key when it is not the shared bucket. */
  bucketFor(client: WorkloadIdentity, now: number): { bucket: TokenBucket; partition: string | undefined } {
    const key = this.spec.perClient || this.#overrides.size > 0 ? clientKey(client) : SHARED;
    const override = this.#overrides.get(key);
    if (override !== undefined) return { bucket: this.buckets.get(key, override, now), partition: key };
    if (this.spec.perClient) return { bucket: this.buckets.get(key, this.limit, now), partition: key };
    return { bucket: this.buckets.get(SHARED, this.limit, now), partition: undefined };
  }
}

/** Compiles a rule's matches; a match that does not compile is reported (the config check refuses those). */
export function compileRuleMatches(
  spec: RateLimitRuleSpec,
): { ok: true; matches: CompiledMatch[] | undefined } | { ok: false; problem: string } {
  if (spec.matches === undefined || spec.matches.length === 0) return { ok: true, matches: undefined };
  const out: CompiledMatch[] = [];
  for (const [i, m] of spec.matches.entries()) {
    const compiled = compileRouteMatch(m);
    if (!compiled.ok) return { ok: false, problem: `matches.${i}.${compiled.problem}` };
    out.push(compiled.match);
  }
  return { ok: true, matches: out };
}

/** One rule's part in a request's verdict. */
export interface AppliedRule {
  readonly rule: RateLimitRule;
  readonly bucket: TokenBucket;
  readonly partition: string | undefined;
}

export type RateVerdict =
  | { allowed: true; applied: AppliedRule[] }
  /** `refusedBy`: the first applicable rule without a token; `retryAfterMs`: until it has one. */
  | { allowed: false; applied: AppliedRule[]; refusedBy: RateLimitRule; retryAfterMs: number };

export class EnforcedRateLimit {
  /** "RateLimitPolicy shop/pricing-rate-limit" */
  readonly source: string;
  /** The HTTPRoute rule it is attached to ("HTTPRoute shop/pricing rule #0"); undefined for the service's. */
  readonly scope: string | undefined;
  readonly rules: readonly RateLimitRule[];
  readonly concurrency: InFlightLimit | undefined;

  constructor(
    source: string,
    scope: string | undefined,
    rules: readonly RateLimitRule[],
    concurrency: InFlightLimit | undefined,
  ) {
    this.source = source;
    this.scope = scope;
    this.rules = rules;
    this.concurrency = concurrency;
  }

  /** Checks every applicable rule; takes a token from each only when all of them have one. */
  check(input: MatchInput, client: WorkloadIdentity, now: number): RateVerdict {
    const applied: AppliedRule[] = [];
    let refused: AppliedRule | undefined;
    for (const rule of this.rules) {
      if (!rule.applies(input)) continue;
      const { bucket, partition } = rule.bucketFor(client, now);
      const a = { rule, bucket, partition };
      applied.push(a);
      if (refused === undefined && bucket.available(now) < 1) refused = a;
    }
    if (refused !== undefined)
      return {
        allowed: false,
        applied,
        refusedBy: refused.rule,
        retryAfterMs: refused.bucket.msUntilToken(),
      };
    for (const a of applied) a.bucket.take();
    return { allowed: true, applied };
  }
}
