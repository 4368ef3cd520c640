/**
 * The configuration in force. A new one is checked first and swapped in as a whole (one reference
 * assignment, routing table prebuilt). A structurally broken one is refused and leaves the last good
 * config in place; bad entries of an otherwise sound one are left out and the rest applied. Both are
 * remembered for /metrics, /config and logs.
 *
 * The store owns the EndpointRegistry: each new routing table takes the state of the endpoints it still
 * lists from it (and unchanged routes and version subsets from the table it replaces); the others' state is
 * released. A split that cannot be enforced as written is applied anyway (RouteSplit falls back) and
 * reported like a left-out entry: on /config, and logged once while later configs keep it. So is a route
 * rule whose backend has no endpoints or whose weights are all 0 (its requests are answered 500).
 */
import type { ProxyConfig } from '@weft/schema';
import type { Logger } from '../log.ts';
import type { LocalTopology } from '../routing/balancers/locality.ts';
import type { BalancerFactory } from '../routing/round-robin.ts';
import { EndpointRegistry } from '../routing/endpoint-registry.ts';
import type { ServiceRulesReport } from '../routing/route-rules.ts';
import { RoutingTable } from '../routing/routing-table.ts';
import { checkConfig, type RefusedEntry } from './validate-config.ts';

export type { RefusedEntry } from './validate-config.ts';

export type ConfigSource = 'file' | 'control-plane';

export interface ActiveConfig {
  readonly config: ProxyConfig;
  readonly routes: RoutingTable;
  readonly source: ConfigSource;
  readonly appliedAtMs: number;
  /** Entries of the config as received that were left out (they are not in `config`). */
  readonly refused: readonly RefusedEntry[];
}

export interface ConfigRejection {
  version: string | undefined;
  reason: string;
  source: ConfigSource;
  atMs: number;
}

export type OfferResult =
  /**
   * `newlyRefused`: left-out entries the previous config in force did not already leave out;
   * `newSplitProblems`: the same for what keeps a split from being enforced as written (see RouteSplit);
   * `newRouteProblems`: the same for route rules that answer 500 (see CompiledRouteRule).
   */
  | {
      kind: 'applied';
      active: ActiveConfig;
      newlyRefused: RefusedEntry[];
      newSplitProblems: string[];
      newRouteProblems: string[];
    }
  | { kind: 'unchanged' }
  | { kind: 'rejected'; rejection: ConfigRejection; repeated: boolean };

export class ConfigStore {
  readonly #balancer: BalancerFactory;
  readonly #now: () => number;
  /** Where this proxy runs (--zone, --region), for locality-aware balancing. */
  readonly #topology: LocalTopology | undefined;
  readonly #endpoints = new EndpointRegistry();
  readonly #listeners: ((active: ActiveConfig) => void)[] = [];
  #active: ActiveConfig | undefined;
  #lastRejection: ConfigRejection | undefined;
  #rejections = 0;
  #entriesRefused = 0;

  constructor(balancer: BalancerFactory, now: () => number = Date.now, topology?: LocalTopology) {
    this.#balancer = balancer;
    this.#now = now;
    this.#topology = topology;
  }

  get active(): ActiveConfig | undefined {
    return this.#active;
  }

  /** Per-endpoint state of the endpoints the config in force lists. */
  get endpoints(): EndpointRegistry {
    return this.#endpoints;
  }

  get lastRejection(): ConfigRejection | undefined {
    return this.#lastRejection;
  }

  /** Distinct configs refused (the same one offered again on every poll counts once). */
  get rejections(): number {
    return this.#rejections;
  }

  /**
   * Distinct config entries left out: an entry still bad in the next config (every config the control
   * plane sends until the bad registration goes away) counts once.
   */
  get entriesRefused(): number {
    return this.#entriesRefused;
  }

  onApplied(listener: (active: ActiveConfig) => void): void {
    this.#listeners.push(listener);
  }

