/**
 * What flows through a layer stack: a ProxyRequest in, a ProxyResponse out. The request also carries
 * what the layers learn about it on the way (source, destination, chosen upstream, the proxy's own
 * error), as Envoy's StreamInfo does, so that telemetry can report it when the exchange completes.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { ClientSignal } from './client-signal.ts';
import { UNKNOWN_IDENTITY, type WorkloadIdentity } from '../identity.ts';
import type { EnforcedRateLimit } from '../policies/rate-limit/rate-limit-policy.ts';
import type { CompiledRouteRule, RuleBackend } from '../routing/route-rules.ts';
import type { EndpointSubset, RouteEndpoint, ServiceRoute } from '../routing/routing-table.ts';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** Why the proxy answered by itself instead of relaying an upstream response (`x-weft-proxy-error`). */
export type ProxyErrorKind =
  | 'bad-request'
  | 'no-endpoints'
  /** The destination service has HTTPRoute rules and none matches the request (404). */
  | 'no-route'
  /** The matched rule's backend has no endpoints, or its backends all have weight 0 (500). */
  | 'invalid-backend'
  | 'upstream-connect-failure'
  | 'upstream-timeout'
  | 'upstream-reset'
  | 'client-aborted'
  /** A RateLimitPolicy rule had no token for the request (inbound, 429). */
  | 'rate-limited'
  /** The RateLimitPolicy's concurrency limit was reached: shed without queueing (inbound, 503). */
  | 'overloaded'
  /** A FaultInjectionPolicy aborted the request with its configured status (outbound). */
  | 'fault-injected'
  /** The listener holds its maximum of client connections: answered 503 and closed (before any layer). */
  | 'connection-limit'
  /**
   * A CircuitBreakerPolicy limit of the destination service (connections, pending or in-flight requests)
   * was reached (outbound, 503; `x-weft-overflow` names the limit).
   */
  | 'overflow'
  /** `Cache-Control: only-if-cached` and no stored response may answer (outbound, 504; RFC 9111 §5.2.1.7). */
  | 'not-cached'
  /**
   * The destination is outside the mesh and the outbound traffic policy is REGISTRY_ONLY (outbound, 502; Istio's
   * BlackHoleCluster).
   */
  | 'egress-blocked'
  /** An egress request came back to the proxy that sent it (its own `Via`): 508, never forwarded again. */
  | 'egress-loop'
  | 'internal-error';

export interface ProxyResponse {
  status: number;
  headers: HeaderMap;
  /** Streamed to the client as it arrives; strings are the proxy's own short replies. */
  body: Readable | string | null;
  /**
   * The upstream's trailers (gRPC's `grpc-status` travels there), known once `body` has ended; absent or
   * returning undefined when there are none. The listener writes them to an HTTP/2 client, and to an
   * HTTP/1.1 one that sent `TE: trailers`.
   */
  trailers?: (() => HeaderMap | undefined) | undefined;
}

/** How the exchange ended, from what was actually written to the client. */
export interface Completion {
  /** Status sent to the client; 0 when the client got no response at all. */
  status: number;
  /** `performance.now()` at the end of the response (or when the client went away). */
  endedAt: number;
  /** True when the response was cut short (client gone, upstream body failed). */
  aborted: boolean;
  /**
   * For a gRPC exchange (`content-type: application/grpc…`): the `grpc-status` the client got, from the
   * trailers or a trailers-only response; undefined for other exchanges or when none arrived.
   */
  grpcStatus?: number | undefined;
}

/** One finished try of a retried request (the last try is the exchange itself). */
export interface AttemptRecord {
  /** Its span id; undefined for the first try, whose span is the request's own. */
  spanId: string | undefined;
  startedAt: number;
  endedAt: number;
  /** The upstream's status, or the one its failure would have been answered with. */
  status: number;
  error: ProxyErrorKind | undefined;
  destination: WorkloadIdentity;
}

/** A protocol switch in progress (upgrade/upgrade-tunnel.ts). */
export interface UpgradeRequest {
  /** The Upgrade field the client sent ("websocket"). */
  protocol: string;
  /** The upstream connection once it answered 101, with any bytes it sent after its 101 head. */
  upstream?: { socket: Socket; head: Buffer };
}

export type CompletionListener = (req: ProxyRequest, completion: Completion) => void;

export interface ProxyRequestInit {
  method: string;
  path: string;
  authority: string | undefined;
  headers: HeaderMap;
  body: Readable | null;
  remoteAddress: string;
  receivedAt: number;
  signal: ClientSignal;
}

