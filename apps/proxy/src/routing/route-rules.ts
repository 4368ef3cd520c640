/**
 * The HTTPRoute rules attached to one destination service (GAMMA), compiled against one routing table: the
 * matches of every rule in one list sorted by precedence (see route-match.ts), so a request takes the first
 * match that fits; each rule's backends resolved to the table's routes, with their weights; the rule's own
 * split compiled against the versions of each service it sends to; the per-attempt timeout it sets.
 *
 * Rules are recompiled with every table (they point at routes of that table); the routes, subsets and
 * balancers they point at are the ones the table took over from the previous table when unchanged.
 *
 * A backend the config lists no endpoints for, and a rule whose backends all have weight 0 (or that lists
 * none), keep their rule in force: the requests drawn for them are answered 500, as Gateway API says for an
 * invalid backendRef, and /config says why.
 */
import { durationMs, INVALID_BACKEND_SERVICE, type RouteRule, type ServicePolicy } from '@weft/schema';
import {
  compileRouteMatch,
  comparePrecedence,
  MATCH_EVERYTHING,
  MatchInput,
  type CompiledMatch,
} from './route-match.ts';
import type { ServiceRoute } from './routing-table.ts';
import { RouteSplit, type RandomSource, type RequestHeaders, type SplitReport } from './split.ts';

/** Where a rule sends its requests: one backend Service, or the parent itself for a rule without backends. */
export interface RuleBackend {
  readonly service: string;
  readonly namespace: string;
  readonly weight: number;
  /** True for a rule without backends: matching requests go to the service the route is attached to. */
  readonly parent: boolean;
  /** Undefined when the config lists no endpoints for the service: requests drawn for it get a 500. */
  readonly route: ServiceRoute | undefined;
  /** The rule's split compiled against this service's versions; undefined when the rule has none. */
  readonly split: RouteSplit | undefined;
}

/** A per-attempt upstream timeout and what set it ("TimeoutPolicy shop/t (perTry)"). */
export interface TimeoutSetting {
  ms: number;
  source: string;
}

export interface RouteRuleReport {
  rule: string;
  /** `share`: the fraction of the rule's requests drawn for the backend (0 for weight 0). */
  backends: {
    service: string;
    namespace: string;
    weight: number;
    endpoints: number;
    share: number;
    parent?: true;
  }[];
  /** The per-attempt upstream timeout the rule sets; absent when the service's (or the default) applies. */
  timeout?: TimeoutSetting;
  /** Why some of its requests are answered 500 instead of forwarded. */
  problems: string[];
}

/** The rules of one service as in force, in config order (not in match order). */
export interface ServiceRulesReport {
  service: string;
  namespace: string;
  rules: RouteRuleReport[];
  /** Rules left out because they did not compile (the config check refuses those first). */
  problems: string[];
}

/** The per-attempt timeout a TimeoutPolicy sets (perTry, else request); undefined when it sets neither. */
export function policyTimeout(policy: ServicePolicy['timeout']): TimeoutSetting | undefined {
  if (policy === undefined) return undefined;
  if (policy.perTry !== undefined)
    return { ms: durationMs(policy.perTry), source: `${policy.source} (perTry)` };
  if (policy.request !== undefined)
    return { ms: durationMs(policy.request), source: `${policy.source} (request)` };
  return undefined;
}

/**
 * Why requests drawn for a backend without a route are answered 500, after its name: "reviews-v2.shop has
 * no endpoints in the config", or for a backendRef the control plane could not resolve to a Service (it
 * sends INVALID_BACKEND_SERVICE for those) "(invalid backendRef) is not a Service".
 */
export function unservedBackend(b: Pick<RuleBackend, 'service' | 'namespace'>): string {
  return b.service === INVALID_BACKEND_SERVICE
    ? `${b.service} is not a Service`
    : `${b.service}.${b.namespace} has no endpoints in the config`;
}

/** "HTTPRoute shop/reviews rule canary", or "HTTPRoute shop/reviews rule #2" for a rule without a name. */
export function ruleLabel(rule: Pick<RouteRule, 'route' | 'name' | 'index'>): string {
  return rule.name === undefined ? `${rule.route} rule #${rule.index}` : `${rule.route} rule ${rule.name}`;
}

interface Weighted {
  readonly backend: RuleBackend;
  /** Upper bound of this backend's interval in [0, total). */
  readonly until: number;
}

export class CompiledRouteRule {
  readonly spec: RouteRule;
  readonly label: string;
  /** The rule's TimeoutPolicy (perTry, else request), else its HTTPRoute timeouts (backendRequest, else request). */
  readonly timeout: TimeoutSetting | undefined;
  readonly backends: readonly RuleBackend[];
  readonly #weighted: Weighted[] = [];
  readonly #total: number;
  readonly #report: RouteRuleReport;

