/**
 * What a schema can't say about a policy: checks against the cluster (services, versions, routes, the other
 * policies). One function for the API (before a write and for the Config page), the console (as you type) and
 * the proxy. Each finding has a stable code (listed in docs/validation-codes.md, like Kiali's KIA codes) and a
 * message that says what to change.
 */
import { durationMs, GATEWAY_GROUP, type TargetRef } from './meta.ts';
import type { PolicyResource } from './resource.ts';

export interface ClusterService {
  namespace: string;
  name: string;
  versions: { version: string; instances: number }[];
}

/** An HTTPRoute whose parentRefs include a Service (GAMMA), reduced to what validation needs. */
export interface ClusterRoute {
  namespace: string;
  name: string;
  /**
   * Services the route attaches to: its parentRefs of kind Service in its own namespace that exist. Empty
   * when none does (the route is then no target: WEFT1002).
   */
  services: string[];
  ruleNames: string[];
  /** Some rule sends to more than one backend with weights. */
  hasWeights: boolean;
}

export interface ClusterView {
  services: ClusterService[];
  routes: ClusterRoute[];
  /** Policies in force; the one being validated is matched by kind/namespace/name and ignored here. */
  policies: PolicyResource[];
}

export type Severity = 'error' | 'warning';

export interface Finding {
  code: ValidationCode;
  severity: Severity;
  /** Field path in the resource: "spec.backends.1.version". */
  path: string;
  message: string;
}

export const VALIDATION_CODES = {
  WEFT1001: { severity: 'error', title: 'The target Service does not exist' },
  WEFT1002: { severity: 'error', title: 'The target HTTPRoute does not exist or has no Service parent' },
  WEFT1003: { severity: 'error', title: 'The target names a route rule the Service does not have' },
  WEFT1004: {
    severity: 'warning',
    title: 'Another policy of the same kind targets the same Service or route',
  },
  WEFT1005: {
    severity: 'error',
    title: 'CircuitBreakerPolicy and LoadBalancingPolicy attach to a Service, not a route',
  },
  WEFT2001: { severity: 'error', title: 'TrafficSplit weights sum to 0' },
  WEFT2002: { severity: 'error', title: 'A TrafficSplit sends traffic to a version with no instances' },
  WEFT2003: { severity: 'error', title: 'Two TrafficSplits target one Service' },
  WEFT2004: { severity: 'error', title: 'A version is listed twice in a TrafficSplit' },
  WEFT2005: { severity: 'error', title: 'A pin sends to a version the Service does not have' },
  WEFT2006: { severity: 'error', title: 'A pin needs exactly one of header or cookie' },
  WEFT2007: { severity: 'warning', title: 'An HTTPRoute also sets backend weights for this Service' },
  WEFT3001: { severity: 'error', title: 'Retry per-try timeout is longer than the request timeout' },
  WEFT3002: { severity: 'error', title: 'Retry backoff base is longer than its max' },
  WEFT4001: { severity: 'error', title: 'Per-try timeout is longer than the request timeout' },
  WEFT5001: { severity: 'error', title: 'Two rate-limit rules have the same name' },
  WEFT5002: { severity: 'error', title: 'A rate-limit override names the same client twice' },
  WEFT6001: {
    severity: 'warning',
    title: 'A CircuitBreakerPolicy with neither outlier detection nor limits does nothing',
  },
  WEFT7001: { severity: 'warning', title: 'RingHash has both header and cookie; the header is used' },
  WEFT7002: { severity: 'error', title: 'A health check timeout is longer than its interval' },
  WEFT7003: { severity: 'error', title: 'A failover service does not exist' },
  WEFT7004: { severity: 'error', title: 'A service fails over to itself' },
  WEFT8001: { severity: 'error', title: 'A MirrorPolicy copies requests to the service they already go to' },
  WEFT8002: { severity: 'error', title: 'The mirror backend Service does not exist' },
  WEFT8003: { severity: 'warning', title: 'The mirror backend version has no instances' },
  WEFT8101: { severity: 'warning', title: 'A fault aborts every matching request' },
  WEFT8201: { severity: 'error', title: 'A cache entry may not be larger than the whole cache' },
} as const satisfies Record<string, { severity: Severity; title: string }>;
export type ValidationCode = keyof typeof VALIDATION_CODES;

function finding(code: ValidationCode, path: string, message: string): Finding {
  return { code, severity: VALIDATION_CODES[code].severity, path, message };
}

