/**
 * What of a ProxyConfig may be put in force. Structural problems (not an object, no version, services not
 * a list, policies present but not a list) refuse the whole config. Anything else is judged entry by entry
 * with the shared rules of `@weft/schema` (net.ts, config.ts): a service whose name or namespace is not a
 * DNS label is left out with its endpoints, an endpoint whose address, proxy id or version is bad is left
 * out alone, and the rest is applied — so one bad registration cannot freeze the config of every proxy in
 * the mesh. Policies likewise: an entry whose service or namespace is not a DNS label is left out, a policy
 * of it (split, retry, …) that fails its schema is left out alone, and so is a second policy of one kind
 * for a service (the first stays); entries for one service come out merged into one.
 *
 * HTTPRoute rules (`routes`, one list per service like any other kind) are judged rule by rule: a rule
 * that fails its schema or whose matches do not compile (a regular expression that is not valid, a path
 * that does not start with "/") is left out alone, the service's other rules stay; a policy of a rule
 * (`routes.2.policies.split`) that fails its schema is left out alone, the rule stays without it.
 */
import {
  advertisedHostPort,
  DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE,
  dnsLabelSchema,
  outboundTrafficPolicySchema,
  proxyIdSchema,
  topologyLabelSchema,
  versionNameSchema,
  routePoliciesSchema,
  routeRuleSchema,
  servicePolicySchema,
  type Endpoint,
  type OutboundTrafficPolicy,
  type ProxyConfig,
  type RoutePolicies,
  type RouteRule,
  type ServiceEndpoints,
  type ServicePolicy,
} from '@weft/schema';
import { compilingMatches } from '../policies/fault/compiled-matches.ts';
import { compilingRuleMatches } from '../policies/rate-limit/config-check.ts';
import { compileRouteMatch } from '../routing/route-match.ts';
import { ruleLabel } from '../routing/route-rules.ts';

/** One part of a config that was left out, and why. */
export interface RefusedEntry {
  /**
   * Where it was in the config as received: "services.2", "services.2.endpoints.0", "policies.1.split",
   * "policies.1.routes.3".
   */
  path: string;
  /** What it was, independent of its position: `endpoint "c-1" (x/y:80) of catalog.shop`. */
  entry: string;
  reason: string;
  /** For (a part of) a route rule: the service whose routes it belongs to, so /config lists it with them. */
  routesOf?: { service: string; namespace: string };
}

export type ConfigCheck =
  | { ok: true; config: ProxyConfig; refused: RefusedEntry[] }
  | { ok: false; version: string | undefined; reason: string };

/** The shape of a zod schema's safeParse, so the proxy needs no direct zod import. */
interface Checker {
  safeParse(value: unknown): { success: boolean; error?: { issues: readonly { message: string }[] } };
}

function problemOf(schema: Checker, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  return result.success ? undefined : (result.error?.issues[0]?.message ?? 'is not valid');
}

const EXPECTED =
  'expected {"version": "1", "services": [{"name", "namespace", "endpoints": [{"proxyId", "address": "host:port", "version"}]}]}';

export function checkConfig(raw: unknown): ConfigCheck {
  if (!isRecord(raw))
    return { ok: false, version: undefined, reason: `(root): not a JSON object (${EXPECTED})` };
  const version = typeof raw.version === 'string' ? raw.version : undefined;
  if (version === undefined || version === '') {
    return { ok: false, version, reason: `version: must be a non-empty string (${EXPECTED})` };
  }
  if (!Array.isArray(raw.services)) {
    return { ok: false, version, reason: `services: must be a list of services (${EXPECTED})` };
  }
  if (raw.policies !== undefined && !Array.isArray(raw.policies)) {
    return {
      ok: false,
      version,
      reason:
        'policies: must be a list of service policies when present ' +
        '(expected "policies": [{"namespace", "service", "split"?, "retry"?, …}])',
    };
  }

  const refused: RefusedEntry[] = [];
  const services: ServiceEndpoints[] = [];
  raw.services.forEach((s: unknown, i) => {
    const path = `services.${i}`;
    if (!isRecord(s)) {
      refused.push({ path, entry: `service ${show(s)}`, reason: 'not a JSON object' });
      return;
    }
    const name = `${show(s.name)}.${show(s.namespace)}`;
    const problem =
      field('name', problemOf(dnsLabelSchema, s.name)) ??
      field('namespace', problemOf(dnsLabelSchema, s.namespace)) ??
      (Array.isArray(s.endpoints) ? undefined : 'endpoints: must be a list');
    if (problem !== undefined) {
      refused.push({ path, entry: `service ${name}`, reason: problem });
      return;
    }
    const endpoints: Endpoint[] = [];
    (s.endpoints as unknown[]).forEach((e, j) => {
      const at = `${path}.endpoints.${j}`;
      if (!isRecord(e)) {
        refused.push({ path: at, entry: `endpoint ${show(e)} of ${name}`, reason: 'not a JSON object' });
        return;
      }
      const bad =
        field('address', problemOf(advertisedHostPort, e.address)) ??
        field('proxyId', problemOf(proxyIdSchema, e.proxyId)) ??
        field('version', problemOf(versionNameSchema, e.version));
      if (bad !== undefined) {
        refused.push({
          path: at,
          entry: `endpoint ${show(e.proxyId)} (${show(e.address)}) of ${name}`,
          reason: bad,
        });
        return;
      }
      endpoints.push({
        proxyId: e.proxyId as string,
        address: e.address as string,
        version: e.version as string,
        // Topology only steers locality-aware balancing: a value that is not a label is ignored, not refused.
        ...topologyOf(e),
      });
    });
    services.push({ name: s.name as string, namespace: s.namespace as string, endpoints });
  });
  const egress = checkOutboundTrafficPolicy(raw.outboundTrafficPolicy, refused);
  const config: ProxyConfig = { version, services };
  if (raw.policies !== undefined) config.policies = checkPolicies(raw.policies as unknown[], refused);
  if (egress !== undefined) config.outboundTrafficPolicy = egress;
  return { ok: true, config, refused };
}