  constructor(
    spec: RouteRule,
    parent: ServiceRoute,
    resolve: (name: string, namespace: string) => ServiceRoute | undefined,
  ) {
    this.spec = spec;
    this.label = ruleLabel(spec);
    this.timeout = policyTimeout(spec.policies?.timeout) ?? httpRouteTimeout(spec);
    const splitSpec = spec.policies?.split;
    const target = (service: string, namespace: string, weight: number, isParent: boolean): RuleBackend => {
      const route = isParent ? parent : resolve(service, namespace);
      const served = isParent || (route !== undefined && route.endpoints.length > 0) ? route : undefined;
      return {
        service,
        namespace,
        weight,
        parent: isParent,
        route: served,
        split: splitSpec && new RouteSplit(splitSpec, served?.versions ?? new Map()),
      };
    };
    this.backends =
      spec.backends === undefined
        ? [target(parent.service, parent.namespace, 1, true)]
        : spec.backends.map((b) => target(b.service, b.namespace, b.weight, false));

    let total = 0;
    for (const backend of this.backends) {
      if (backend.weight === 0) continue;
      total += backend.weight;
      this.#weighted.push({ backend, until: total });
    }
    this.#total = total;

    const problems: string[] = [];
    if (this.backends.length === 0) {
      problems.push('the rule lists no backends: matching requests are answered 500');
    } else if (total === 0) {
      problems.push('every backend has weight 0: matching requests are answered 500');
    }
    for (const b of this.backends) {
      if (b.route !== undefined || b.weight === 0) continue;
      const share =
        b.weight === total ? 'every matching request is' : `its share (${percent(b.weight / total)}) is`;
      const until = b.service === INVALID_BACKEND_SERVICE ? '' : ' until it has some';
      problems.push(`backend ${unservedBackend(b)}: ${share} answered 500${until}`);
    }
    this.#report = {
      rule: this.label,
      backends: this.backends.map((b) => ({
        service: b.service,
        namespace: b.namespace,
        weight: b.weight,
        endpoints: b.route?.endpoints.length ?? 0,
        share: total === 0 ? 0 : Math.round((b.weight / total) * 1e4) / 1e4,
        ...(b.parent ? { parent: true as const } : {}),
      })),
      ...(this.timeout ? { timeout: this.timeout } : {}),
      problems,
    };
  }

  /** The backend for one request, drawn by weight; undefined when no backend has a weight above 0. */
  chooseBackend(random: RandomSource): RuleBackend | undefined {
    const weighted = this.#weighted;
    if (weighted.length <= 1) return weighted[0]?.backend;
    const at = random() * this.#total;
    for (const w of weighted) if (at < w.until) return w.backend;
    return weighted[weighted.length - 1]?.backend; // random() returned 1 or more: a broken source
  }

  report(): RouteRuleReport {
    return this.#report;
  }

  /** How the rule's split is enforced for each service it sends to. */
  splits(): SplitReport[] {
    const out: SplitReport[] = [];
    for (const b of this.backends) {
      if (b.split === undefined) continue;
      const report = { ...b.split.report(b.service, b.namespace), rule: this.label };
      out.push(
        b.route === undefined
          ? { ...report, problems: ['the config lists no endpoints for the service'] }
          : report,
      );
    }
    return out;
  }
}

/** HTTPRoute rule timeouts (GEP-1742): backendRequest bounds one attempt, request the whole exchange. */
function httpRouteTimeout(rule: RouteRule): TimeoutSetting | undefined {
  const t = rule.timeouts;
  if (t?.backendRequest !== undefined)
    return { ms: durationMs(t.backendRequest), source: `${rule.route} timeouts.backendRequest` };
  if (t?.request !== undefined)
    return { ms: durationMs(t.request), source: `${rule.route} timeouts.request` };
  return undefined;
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

interface OrderedMatch {
  readonly match: CompiledMatch;
  readonly rule: CompiledRouteRule;
  /** Position of the rule in the config list: the tie-break. */
  readonly order: number;
}

export class ServiceRules {
  readonly service: string;
  readonly namespace: string;
  /** In config order. */
  readonly rules: readonly CompiledRouteRule[];
  /** Every match of every rule, most specific first. */
  readonly #ordered: readonly OrderedMatch[];
  /** Rules that did not compile; the config check refuses those first, so this stays empty in practice. */
  readonly #uncompiled: string[] = [];

  /** `resolve`: the table's route for a backend service; undefined when the config does not list it. */
  constructor(
    parent: ServiceRoute,
    specs: readonly RouteRule[],
    resolve: (name: string, namespace: string) => ServiceRoute | undefined,
  ) {
    this.service = parent.service;
    this.namespace = parent.namespace;
    const rules: CompiledRouteRule[] = [];
    const ordered: OrderedMatch[] = [];
    for (const spec of specs) {
      const matches: CompiledMatch[] = [];
      let problem: string | undefined;
      for (const [i, m] of spec.matches.entries()) {
        const compiled = compileRouteMatch(m);
        if (!compiled.ok) {
          problem = `matches.${i}.${compiled.problem}`;
          break;
        }
        matches.push(compiled.match);
      }
      if (problem !== undefined) {
        this.#uncompiled.push(`${ruleLabel(spec)} is not in force: ${problem}`);
        continue;
      }
      const rule = new CompiledRouteRule(spec, parent, resolve);
      const order = rules.push(rule) - 1;
      // No matches: every request, as Gateway API's default match (PathPrefix "/").
      for (const match of matches.length === 0 ? [MATCH_EVERYTHING] : matches)
        ordered.push({ match, rule, order });
    }
    ordered.sort((a, b) => comparePrecedence(a.match.precedence, b.match.precedence) || a.order - b.order);
    this.rules = rules;
    this.#ordered = ordered;
  }

  /** The rule whose match is most specific among those the request satisfies; undefined when none does. */
  match(method: string, target: string, headers: RequestHeaders): CompiledRouteRule | undefined {
    const input = new MatchInput(method, target, headers);
    for (const o of this.#ordered) if (o.match.matches(input)) return o.rule;
    return undefined;
  }

  /** Every problem of these rules, one line each naming the rule. */
  problems(): string[] {
    return [
      ...this.#uncompiled,
      ...this.rules.flatMap((r) => r.report().problems.map((p) => `${r.label}: ${p}`)),
    ];
  }

  report(): ServiceRulesReport {
    return {
      service: this.service,
      namespace: this.namespace,
      rules: this.rules.map((r) => r.report()),
      problems: [...this.#uncompiled],
    };
  }
}
