/**
 * Outbound filter chain: the application's calls to other services (HTTP_PROXY style or by Host).
 * Layers run top to bottom on the request and bottom to top on the response. Connection-scoped fields
 * are already gone when the first layer runs (the listener strips them, both ways).
 */
import {
  DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE,
  EgressLimits,
  type OutboundTrafficPolicyMode,
  type ServicePolicy,
} from '@weft/schema';
import type { Handler } from '../http/layer.ts';
import { stack } from '../http/layer.ts';
import type { WorkloadIdentity } from '../identity.ts';
import { egress, egressTunnel } from '../layers/egress.ts';
import { faultInjection } from '../layers/fault-injection.ts';
import { cache } from '../layers/cache.ts';
import { circuitBreaker } from '../layers/circuit-breaker.ts';
import { forwardedFor } from '../layers/forwarded.ts';
import { stampSourceIdentity } from '../layers/identity.ts';
import { localReplies } from '../layers/local-replies.ts';
import { mirror } from '../layers/mirror.ts';
import { requestTarget } from '../layers/request-target.ts';
import { matchRoute, pickEndpoint, pickVersion, resolveDestination } from '../layers/routing.ts';
import { telemetry, type SpanSink } from '../layers/telemetry.ts';
import { OUTBOUND_DEADLINE_MARGIN_MS, perTryTimeout, requestDeadline } from '../layers/deadline.ts';
import { retry } from '../layers/retry.ts';
import type { Logger } from '../log.ts';
import { Breakers } from '../policies/breaker/breakers.ts';
import type { CacheRegistry } from '../policies/cache/cache-registry.ts';
import { RetryMetrics } from '../policies/retry/retry-metrics.ts';
import { EgressCounters } from '../policies/egress/egress-counters.ts';
import { ExternalDestinations } from '../policies/egress/external-destination.ts';
import { FaultCounters } from '../policies/fault/fault-counters.ts';
import { MirrorSender, poolTransport } from '../policies/mirror/mirror-sender.ts';
import type { RoutingTable } from '../routing/routing-table.ts';
import type { RandomSource } from '../routing/split.ts';
import type { RequestMetrics } from '../telemetry/request-metrics.ts';
import type { TraceSampler } from '../telemetry/trace-sampler.ts';
import { forward } from '../upstream/forward.ts';
import { UpstreamPools } from '../upstream/upstream-pools.ts';
import { connectTunnel } from '../upgrade/connect-tunnel.ts';

export interface OutboundStackOptions {
  self: WorkloadIdentity;
  /** The routing table of the config in force at the time of each request. */
  routes: () => RoutingTable | undefined;
  metrics: RequestMetrics;
  spans: SpanSink | undefined;
  /** Head sampling and what is kept regardless; absent: the defaults. */
  sampler?: TraceSampler;
  pools: UpstreamPools;
  /** The app timeout of the inbound side; the default request deadline is this + OUTBOUND_DEADLINE_MARGIN_MS. */
  timeoutMs: number;
  log: Logger;
  /** Draws route backends and split versions by weight; Math.random unless a test fixes the sequence. */
  random?: RandomSource;
  /** Outlier detection and limits per destination service; absent: defaults nobody reports (tests). */
  breakers?: Breakers;
  /** Fault injection and mirroring; absent: no policies, counts nobody reads (tests of other layers). */
  faultsAndMirrors?: FaultsAndMirrors;
  /** The response caches (CachePolicy) per destination service; absent: nothing is cached. */
  caches?: CacheRegistry;
  /** Where the retry layer counts; absent: counts nobody reads (tests of other layers). */
  retryMetrics?: RetryMetrics;
  /** This proxy's id, the name it adds to `Via` on egress (loop detection); absent: the service name. */
  proxyId?: string;
  /** Hosts outside the mesh: policy, names, counts and pools; absent: allowed, over pools of its own. */
  egress?: EgressWiring;
}

/** What egress (layers/egress.ts) reads and where it counts. */
export interface EgressWiring {
  /** The mesh's outbound traffic policy in force. */
  mode: () => OutboundTrafficPolicyMode;
  destinations: ExternalDestinations;
  counters: EgressCounters;
  /** Keep-alive pools to external hosts, bounded (EgressLimits.maxConnectionPools). */
  pools: UpstreamPools;
}