export class ProxyRequest {
  readonly method: string;
  /** origin-form request target sent upstream: path and query. */
  path: string;
  /** host[:port] the client addressed (absolute-form target, else the Host header). */
  authority: string | undefined;
  headers: HeaderMap;
  body: Readable | null;
  readonly remoteAddress: string;
  /** `performance.now()` when the request arrived. */
  readonly receivedAt: number;
  /** Aborted when the client goes away; every layer that waits passes it on. */
  readonly signal: ClientSignal;
  /**
   * The protocol the client spoke: an HTTP/2 (h2c) request, or a gRPC one, goes upstream over HTTP/2 too
   * (upstream/h2-forward.ts), as Linkerd assumes the server speaks what its client spoke.
   */
  protocol: 'http/1.1' | 'h2' = 'http/1.1';

  /** Time allowed until the upstream's response headers, in ms (set by the timeout layer). */
  timeoutMs = 0;
  /** `performance.now()` by which the whole exchange must end (outbound; set by requestDeadline). */
  deadline: number | undefined = undefined;
  /** Silence allowed on the upstream response body, in ms; 0: the pool's default (set by requestDeadline). */
  idleTimeoutMs = 0;
  /**
   * Cancels upstream work: fires when the client goes away or the request deadline passes (outbound; set by
   * requestDeadline, a child of `signal`). The terminal listens to it, else to `signal`.
   */
  attemptSignal: ClientSignal | undefined = undefined;
  /** Endpoint addresses this request already tried (set by retry): pickEndpoint avoids them when it can. */
  triedEndpoints: ReadonlySet<string> | undefined = undefined;
  /** The tries of a retried request but the last, for one CLIENT span each (set by retry). */
  attempts: AttemptRecord[] | undefined = undefined;
  /**
   * Starts the span of another try: a new span id, propagated to the next hop in the trace headers, and
   * returned (set by telemetry when it records spans).
   */
  newAttemptSpan: (() => string) | undefined = undefined;
  /**
   * The destination service and its endpoints (outbound; set by destination resolution, and switched to
   * the chosen backend's by matchRoute when an HTTPRoute rule sends the request to another service).
   */
  route: ServiceRoute | undefined = undefined;
  /** The HTTPRoute rule the request matched (outbound; set by matchRoute for a service with rules). */
  routeRule: CompiledRouteRule | undefined = undefined;
  /** Where `routeRule` sends it: a backend service, or the parent (outbound; set by matchRoute). */
  routeBackend: RuleBackend | undefined = undefined;
  /** The endpoints of `route` this request may go to: one version, or all (outbound; set by pickVersion). */
  subset: EndpointSubset | undefined = undefined;
  /** The endpoint chosen in `subset` (outbound; set by pickEndpoint, with `destination.version`). */
  endpoint: RouteEndpoint | undefined = undefined;
  /** host:port the terminal forwards to (chosen by routing layers). */
  upstream: string | undefined = undefined;
  source: WorkloadIdentity = UNKNOWN_IDENTITY;
  destination: WorkloadIdentity = UNKNOWN_IDENTITY;
  /** The RateLimitPolicy in force for the request (inbound; set by rateLimit, read by concurrencyLimit). */
  rateLimit: EnforcedRateLimit | undefined = undefined;
  /** Set when the proxy itself produced the response. */
  error: ProxyErrorKind | undefined = undefined;
  /**
   * Relays an upstream's interim (1xx) response to the client (set by the listener; absent when the client
   * must not get one, e.g. HTTP/1.0). Shaped as undici's `onInfo` so the terminal can hand it over as is.
   */
  onInterim: ((info: { statusCode: number; headers: HeaderMap }) => void) | undefined = undefined;
  /**
   * Set by the listener when the client asked to switch protocols (WebSocket): the terminal then asks the
   * upstream to switch too, and on its 101 leaves the upstream connection here for the listener to join.
   */
  upgrade: UpgradeRequest | undefined = undefined;

  #listeners: CompletionListener[] | undefined;
  #completed = false;

  constructor(init: ProxyRequestInit) {
    this.method = init.method;
    this.path = init.path;
    this.authority = init.authority;
    this.headers = init.headers;
    this.body = init.body;
    this.remoteAddress = init.remoteAddress;
    this.receivedAt = init.receivedAt;
    this.signal = init.signal;
  }

  /** Runs `listener` once the response has been fully written or the exchange was cut short. */
  onComplete(listener: CompletionListener): void {
    (this.#listeners ??= []).push(listener);
  }

  /** Called once by the listener that owns the client connection. */
  complete(completion: Completion): void {
    if (this.#completed) return;
    this.#completed = true;
    const listeners = this.#listeners;
    if (!listeners) return;
    for (const listener of listeners) listener(this, completion);
  }
}