  offer(raw: unknown, source: ConfigSource): OfferResult {
    const check = checkConfig(raw);
    if (!check.ok) {
      const last = this.#lastRejection;
      const repeated = last !== undefined && last.version === check.version && last.reason === check.reason;
      const rejection = { version: check.version, reason: check.reason, source, atMs: this.#now() };
      if (!repeated) this.#rejections++;
      this.#lastRejection = rejection;
      return { kind: 'rejected', rejection, repeated };
    }
    if (this.#active?.config.version === check.config.version && this.#active.source === source) {
      return { kind: 'unchanged' };
    }
    const before = new Set(this.#active?.refused.map(refusalKey));
    const newlyRefused = check.refused.filter((r) => !before.has(refusalKey(r)));
    this.#entriesRefused += newlyRefused.length;
    const routes = new RoutingTable(check.config, {
      balancer: this.#balancer,
      endpoints: this.#endpoints,
      previous: this.#active?.routes,
      topology: this.#topology,
    });
    this.#endpoints.retainOnly(routes.addresses());
    const problemsBefore = new Set(this.#active ? splitProblems(this.#active.routes) : []);
    const newSplitProblems = splitProblems(routes).filter((p) => !problemsBefore.has(p));
    const routeProblemsBefore = new Set(this.#active?.routes.routeProblems());
    const newRouteProblems = routes.routeProblems().filter((p) => !routeProblemsBefore.has(p));
    const active: ActiveConfig = {
      config: check.config,
      routes,
      source,
      appliedAtMs: this.#now(),
      refused: check.refused,
    };
    this.#active = active;
    for (const listener of this.#listeners) listener(active);
    return { kind: 'applied', active, newlyRefused, newSplitProblems, newRouteProblems };
  }
}

/** One line per problem of each split of the table, naming the service and the policy (and the rule). */
export function splitProblems(routes: RoutingTable): string[] {
  return routes.splits().flatMap((s) => {
    const of = `split of ${s.service}.${s.namespace} (${s.source}${s.rule === undefined ? '' : `, ${s.rule}`})`;
    return s.problems.map((p) => `${of}: ${p}`);
  });
}

/** The route rules of one service on /config: those in force, and those (or parts) left out of it. */
export interface RoutesReport extends ServiceRulesReport {
  refused: RefusedEntry[];
}

/**
 * The route rules of the config in force per service, with the refused ones next to them; a service whose
 * rules were all refused routes as if it had none, and says so.
 */
export function routesReport(active: ActiveConfig): RoutesReport[] {
  const refusedOf = new Map<string, RefusedEntry[]>();
  for (const r of active.refused) {
    if (r.routesOf === undefined) continue;
    const key = `${r.routesOf.service}.${r.routesOf.namespace}`;
    const list = refusedOf.get(key);
    if (list) list.push(r);
    else refusedOf.set(key, [r]);
  }
  const out: RoutesReport[] = active.routes.routeRules().map((r) => {
    const key = `${r.service}.${r.namespace}`;
    const refused = refusedOf.get(key) ?? [];
    refusedOf.delete(key);
    return { ...r, refused };
  });
  for (const refused of refusedOf.values()) {
    const of = refused[0]?.routesOf ?? { service: '', namespace: '' };
    out.push({
      ...of,
      rules: [],
      problems: ['no rule is in force: requests go to the service as if it had no routes'],
      refused,
    });
  }
  return out;
}

/** Position-independent: the same bad endpoint moves when services are added before it. */
function refusalKey(r: RefusedEntry): string {
  return `${r.entry}\n${r.reason}`;
}

/** Entries logged one by one per config; beyond this, one summary line. */
const MAX_LOGGED_REFUSALS = 20;

/** The log lines for an applied config: one per newly left-out entry, never the same entry twice in a row. */
export function logApplied(result: Extract<OfferResult, { kind: 'applied' }>, log: Logger): void {
  const { config, refused } = result.active;
  const splits = config.policies?.filter((p) => p.split !== undefined).length ?? 0;
  log.info(
    `config ${config.version} applied (${config.services.length} services` +
      `${splits > 0 ? `, ${splits} ${splits === 1 ? 'split' : 'splits'}` : ''}` +
      `${refused.length > 0 ? `; ${refused.length} ${refused.length === 1 ? 'entry' : 'entries'} left out, see /config` : ''})`,
  );
  for (const r of result.newlyRefused.slice(0, MAX_LOGGED_REFUSALS)) {
    log.warn(`config ${config.version}: left out ${r.entry} (${r.path}): ${r.reason}`);
  }
  const more = result.newlyRefused.length - MAX_LOGGED_REFUSALS;
  if (more > 0) log.warn(`config ${config.version}: left out ${more} more entries; see /config`);
  for (const p of result.newSplitProblems.slice(0, MAX_LOGGED_REFUSALS))
    log.warn(`config ${config.version}: ${p}`);
  const moreSplits = result.newSplitProblems.length - MAX_LOGGED_REFUSALS;
  if (moreSplits > 0) log.warn(`config ${config.version}: ${moreSplits} more split problems; see /config`);
  for (const p of result.newRouteProblems.slice(0, MAX_LOGGED_REFUSALS))
    log.warn(`config ${config.version}: ${p}`);
  const moreRoutes = result.newRouteProblems.length - MAX_LOGGED_REFUSALS;
  if (moreRoutes > 0) log.warn(`config ${config.version}: ${moreRoutes} more route problems; see /config`);
}
