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
  /** Which proxy listener saw the request: "inbound" (server side) or "outbound" (client side). */
  reporter: 'weft.reporter',
  sourceService: 'weft.source.service',
  sourceNamespace: 'weft.source.namespace',
  sourceVersion: 'weft.source.version',
  destinationService: 'weft.destination.service',
  destinationNamespace: 'weft.destination.namespace',
  destinationVersion: 'weft.destination.version',
} as const;

/** Histogram of request latency per edge and status code, delta temporality, milliseconds. */
export const REQUEST_DURATION_METRIC = 'weft.request.duration';

export const Headers = {
  /** Identity of the calling workload, set by the outbound proxy ("name.namespace@version"). */
  source: 'x-weft-source',
  /** Set on responses the proxy generated itself (no upstream answer), e.g. "no-endpoints". */
  proxyError: 'x-weft-proxy-error',
} as const;

/** Label used for callers outside the mesh (no source identity), as Kiali's "unknown" node. */
export const UNKNOWN_SERVICE = 'unknown';

export type Reporter = 'inbound' | 'outbound';