function egressWiring(o: OutboundStackOptions): EgressWiring {
  return (
    o.egress ?? {
      mode: () => DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE,
      destinations: new ExternalDestinations(),
      counters: new EgressCounters(),
      pools: new UpstreamPools(undefined, EgressLimits.maxConnectionPools),
    }
  );
}

/** What the fault-injection and mirror layers read and where they count. */
export interface FaultsAndMirrors {
  /** The service policies of the config in force. */
  policies: () => readonly ServicePolicy[] | undefined;
  faults: FaultCounters;
  mirrors: MirrorSender;
}

export function outboundStack(o: OutboundStackOptions): Handler {
  const eg = egressWiring(o);
  const fm = o.faultsAndMirrors ?? {
    policies: () => undefined,
    faults: new FaultCounters(),
    mirrors: new MirrorSender({ transport: poolTransport(o.pools), log: o.log }),
  };
  return stack(
    [
      telemetry({ reporter: 'outbound', metrics: o.metrics, spans: o.spans, sampler: o.sampler }), // CLIENT span + metrics, sees every reply
      localReplies(o.log), // upstream failures → 502 / 504
      stampSourceIdentity(o.self), // source = this workload; x-weft-source for the next proxy
      requestTarget(), // http://catalog.shop/items → /items, Host: catalog.shop
      forwardedFor(), // x-forwarded-for, forwarded
      egress({
        ...egressOptions(o, eg),
        forwardExternal: forward(eg.pools),
        timeoutMs: o.timeoutMs,
        proxyId: o.proxyId ?? o.self.service,
      }), // host outside the mesh: to the host itself (ALLOW_ANY) or 502 egress-blocked (REGISTRY_ONLY); skips the layers below
      resolveDestination(o.routes, o.self.namespace), // Host → service; 503 no-endpoints when unknown
      matchRoute(o.routes, o.random), // service with HTTPRoute rules: most specific rule, backend by weight; 404 no-route, 500 invalid-backend
      pickVersion(o.random), // which version serves it: rule's split, else the service's: pin, else by weight; every endpoint without one
      faultInjection({ policies: fm.policies, counters: fm.faults, random: o.random }), // FaultInjectionPolicy: delay and/or abort a share of matching requests
      cache(o.caches), // CachePolicy: RFC 9111 shared cache; HIT answers here, stale entries revalidate, unsafe methods invalidate
      mirror({ policies: fm.policies, routes: o.routes, sender: fm.mirrors, random: o.random }), // MirrorPolicy: fire-and-forget copy of a share to another service/version
      requestDeadline({ policies: fm.policies, defaultMs: o.timeoutMs + OUTBOUND_DEADLINE_MARGIN_MS }), // request timeout over every try and the body: 504 upstream-timeout, body cut
      retry({ policies: fm.policies, metrics: o.retryMetrics ?? new RetryMetrics() }), // RetryPolicy: backoff + jitter, another endpoint, idempotent only, budget per service
      // per try, below: endpoint, breaker limits, per-try timeout, forward
      pickEndpoint(), // the service's balancer (LoadBalancingPolicy: algorithm, locality levels, failover service); usable endpoints first
      circuitBreaker(o.breakers ?? new Breakers(o.log)), // CircuitBreakerPolicy limits: 503 overflow; each attempt's outcome feeds outlier detection
      perTryTimeout(fm.policies), // per-try timeout until response headers (rule's, else the service's), within the deadline
    ],
    forward(o.pools),
  );
}

/**
 * CONNECT (egress tunnels, HTTPS through HTTP_PROXY): the target must be a host outside the mesh; one
 * exchange, measured like any edge, lasting as long as the tunnel.
 */
export function outboundConnectStack(o: OutboundStackOptions): Handler {
  const eg = egressWiring(o);
  return stack(
    [
      telemetry({ reporter: 'outbound', metrics: o.metrics, spans: o.spans, sampler: o.sampler }), // CLIENT span + metrics
      localReplies(o.log), // connect failures → 502 / 504
      stampSourceIdentity(o.self), // source = this workload (no header leaves: a tunnel carries bytes)
      egressTunnel(egressOptions(o, eg)), // a mesh service or no host:port: 400; REGISTRY_ONLY: 502 egress-blocked
    ],
    connectTunnel(),
  );
}

function egressOptions(o: OutboundStackOptions, eg: EgressWiring) {
  return {
    routes: o.routes,
    ownNamespace: o.self.namespace,
    mode: eg.mode,
    destinations: eg.destinations,
    counters: eg.counters,
  };
}