/**
 * The mesh's egress switch; one that fails its schema is refused alone (the proxy keeps the default,
 * ALLOW_ANY, as an API that does not send the field means).
 */
function checkOutboundTrafficPolicy(
  raw: unknown,
  refused: RefusedEntry[],
): OutboundTrafficPolicy | undefined {
  if (raw === undefined) return undefined;
  const problem = problemOf(outboundTrafficPolicySchema, raw);
  if (problem === undefined) return raw as OutboundTrafficPolicy;
  refused.push({
    path: 'outboundTrafficPolicy',
    entry: `outboundTrafficPolicy ${show(raw)}`,
    reason: `mode ${problem}; outside traffic is allowed (${DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE})`,
  });
  return undefined;
}

const POLICY_KINDS = [
  'split',
  'retry',
  'timeout',
  'circuitBreaker',
  'loadBalancing',
  'rateLimit',
  'faultInjection',
  'mirror',
  'cache',
] as const;
type PolicyKind = (typeof POLICY_KINDS)[number];

/** A zod schema as far as this file uses it. */
interface Parser<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

const POLICY_PARSERS: { [K in PolicyKind]: Parser<ServicePolicy[K]> } = {
  split: servicePolicySchema.shape.split,
  retry: servicePolicySchema.shape.retry,
  timeout: servicePolicySchema.shape.timeout,
  circuitBreaker: servicePolicySchema.shape.circuitBreaker,
  loadBalancing: servicePolicySchema.shape.loadBalancing,
  rateLimit: compilingRuleMatches(servicePolicySchema.shape.rateLimit),
  faultInjection: compilingMatches(servicePolicySchema.shape.faultInjection),
  mirror: compilingMatches(servicePolicySchema.shape.mirror),
  cache: compilingMatches(servicePolicySchema.shape.cache),
};

/**
 * The policies to put in force, one entry per service (in order of first mention), each policy as its
 * schema parsed it. Keys the schema does not know are dropped, so a newer control plane's additions pass.
 */
function checkPolicies(raw: readonly unknown[], refused: RefusedEntry[]): ServicePolicy[] {
  const byService = new Map<string, ServicePolicy>();
  raw.forEach((p: unknown, i) => {
    const path = `policies.${i}`;
    if (!isRecord(p)) {
      refused.push({ path, entry: `policies ${show(p)}`, reason: 'not a JSON object' });
      return;
    }
    const name = `${show(p.service)}.${show(p.namespace)}`;
    const problem =
      field('service', problemOf(dnsLabelSchema, p.service)) ??
      field('namespace', problemOf(dnsLabelSchema, p.namespace));
    if (problem !== undefined) {
      refused.push({ path, entry: `policies for ${name}`, reason: problem });
      return;
    }
    let entry = byService.get(name);
    for (const kind of POLICY_KINDS) {
      const value = p[kind];
      if (value === undefined) continue;
      const source = isRecord(value) && typeof value.source === 'string' ? ` (${show(value.source)})` : '';
      const at = { path: `${path}.${kind}`, entry: `${kind} of ${name}${source}` };
      const result = POLICY_PARSERS[kind].safeParse(value);
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = [kind, ...(issue?.path ?? []).map(String)].join('.');
        refused.push({ ...at, reason: `${where}: ${issue?.message ?? 'is not valid'}` });
        continue;
      }
      const kept = entry?.[kind];
      if (kept !== undefined) {
        refused.push({
          ...at,
          reason: `${name} already has a ${kind} (${show(kept.source)}); one of each kind per service is in force`,
        });
        continue;
      }
      if (entry === undefined) {
        entry = { namespace: p.namespace as string, service: p.service as string };
        byService.set(name, entry);
      }
      setPolicy(entry, kind, result.data);
    }
    if (p.routes !== undefined) {
      const at = { path: `${path}.routes`, entry: `routes of ${name}` };
      if (!Array.isArray(p.routes)) {
        refused.push({ ...at, reason: 'routes: must be a list of route rules' });
      } else if (entry?.routes !== undefined) {
        refused.push({
          ...at,
          reason: `${name} already has routes (${entry.routes.length} rules); one list of route rules per service is in force`,
        });
      } else {
        const routesOf = { service: p.service as string, namespace: p.namespace as string };
        const routes = checkRouteRules(p.routes, `${path}.routes`, name, (r) =>
          refused.push({ ...r, routesOf }),
        );
        if (entry === undefined) {
          entry = { namespace: p.namespace as string, service: p.service as string };
          byService.set(name, entry);
        }
        entry.routes = routes;
      }
    }
  });
  return [...byService.values()];
}

