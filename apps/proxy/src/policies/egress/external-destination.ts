/**
 * Which requests leave the mesh. A host is a mesh service when it is named the way Kubernetes DNS names one
 * (`catalog`, `catalog.shop`, `catalog.shop.svc[.cluster.local]`) and the name could be in the registry: a
 * single label always is (this proxy's namespace), `name.namespace` when the config lists a service in that
 * namespace (so `example.test:8080` is a host, not service "example" of namespace "test"). Every other
 * host (IP literals, other domains) is outside the mesh: egress, forwarded to the host itself unless the
 * mesh's outbound traffic policy is REGISTRY_ONLY.
 */
import {
  EgressLimits,
  EXTERNAL_NAMESPACE,
  EXTERNAL_OTHER_HOSTS,
  formatHostPort,
  HostPortError,
  parseHostPort,
  UNKNOWN_SERVICE,
} from '@weft/schema';
import type { WorkloadIdentity } from '../../identity.ts';
import type { RoutingTable } from '../../routing/routing-table.ts';
import { resolveServiceName } from '../../routing/service-name.ts';

export interface ExternalTarget {
  /** host:port to connect to ([v6]:port for IPv6). */
  address: string;
  host: string;
  port: number;
  /** How telemetry names it: the host, with `:port` unless the port is 80 or 443. */
  service: string;
}

export type DestinationKind =
  | { kind: 'mesh' }
  | { kind: 'external'; target: ExternalTarget }
  /** Neither a service name nor a host:port (e.g. a bad port): the routing layers answer as before. */
  | { kind: 'invalid' };

export function classifyAuthority(
  authority: string,
  defaultPort: number,
  ownNamespace: string,
  table: RoutingTable | undefined,
): DestinationKind {
  const name = resolveServiceName(authority, ownNamespace);
  if (name !== null) {
    const labels = hostOf(authority).split('.').length;
    const namespaceKnown = name.namespace === ownNamespace || table?.hasNamespace(name.namespace) === true;
    if (labels !== 2 || namespaceKnown || table?.lookup(name) !== undefined) return { kind: 'mesh' };
  }
  const target = externalTarget(authority, defaultPort);
  return target === undefined ? { kind: 'invalid' } : { kind: 'external', target };
}

/** `host[:port]` → where to connect; undefined when it is not a host (name, IPv4, [IPv6]) and port. */
export function externalTarget(authority: string, defaultPort: number): ExternalTarget | undefined {
  // Host names are case-insensitive, and a fully qualified one may end in a dot.
  const value = authority.toLowerCase().replace(/\.(?=:\d+$|$)/, '');
  const hasPort = value.startsWith('[') ? /\]:\d+$/.test(value) : value.includes(':');
  let parsed;
  try {
    parsed = parseHostPort(hasPort ? value : `${value}:${defaultPort}`);
  } catch (err) {
    if (err instanceof HostPortError) return undefined;
    throw err;
  }
  const host = parsed.host;
  const address = formatHostPort({ host, port: parsed.port });
  const service = parsed.port === 80 || parsed.port === 443 ? formatHost(host) : address;
  return { address, host, port: parsed.port, service };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function hostOf(authority: string): string {
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}

/**
 * The identities external destinations are reported under, at most `EgressLimits.maxDestinations` distinct
 * hosts per proxy: the hosts an application calls are its business, and each one is a series in the request
 * metrics of this proxy and of the control plane. Beyond the limit they share one name.
 */
export class ExternalDestinations {
  readonly #known = new Set<string>();
  readonly #max: number;

  constructor(max: number = EgressLimits.maxDestinations) {
    this.#max = max;
  }

  identity(target: ExternalTarget): WorkloadIdentity {
    let service = target.service;
    if (!this.#known.has(service)) {
      if (this.#known.size < this.#max && service.length <= EgressLimits.maxNameLength)
        this.#known.add(service);
      else service = EXTERNAL_OTHER_HOSTS;
    }
    return { service, namespace: EXTERNAL_NAMESPACE, version: UNKNOWN_SERVICE };
  }
}
