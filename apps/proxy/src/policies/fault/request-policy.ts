/**
 * Which policy of a kind applies to one outbound request: the matched HTTPRoute rule's, when it has one of
 * that kind, else that of the service the request goes to (`req.route`, the backend a rule chose). Shared by
 * the fault-injection and mirror layers; the service entries are indexed once per config (the array of
 * policies is replaced as a whole with each config, so it keys the index).
 */
import type { RoutePolicies, ServicePolicy } from '@weft/schema';
import type { ProxyRequest } from '../../http/exchange.ts';

/** Kinds that a route rule and a service can both carry. */
export type SharedPolicyKind = keyof RoutePolicies & keyof ServicePolicy;

const indexes = new WeakMap<readonly ServicePolicy[], Map<string, ServicePolicy>>();

export function servicePolicyOf(
  policies: readonly ServicePolicy[] | undefined,
  service: string,
  namespace: string,
): ServicePolicy | undefined {
  if (policies === undefined || policies.length === 0) return undefined;
  let index = indexes.get(policies);
  if (index === undefined) {
    index = new Map();
    // The config check leaves one entry per service; should two arrive anyway, the first counts.
    for (const p of policies) {
      const key = `${p.service}.${p.namespace}`;
      if (!index.has(key)) index.set(key, p);
    }
    indexes.set(policies, index);
  }
  return index.get(`${service}.${namespace}`);
}

const kindsInUse = new WeakMap<readonly ServicePolicy[], Set<SharedPolicyKind>>();

/**
 * Whether any service or route rule of the config carries a policy of `kind`; computed once per config, so
 * a layer whose kind is not in use costs a lookup per request and nothing more.
 */
export function kindInUse(policies: readonly ServicePolicy[] | undefined, kind: SharedPolicyKind): boolean {
  if (policies === undefined || policies.length === 0) return false;
  let kinds = kindsInUse.get(policies);
  if (kinds === undefined) {
    kinds = new Set();
    const note = (p: Partial<Record<SharedPolicyKind, unknown>>) => {
      for (const k of Object.keys(p))
        if (p[k as SharedPolicyKind] !== undefined) kinds?.add(k as SharedPolicyKind);
    };
    for (const p of policies) {
      note(p);
      for (const r of p.routes ?? []) if (r.policies !== undefined) note(r.policies);
    }
    kindsInUse.set(policies, kinds);
  }
  return kinds.has(kind);
}

export function policyForRequest<K extends SharedPolicyKind>(
  req: ProxyRequest,
  policies: readonly ServicePolicy[] | undefined,
  kind: K,
): RoutePolicies[K] | ServicePolicy[K] {
  if (!kindInUse(policies, kind)) return undefined;
  const own = req.routeRule?.spec.policies?.[kind];
  if (own !== undefined) return own;
  const route = req.route;
  if (route === undefined) return undefined;
  return servicePolicyOf(policies, route.service, route.namespace)?.[kind];
}
