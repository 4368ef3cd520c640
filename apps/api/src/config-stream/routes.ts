/**
 * HTTPRoutes (GAMMA) as routing in the proxy config: which Services each route attaches to, the rules every
 * parent Service gets (RouteRule, without policies: compile.ts adds those), and a report per route for its
 * status and the log. A pure function of the parsed routes and the Services that exist, shared by the
 * config compiler and the Kubernetes HTTPRoute status writer so the status says what the proxies were sent.
 *
 * - A parentRef attaches when its kind is Service, its group "" (or absent) and it names an existing Service
 *   in the route's namespace. A parent Service in another namespace (a GAMMA consumer route) is not
 *   supported: it is reported and ignored. Other parent kinds (Gateways) are not ours and are skipped.
 * - Every parent Service gets the rules of all its routes in Gateway API tie-break order: the oldest route
 *   (creationTimestamp) first, then namespace/name, then the rules in the order the route lists them.
 * - A rule's backendRefs of kind Service (core group) become `{ service, namespace, weight }` (the ref's
 *   namespace or the route's; weight 1 when unset); a Service that does not exist is kept by name and
 *   reported (BackendNotFound), any other kind becomes INVALID_BACKEND_SERVICE with its weight (InvalidKind):
 *   either way the proxy answers 500 for that share, as Gateway API asks. No backendRefs: to the parent.
 * - Timeouts are copied; filters are not applied and are reported.
 */
import {
  httpRouteKey,
  HttpRouteLimits,
  INVALID_BACKEND_SERVICE,
  type HttpRoute,
  type HttpRouteParentRef,
  type RouteBackend,
  type RouteRule,
} from '@weft/schema';

export interface RoutingInput {
  routes: readonly HttpRoute[];
  /**
   * Every Service in the cluster as "namespace/name": a parentRef or backendRef to another one is not found.
   * Absent: every Service named counts as existing.
   */
  services?: ReadonlySet<string>;
}

/** What became of one Service parentRef of a route. */
export interface RouteParentReport {
  /** The parentRef as the route has it (index into spec.parentRefs). */
  index: number;
  parentRef: HttpRouteParentRef;
  attached: boolean;
  /** Gateway API reason for the Accepted condition of this parent. */
  reason: 'Accepted' | 'NoMatchingParent' | 'UnsupportedValue';
  message: string;
}

/** A backendRef that does not resolve to a Service. */
export interface RouteBackendProblem {
  rule: number;
  backend: number;
  reason: 'BackendNotFound' | 'InvalidKind';
  message: string;
}

export interface RouteReport {
  /** "HTTPRoute shop/reviews" */
  route: string;
  namespace: string;
  name: string;
  generation: number;
  /** One entry per parentRef of kind Service, in spec order; Gateways and other kinds are not listed. */
  parents: RouteParentReport[];
  backendProblems: RouteBackendProblem[];
  /** What the route asks for that the proxy does not do (filters, parent ports), one sentence each. */
  notApplied: string[];
}

/** One rule of one route as a parent Service gets it, with where it came from (for policy attachment). */
export interface AttachedRule {
  namespace: string;
  /** The HTTPRoute's name. */
  routeName: string;
  rule: RouteRule;
}

export interface AttachedRoutes {
  /** "namespace/service" → the rules of every route attached to it, in tie-break order. */
  byService: Map<string, AttachedRule[]>;
  reports: RouteReport[];
}

/** Rules a parent Service may get from all its routes together (the bound of ServicePolicy.routes). */
export const MAX_RULES_PER_SERVICE = HttpRouteLimits.maxRules * 64;

export function isServiceRef(ref: { group?: string; kind?: string }, defaultKind: string): boolean {
  return (ref.group ?? '') === '' && (ref.kind ?? defaultKind) === 'Service';
}