/** The Service a target reference ends at, if any. */
export function targetService(
  namespace: string,
  ref: TargetRef,
  view: Pick<ClusterView, 'routes'>,
): string | undefined {
  if (ref.kind === 'Service') return ref.name;
  return view.routes.find((r) => r.namespace === namespace && r.name === ref.name)?.services[0];
}

function sameTarget(a: PolicyResource, b: PolicyResource): boolean {
  const ra = a.spec.targetRef;
  const rb = b.spec.targetRef;
  return (
    a.metadata.namespace === b.metadata.namespace &&
    ra.kind === rb.kind &&
    ra.name === rb.name &&
    (ra.sectionName ?? '') === (rb.sectionName ?? '')
  );
}

function isSelf(a: PolicyResource, b: PolicyResource): boolean {
  return (
    a.kind === b.kind && a.metadata.namespace === b.metadata.namespace && a.metadata.name === b.metadata.name
  );
}

export function validate(resource: PolicyResource, view: ClusterView): Finding[] {
  const out: Finding[] = [];
  const ns = resource.metadata.namespace;
  const ref = resource.spec.targetRef;
  const others = view.policies.filter((p) => !isSelf(p, resource));

  // Target.
  let service: ClusterService | undefined;
  if (ref.kind === 'Service') {
    if (ref.group !== '')
      out.push(finding('WEFT1001', 'spec.targetRef.group', 'a Service target has group "" (the core group)'));
    service = view.services.find((s) => s.namespace === ns && s.name === ref.name);
    if (!service) {
      out.push(
        finding(
          'WEFT1001',
          'spec.targetRef.name',
          `there is no Service "${ref.name}" in namespace "${ns}": point targetRef at an existing Service`,
        ),
      );
    }
    if (ref.sectionName !== undefined) {
      const rules = view.routes
        .filter((r) => r.namespace === ns && r.services.includes(ref.name))
        .flatMap((r) => r.ruleNames);
      if (!rules.includes(ref.sectionName)) {
        out.push(
          finding(
            'WEFT1003',
            'spec.targetRef.sectionName',
            rules.length === 0
              ? `Service "${ref.name}" has no named routes (no HTTPRoute with named rules attaches to it): drop sectionName`
              : `Service "${ref.name}" has no route named "${ref.sectionName}"; its routes are ${rules.map((r) => `"${r}"`).join(', ')}`,
          ),
        );
      }
    }
  } else {
    const route = view.routes.find((r) => r.namespace === ns && r.name === ref.name);
    if (ref.group !== GATEWAY_GROUP) {
      out.push(
        finding('WEFT1002', 'spec.targetRef.group', `an HTTPRoute target has group "${GATEWAY_GROUP}"`),
      );
    }
    if (!route) {
      out.push(
        finding(
          'WEFT1002',
          'spec.targetRef.name',
          `there is no HTTPRoute "${ref.name}" with a Service parent in namespace "${ns}"`,
        ),
      );
    } else if (route.services.length === 0) {
      out.push(
        finding(
          'WEFT1002',
          'spec.targetRef.name',
          `HTTPRoute "${ref.name}" attaches to no existing Service in namespace "${ns}": give it a parentRef of kind Service (group "") that exists`,
        ),
      );
    } else {
      service = view.services.find((s) => s.namespace === ns && s.name === route.services[0]);
      if (ref.sectionName !== undefined && !route.ruleNames.includes(ref.sectionName)) {
        out.push(
          finding(
            'WEFT1003',
            'spec.targetRef.sectionName',
            `HTTPRoute "${ref.name}" has no rule named "${ref.sectionName}"`,
          ),
        );
      }
    }
  }

  // Circuit breaking and balancing act on a Service's endpoints, which no route rule has its own of.
  if (
    (resource.kind === 'CircuitBreakerPolicy' || resource.kind === 'LoadBalancingPolicy') &&
    (ref.kind === 'HTTPRoute' || ref.sectionName !== undefined)
  ) {
    out.push(
      ref.kind === 'HTTPRoute'
        ? finding(
            'WEFT1005',
            'spec.targetRef.kind',
            `a ${resource.kind} attaches to a Service, not a route: target the Service the route sends to (kind Service, group "")`,
          )
        : finding(
            'WEFT1005',
            'spec.targetRef.sectionName',
            `a ${resource.kind} attaches to a whole Service, not one of its routes: drop sectionName`,
          ),
    );
  }

  // Conflicts with other policies of the same kind on the same target.
  const rivals = others.filter((p) => p.kind === resource.kind && sameTarget(p, resource));
  for (const rival of rivals) {
    if (resource.kind === 'TrafficSplit') {
      out.push(
        finding(
          'WEFT2003',
          'spec.targetRef',
          `TrafficSplit "${rival.metadata.name}" already splits "${ref.name}": edit that one or delete it first`,
        ),
      );
    } else {
      out.push(
        finding(
          'WEFT1004',
          'spec.targetRef',
          `${rival.kind} "${rival.metadata.name}" also targets "${ref.name}"; the older one is in force`,
        ),
      );
    }
  }

  switch (resource.kind) {
    case 'TrafficSplit': {
      const spec = resource.spec;
      const total = spec.backends.reduce((sum, b) => sum + b.weight, 0);
      if (total === 0)
        out.push(
          finding(
            'WEFT2001',
            'spec.backends',
            'the weights sum to 0: give at least one version a weight above 0',
          ),
        );
      const seen = new Set<string>();
      spec.backends.forEach((b, i) => {
        if (seen.has(b.version))
          out.push(
            finding(
              'WEFT2004',
              `spec.backends.${i}.version`,
              `version "${b.version}" is listed twice: merge the two entries`,
            ),
          );
        seen.add(b.version);
        if (service && b.weight > 0) {
          const instances = service.versions.find((v) => v.version === b.version)?.instances ?? 0;
          if (instances === 0) {
            const known = service.versions.filter((v) => v.instances > 0).map((v) => v.version);
            out.push(
              finding(
                'WEFT2002',
                `spec.backends.${i}.version`,
                `"${service.name}" has no instances of version "${b.version}"${known.length ? ` (running: ${known.join(', ')})` : ''}: set its weight to 0 or deploy it first`,
              ),
            );
          }
        }
      });
      spec.pins?.forEach((pin, i) => {
        if ((pin.header === undefined) === (pin.cookie === undefined)) {
          out.push(
            finding(
              'WEFT2006',
              `spec.pins.${i}`,
              'a pin matches on a header or a cookie: set exactly one of them',
            ),
          );
        }
        if (service && !service.versions.some((v) => v.version === pin.version)) {
          out.push(
            finding(
              'WEFT2005',
              `spec.pins.${i}.version`,
              `"${service.name}" has no version "${pin.version}"`,
            ),
          );
        }
      });
      if (
        service &&
        view.routes.some((r) => r.namespace === ns && r.services.includes(service.name) && r.hasWeights)
      ) {
        out.push(
          finding(
            'WEFT2007',
            'spec.backends',
            `an HTTPRoute attached to "${service.name}" weights backend Services: the route picks the Service first, and this TrafficSplit picks the version only for the requests the route sends to "${service.name}" itself`,
          ),
        );
      }
      break;
    }
    case 'RetryPolicy': {
      const spec = resource.spec;
      if (durationMs(spec.backoff.base) > durationMs(spec.backoff.max)) {
        out.push(
          finding(
            'WEFT3002',
            'spec.backoff.base',
            `backoff base ${spec.backoff.base} is longer than max ${spec.backoff.max}`,
          ),
        );
      }
      const timeout = others.find((p) => p.kind === 'TimeoutPolicy' && sameTarget(p, resource));
      if (spec.perTryTimeout && timeout?.kind === 'TimeoutPolicy' && timeout.spec.request) {
        if (durationMs(spec.perTryTimeout) > durationMs(timeout.spec.request)) {
          out.push(
            finding(
              'WEFT3001',
              'spec.perTryTimeout',
              `per-try timeout ${spec.perTryTimeout} is longer than the request timeout ${timeout.spec.request} of TimeoutPolicy "${timeout.metadata.name}": no retry could ever start`,
            ),
          );
        }
      }
      break;
    }
    case 'TimeoutPolicy': {
      const spec = resource.spec;
      if (spec.perTry && spec.request && durationMs(spec.perTry) > durationMs(spec.request)) {
        out.push(
          finding(
            'WEFT4001',
            'spec.perTry',
            `per-try timeout ${spec.perTry} is longer than the request timeout ${spec.request}`,
          ),
        );
      }
      const retry = others.find((p) => p.kind === 'RetryPolicy' && sameTarget(p, resource));
      if (
        spec.request &&
        retry?.kind === 'RetryPolicy' &&
        retry.spec.perTryTimeout &&
        durationMs(retry.spec.perTryTimeout) > durationMs(spec.request)
      ) {
        out.push(
          finding(
            'WEFT3001',
            'spec.request',
            `request timeout ${spec.request} is shorter than the per-try timeout ${retry.spec.perTryTimeout} of RetryPolicy "${retry.metadata.name}"`,
          ),
        );
      }
      break;
    }
    case 'RateLimitPolicy': {
      const names = new Set<string>();
      resource.spec.rules?.forEach((rule, i) => {
        if (rule.name !== undefined) {
          if (names.has(rule.name))
            out.push(
              finding('WEFT5001', `spec.rules.${i}.name`, `another rule is already named "${rule.name}"`),
            );
          names.add(rule.name);
        }
        const clients = new Set<string>();
        rule.overrides?.forEach((o, j) => {
          const key = `${o.client.service}.${o.client.namespace}`;
          if (clients.has(key))
            out.push(
              finding(
                'WEFT5002',
                `spec.rules.${i}.overrides.${j}.client`,
                `${key} already has an override in this rule`,
              ),
            );
          clients.add(key);
        });
      });
      break;
    }
    case 'CircuitBreakerPolicy':
      if (!resource.spec.outlierDetection && !resource.spec.limits) {
        out.push(finding('WEFT6001', 'spec', 'set outlierDetection or limits (or delete this policy)'));
      }
      break;
    case 'LoadBalancingPolicy': {
      const spec = resource.spec;
      if (spec.ringHash?.header !== undefined && spec.ringHash.cookie !== undefined) {
        out.push(
          finding('WEFT7001', 'spec.ringHash', 'hash on a header or a cookie, not both: the header is used'),
        );
      }
      const check = spec.healthCheck;
      if (check && durationMs(check.timeout) > durationMs(check.interval)) {
        out.push(
          finding(
            'WEFT7002',
            'spec.healthCheck.timeout',
            `timeout ${check.timeout} is longer than the interval ${check.interval}: make it at most the interval`,
          ),
        );
      }
      const namespace = resource.metadata.namespace;
      const self = targetService(namespace, spec.targetRef, view);
      (spec.locality?.failover ?? []).forEach((f, i) => {
        const ns = f.namespace ?? namespace;
        const path = `spec.locality.failover.${i}.service`;
        if (ns === namespace && f.service === self) {
          out.push(finding('WEFT7004', path, `"${f.service}" is the service itself: name another service`));
        } else if (!view.services.some((s) => s.namespace === ns && s.name === f.service)) {
          out.push(finding('WEFT7003', path, `no Service "${f.service}" in namespace "${ns}"`));
        }
      });
      break;
    }
    case 'MirrorPolicy': {
      const spec = resource.spec;
      const namespace = resource.metadata.namespace;
      const self = targetService(namespace, spec.targetRef, view);
      const service = spec.backend.service ?? self;
      const ns = spec.backend.namespace ?? namespace;
      if (service === undefined) break; // the target is missing: reported above
      if (service === self && ns === namespace && spec.backend.version === undefined) {
        out.push(
          finding(
            'WEFT8001',
            'spec.backend',
            'the copies would go to the same service as the originals: set backend.version or backend.service',
          ),
        );
        break;
      }
      const target = view.services.find((s) => s.namespace === ns && s.name === service);
      if (target === undefined) {
        out.push(finding('WEFT8002', 'spec.backend.service', `no Service "${service}" in namespace "${ns}"`));
      } else if (
        spec.backend.version !== undefined &&
        !target.versions.some((v) => v.version === spec.backend.version && v.instances > 0)
      ) {
        out.push(
          finding(
            'WEFT8003',
            'spec.backend.version',
            `"${service}" has no instances of version "${spec.backend.version}": copies are dropped until it has some`,
          ),
        );
      }
      break;
    }
    case 'FaultInjectionPolicy':
      if ((resource.spec.abort?.percentage ?? 0) >= 100) {
        out.push(
          finding(
            'WEFT8101',
            'spec.abort.percentage',
            `every matching request is answered ${resource.spec.abort?.status}: lower the percentage unless that is the point`,
          ),
        );
      }
      break;
    case 'CachePolicy':
      if (resource.spec.maxEntryBytes > resource.spec.maxBytes) {
        out.push(
          finding(
            'WEFT8201',
            'spec.maxEntryBytes',
            `maxEntryBytes ${resource.spec.maxEntryBytes} is more than maxBytes ${resource.spec.maxBytes}: lower it or raise maxBytes`,
          ),
        );
      }
      break;
  }
  return out;
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