const RULE_PARSER: Parser<Omit<RouteRule, 'policies'>> = routeRuleSchema.omit({ policies: true });

const RULE_POLICY_KINDS = [
  'split',
  'retry',
  'timeout',
  'rateLimit',
  'faultInjection',
  'mirror',
  'cache',
] as const;
type RulePolicyKind = (typeof RULE_POLICY_KINDS)[number];
const RULE_POLICY_PARSERS: { [K in RulePolicyKind]: Parser<RoutePolicies[K]> } = {
  split: routePoliciesSchema.shape.split,
  retry: routePoliciesSchema.shape.retry,
  timeout: routePoliciesSchema.shape.timeout,
  rateLimit: compilingRuleMatches(routePoliciesSchema.shape.rateLimit),
  faultInjection: compilingMatches(routePoliciesSchema.shape.faultInjection),
  mirror: compilingMatches(routePoliciesSchema.shape.mirror),
  cache: compilingMatches(routePoliciesSchema.shape.cache),
};

/** The rules of one service to put in force, in the order received; each bad one (or bad part) refused alone. */
function checkRouteRules(
  raw: readonly unknown[],
  path: string,
  service: string,
  refuse: (r: RefusedEntry) => void,
): RouteRule[] {
  const rules: RouteRule[] = [];
  raw.forEach((r: unknown, j) => {
    const at = `${path}.${j}`;
    const label = isRecord(r)
      ? ruleLabel({
          route: show(r.route),
          name: typeof r.name === 'string' ? show(r.name) : undefined,
          index: typeof r.index === 'number' ? r.index : j,
        })
      : show(r);
    const entry = `route rule ${label} of ${service}`;
    if (!isRecord(r)) {
      refuse({ path: at, entry, reason: 'not a JSON object' });
      return;
    }
    const parsed = RULE_PARSER.safeParse(r);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = (issue?.path ?? []).map(String).join('.');
      refuse({
        path: at,
        entry,
        reason: `${where === '' ? '' : `${where}: `}${issue?.message ?? 'is not valid'}`,
      });
      return;
    }
    // Compiled here as the routing table compiles it, so a rule that cannot be matched is refused, not
    // half-applied; the table compiles it again (once per config, never per request).
    for (const [i, m] of parsed.data.matches.entries()) {
      const compiled = compileRouteMatch(m);
      if (!compiled.ok) {
        refuse({ path: at, entry, reason: `matches.${i}.${compiled.problem}` });
        return;
      }
    }
    const rule: RouteRule = parsed.data;
    if (r.policies !== undefined) {
      if (!isRecord(r.policies)) {
        refuse({
          path: `${at}.policies`,
          entry: `policies of ${entry}`,
          reason: 'policies: must be an object',
        });
      } else {
        const policies: RoutePolicies = {};
        for (const kind of RULE_POLICY_KINDS) {
          const value = r.policies[kind];
          if (value === undefined) continue;
          const result = RULE_POLICY_PARSERS[kind].safeParse(value);
          if (result.success) {
            setRulePolicy(policies, kind, result.data);
            continue;
          }
          const source =
            isRecord(value) && typeof value.source === 'string' ? ` (${show(value.source)})` : '';
          const issue = result.error.issues[0];
          refuse({
            path: `${at}.policies.${kind}`,
            entry: `${kind}${source} of ${entry}`,
            reason: `${[kind, ...(issue?.path ?? []).map(String)].join('.')}: ${issue?.message ?? 'is not valid'}`,
          });
        }
        if (Object.keys(policies).length > 0) rule.policies = policies;
      }
    }
    rules.push(rule);
  });
  return rules;
}

function setRulePolicy<K extends RulePolicyKind>(p: RoutePolicies, kind: K, value: RoutePolicies[K]): void {
  p[kind] = value;
}

function setPolicy<K extends PolicyKind>(entry: ServicePolicy, kind: K, value: ServicePolicy[K]): void {
  entry[kind] = value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function field(name: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${name}: ${problem}`;
}

/** A value as it appears in a log line: strings as they are, anything else as JSON, both capped. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** An endpoint's zone and region, each kept only when it is a valid label value. */
function topologyOf(e: Record<string, unknown>): { zone?: string; region?: string } {
  const out: { zone?: string; region?: string } = {};
  if (topologyLabelSchema.safeParse(e.zone).success) out.zone = e.zone as string;
  if (topologyLabelSchema.safeParse(e.region).success) out.region = e.region as string;
  return out;
}