export function attachRoutes(input: RoutingInput): AttachedRoutes {
  const exists = (namespace: string, name: string) =>
    input.services === undefined || input.services.has(`${namespace}/${name}`);
  const byService = new Map<string, AttachedRule[]>();
  const reports: RouteReport[] = [];
  for (const route of [...input.routes].sort(compareRoutes)) {
    const namespace = route.metadata.namespace;
    const key = httpRouteKey(route);
    const report: RouteReport = {
      route: key,
      namespace,
      name: route.metadata.name,
      generation: route.metadata.generation ?? 0,
      parents: [],
      backendProblems: [],
      notApplied: [],
    };
    reports.push(report);
    // Gateway API's default when a route has no rules: one rule that matches everything.
    const specRules = route.spec.rules ?? [{}];
    const rules: RouteRule[] = specRules.map((r, index) => {
      const rule: RouteRule = { route: key, index, matches: r.matches ?? [] };
      if (r.name !== undefined) rule.name = r.name;
      const where = r.name !== undefined ? `rule "${r.name}"` : `rule ${index}`;
      if (r.backendRefs && r.backendRefs.length > 0) {
        rule.backends = r.backendRefs.map((b, j): RouteBackend => {
          const weight = b.weight ?? 1;
          if (!isServiceRef(b, 'Service')) {
            report.backendProblems.push({
              rule: index,
              backend: j,
              reason: 'InvalidKind',
              message: `${where}: backendRef ${j} is ${b.group ? `${b.group}/` : ''}${b.kind ?? 'Service'} "${b.name}"; only Services (group "") are supported, its share of requests is answered 500`,
            });
            return { service: INVALID_BACKEND_SERVICE, namespace, weight };
          }
          const ns = b.namespace ?? namespace;
          if (!exists(ns, b.name)) {
            report.backendProblems.push({
              rule: index,
              backend: j,
              reason: 'BackendNotFound',
              message: `${where}: backendRef ${j} names Service "${b.name}" in namespace "${ns}", which does not exist; its share of requests is answered 500`,
            });
          }
          if (b.filters && b.filters.length > 0) {
            report.notApplied.push(
              `${where}: the filters of backendRef ${j} (${b.filters.map((f) => f.type).join(', ')}) are not applied`,
            );
          }
          return { service: b.name, namespace: ns, weight };
        });
      }
      if (r.timeouts && (r.timeouts.request !== undefined || r.timeouts.backendRequest !== undefined)) {
        rule.timeouts = {};
        if (r.timeouts.request !== undefined) rule.timeouts.request = r.timeouts.request;
        if (r.timeouts.backendRequest !== undefined) rule.timeouts.backendRequest = r.timeouts.backendRequest;
      }
      if (r.filters && r.filters.length > 0) {
        report.notApplied.push(
          `${where}: filters (${r.filters.map((f) => f.type).join(', ')}) are not applied`,
        );
      }
      return rule;
    });

    const attachedTo = new Set<string>();
    (route.spec.parentRefs ?? []).forEach((parentRef, index) => {
      if (!isServiceRef(parentRef, 'Gateway')) return;
      const parentNamespace = parentRef.namespace ?? namespace;
      const parent = (
        attached: boolean,
        reason: RouteParentReport['reason'],
        message: string,
      ): RouteParentReport => ({ index, parentRef, attached, reason, message });
      if (parentNamespace !== namespace) {
        report.parents.push(
          parent(
            false,
            'UnsupportedValue',
            `Service "${parentRef.name}" is in namespace "${parentNamespace}": a route for a Service in another namespace (a consumer route) is not supported; create the route in "${parentNamespace}"`,
          ),
        );
        return;
      }
      if (!exists(namespace, parentRef.name)) {
        report.parents.push(
          parent(
            false,
            'NoMatchingParent',
            `there is no Service "${parentRef.name}" in namespace "${namespace}"`,
          ),
        );
        return;
      }
      const serviceKey = `${namespace}/${parentRef.name}`;
      if (parentRef.port !== undefined || parentRef.sectionName !== undefined) {
        report.notApplied.push(
          `parentRef ${index}: the route applies to every port of Service "${parentRef.name}" (port and sectionName of a Service parent are not used)`,
        );
      }
      if (!attachedTo.has(serviceKey)) {
        const list = byService.get(serviceKey) ?? [];
        if (list.length + rules.length > MAX_RULES_PER_SERVICE) {
          report.parents.push(
            parent(
              false,
              'UnsupportedValue',
              `Service "${parentRef.name}" already has ${list.length} rules from older routes; at most ${MAX_RULES_PER_SERVICE} fit: merge routes`,
            ),
          );
          return;
        }
        attachedTo.add(serviceKey);
        for (const rule of rules) list.push({ namespace, routeName: route.metadata.name, rule: { ...rule } });
        byService.set(serviceKey, list);
      }
      report.parents.push(parent(true, 'Accepted', `attached to Service "${parentRef.name}"`));
    });
  }
  return { byService, reports };
}

/** Gateway API tie-break: the oldest route first, then namespace/name. */
function compareRoutes(a: HttpRoute, b: HttpRoute): number {
  return (
    createdAtMs(a) - createdAtMs(b) ||
    compareText(a.metadata.namespace, b.metadata.namespace) ||
    compareText(a.metadata.name, b.metadata.name)
  );
}

function createdAtMs(route: HttpRoute): number {
  const created = route.metadata.creationTimestamp;
  const at = created instanceof Date ? created.getTime() : Date.parse(created ?? '');
  return Number.isNaN(at) ? Number.MAX_SAFE_INTEGER : at;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
