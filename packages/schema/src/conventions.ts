/**
 * Names that cross process boundaries: attribute keys, metric names and headers.
 * Attribute keys follow OpenTelemetry semantic conventions where one exists.
 */
export const Attr = {
  serviceName: 'service.name',
  serviceNamespace: 'service.namespace',
  serviceVersion: 'service.version',
  serviceInstanceId: 'service.instance.id',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  serverAddress: 'server.address',
  peerService: 'weft.peer.service',
  peerNamespace: 'weft.peer.namespace',
  peerVersion: 'weft.peer.version',
  errorType: 'error.type',
  /** The HTTPRoute rule an outbound request matched ("HTTPRoute shop/pricing rule quote"). */
  route: 'weft.route',
  /** On each CLIENT span of a retried request: which try it was (1 for the first). */
  retryAttempt: 'weft.retry.attempt',
  /** Which proxy listener saw the request: "inbound" (server side) or "outbound" (client side). */
  reporter: 'weft.reporter',
  sourceService: 'weft.source.service',
  sourceNamespace: 'weft.source.namespace',
  sourceVersion: 'weft.source.version',
  destinationService: 'weft.destination.service',
  destinationNamespace: 'weft.destination.namespace',
  destinationVersion: 'weft.destination.version',
  /**
   * The gRPC status of a gRPC exchange (the `grpc-status` the client got), on request histogram points and
   * spans; absent for other exchanges. OpenTelemetry's RPC semantic convention.
   */
  grpcStatus: 'rpc.grpc.status_code',
  /** Why a retry was made or an endpoint ejected (on the resilience counters below). */
  reason: 'weft.reason',
} as const;

/** Histogram of request latency per edge and status code, delta temporality, milliseconds. */
export const REQUEST_DURATION_METRIC = 'weft.request.duration';

/**
 * What outbound proxies push beside the request histogram (OTLP, per destination service, attributes
 * `weft.source.*`, `weft.destination.service`/`namespace` and `weft.reason`):
 * - `retries`: Sum, delta, monotonic: tries beyond the first, by reason (the failure that caused the retry);
 * - `outlierEjections`: Sum, delta, monotonic: endpoints ejected by outlier detection, by reason;
 * - `ejectedEndpoints`: Gauge: endpoints ejected at flush time (sent only while non-zero).
 */
export const ResilienceMetric = {
  retries: 'weft.proxy.retries',
  outlierEjections: 'weft.proxy.outlier_ejections',
  ejectedEndpoints: 'weft.proxy.ejected_endpoints',
} as const;
export type ResilienceMetricName = (typeof ResilienceMetric)[keyof typeof ResilienceMetric];

export const Headers = {
  /** Identity of the calling workload, set by the outbound proxy ("name.namespace@version"). */
  source: 'x-weft-source',
  /** Set on responses the proxy generated itself (no upstream answer), e.g. "no-endpoints". */
  proxyError: 'x-weft-proxy-error',
  /**
   * On a copy a MirrorPolicy sent ("1"): the mirror's app can tell copies apart, and an outbound proxy never
   * mirrors a request that carries it again.
   */
  mirrored: 'x-weft-mirrored',
  /** On a 429 or 503 the proxy wrote for a RateLimitPolicy: which policy and rule refused the request. */
  rateLimitedBy: 'x-weft-rate-limited-by',
  /**
   * On a 503 `overflow` the outbound proxy wrote for a CircuitBreakerPolicy: the limit that was reached
   * ("max-connections", "max-pending-requests", "max-requests"), like Envoy's x-envoy-overloaded.
   */
  overflow: 'x-weft-overflow',
  /**
   * On every response a CachePolicy covered (outbound): HIT, MISS, STALE, REVALIDATED or BYPASS, like the
   * x-cache of CDNs and nginx's $upstream_cache_status.
   */
  cache: 'x-weft-cache',
} as const;

/**
 * The outbound proxy's retry counters on its /metrics page, labelled `destination_service`,
 * `destination_namespace` (and `outcome`: "success" or "failure" for retries).
 */
export const RetryMetricNames = {
  retries: 'weft_proxy_retries_total',
  retryBudgetExhausted: 'weft_proxy_retry_budget_exhausted_total',
} as const;

/**
 * The outbound proxy's response-cache series on its /metrics page (CachePolicy): requests by `result` (HIT,
 * MISS, STALE, REVALIDATED, BYPASS, as `x-weft-cache` says) and the store's size, labelled
 * `destination_service`, `destination_namespace` (and `source`, the policy, for the size gauges).
 */
export const CacheMetricNames = {
  requests: 'weft_proxy_cache_total',
  bytes: 'weft_proxy_cache_bytes',
  entries: 'weft_proxy_cache_entries',
} as const;

/** Label used for callers outside the mesh (no source identity), as Kiali's "unknown" node. */
export const UNKNOWN_SERVICE = 'unknown';

/**
 * The destination service, in namespace EXTERNAL_NAMESPACE (telemetry-store.ts), of egress to hosts beyond the
 * `EgressLimits.maxDestinations` a proxy reports by name. Not a host name, so no real host is taken for it.
 */
export const EXTERNAL_OTHER_HOSTS = '(other hosts)';

export type Reporter = 'inbound' | 'outbound';
