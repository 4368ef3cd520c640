/**
 * Names a destination the way Kubernetes DNS does: `catalog` (this proxy's namespace), `catalog.shop`,
 * `catalog.shop.svc`, `catalog.shop.svc.cluster.local`. A port in the authority is ignored.
 */
import { isDnsLabel } from '@weft/schema';

export interface ServiceName {
  service: string;
  namespace: string;
}

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** Null for anything that is not a service name (IP literals, other domains, malformed hosts). */
export function resolveServiceName(
  authority: string,
  ownNamespace: string,
  clusterDomain: string = DEFAULT_CLUSTER_DOMAIN,
): ServiceName | null {
  if (authority.startsWith('[')) return null;
  let host = authority;
  const colon = host.lastIndexOf(':');
  if (colon !== -1) {
    if (!/^\d*$/.test(host.slice(colon + 1))) return null;
    host = host.slice(0, colon);
  }
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  const labels = host.split('.');
  const [service, namespace] = labels as [string, string | undefined];
  if (!isDnsLabel(service)) return null;
  if (labels.length === 1) return { service, namespace: ownNamespace };
  if (namespace === undefined || !isDnsLabel(namespace)) return null;
  const suffix = labels.slice(2).join('.');
  if (suffix === '' || suffix === 'svc' || suffix === `svc.${clusterDomain}`) return { service, namespace };
  return null;
}
