/**
 * Egress: the outbound listener as a forward proxy for hosts outside the mesh (an application with
 * `HTTP_PROXY`/`HTTPS_PROXY` pointed at its sidecar). A request whose authority is not a mesh service
 * (policies/egress/external-destination.ts) is sent to the host itself — absolute-form or by Host, over
 * keep-alive pools of its own — and measured like any edge, its destination the host in namespace
 * EXTERNAL_NAMESPACE; `CONNECT host:port` opens a TCP tunnel (upgrade/connect-tunnel.ts). Under the mesh's
 * REGISTRY_ONLY outbound traffic policy both are answered 502 `egress-blocked` instead, as Istio's
 * BlackHoleCluster does. Only the outbound stack has these layers: the inbound listener, which other hosts
 * reach, never forwards anywhere but to its application (no open proxy, no SSRF through it).
 */
import { Headers, type OutboundTrafficPolicyMode } from '@weft/schema';
import type { ProxyRequest, ProxyResponse } from '../http/exchange.ts';
import type { Handler, Layer } from '../http/layer.ts';
import { localReply } from '../http/local-reply.ts';
import type { EgressCounters, EgressKind } from '../policies/egress/egress-counters.ts';
import {
  classifyAuthority,
  type DestinationKind,
  type ExternalDestinations,
  type ExternalTarget,
} from '../policies/egress/external-destination.ts';
import type { RoutingTable } from '../routing/routing-table.ts';

export interface EgressOptions {
  routes: () => RoutingTable | undefined;
  ownNamespace: string;
  /** The mesh's outbound traffic policy in force (from the config; ALLOW_ANY when it says none). */
  mode: () => OutboundTrafficPolicyMode;
  destinations: ExternalDestinations;
  counters: EgressCounters;
}

/**
 * Plain HTTP: a request for a host outside the mesh goes to `forwardExternal` (a terminal over the egress
 * pools) and skips the mesh's routing layers below; any other continues down the stack.
 */
export function egress(
  o: EgressOptions & { forwardExternal: Handler; timeoutMs: number; proxyId: string },
): Layer {
  // RFC 9110 §7.6.3: a proxy adds itself to Via; seeing itself there, it knows the request went round in a
  // circle (an application asking for this proxy's own address, or two proxies pointing at each other).
  const self = `1.1 weft-${o.proxyId}`;
  return (next) => (req) => {
    const target = externalTargetOf(req, 80, o);
    if (target === undefined) return next(req);
    const via = req.headers.via;
    const vias = via === undefined ? '' : Array.isArray(via) ? via.join(', ') : via;
    if (vias.split(',').some((v) => v.trim() === self)) {
      return Promise.resolve(
        localReply(
          req,
          508,
          'egress-loop',
          `the request for ${target.service} came back to this proxy (its Via says it passed here): not forwarded again`,
        ),
      );
    }
    if (blocked('http', o)) return Promise.resolve(blockedReply(req, target));
    o.counters.count('http', 'forwarded');
    req.headers.via = vias === '' ? self : `${vias}, ${self}`;
    // The workload identity is for the next proxy only: no external host gets it.
    req.headers[Headers.source] = undefined;
    req.upstream = target.address;
    req.timeoutMs = o.timeoutMs;
    return o.forwardExternal(req);
  };
}

/**
 * CONNECT: the tunnel's destination must be a host outside the mesh (a mesh service is reached with plain
 * HTTP, through the routing, policies and telemetry of the mesh).
 */
export function egressTunnel(o: EgressOptions): Layer {
  return (next) => (req) => {
    const target = externalTargetOf(req, 443, o);
    if (target === undefined) {
      const meshService = kindOf(req, 443, o).kind === 'mesh' && /:\d+$/.test(req.authority ?? '');
      return Promise.resolve(
        localReply(
          req,
          400,
          'bad-request',
          meshService
            ? `CONNECT ${req.authority}: a mesh service; send plain HTTP requests for it through this proxy`
            : `CONNECT needs host:port as its target (e.g. CONNECT example.com:443), not "${(req.authority ?? '').slice(0, 200)}"`,
        ),
      );
    }
    if (blocked('connect', o)) return Promise.resolve(blockedReply(req, target));
    o.counters.count('connect', 'forwarded');
    req.upstream = target.address;
    return next(req);
  };
}

function externalTargetOf(
  req: ProxyRequest,
  defaultPort: number,
  o: EgressOptions,
): ExternalTarget | undefined {
  const kind = kindOf(req, defaultPort, o);
  if (kind.kind !== 'external') return undefined;
  req.destination = o.destinations.identity(kind.target);
  return kind.target;
}

function kindOf(req: ProxyRequest, defaultPort: number, o: EgressOptions): DestinationKind {
  const authority = req.authority;
  if (authority === undefined) return { kind: 'invalid' };
  return classifyAuthority(authority, defaultPort, o.ownNamespace, o.routes());
}

function blocked(kind: EgressKind, o: EgressOptions): boolean {
  if (o.mode() !== 'REGISTRY_ONLY') return false;
  o.counters.count(kind, 'blocked');
  return true;
}

function blockedReply(req: ProxyRequest, target: ExternalTarget): ProxyResponse {
  return localReply(
    req,
    502,
    'egress-blocked',
    `${target.service} is outside the mesh and the outbound traffic policy is REGISTRY_ONLY: only mesh services are reachable (WEFT_OUTBOUND_TRAFFIC_POLICY on the control plane)`,
  );
}
