/**
 * Bounds on the work one request can ask of the API. Each is enforced where the input is parsed and
 * named in the 400 that refuses it.
 */
export const QueryLimits = {
  /** Longest time window any query may cover. */
  maxWindowMs: 90 * 24 * 3600 * 1000,
  /** Most points in one time series; longer windows get a coarser step instead. */
  maxPointsPerSeries: 720,
  minStepMs: 1000,
  /** Most calls in one batched tRPC request. */
  maxBatchSize: 16,
  /** Largest tRPC request body (mutations). */
  maxTrpcBodyBytes: 256 * 1024,
  maxTraceResults: 500,
  maxNamespacesFilter: 100,
  /** Name filters in queries (service, namespace). */
  maxNameLength: 253,
} as const;

/** Bounds on what ingest stores. */
export const IngestLimits = {
  maxAttributeKeyLength: 256,
  maxAttributeValueLength: 4096,
  maxAttributesPerItem: 128,
  maxStatusMessageLength: 1024,
  maxSpanNameLength: 512,
  /** Service, namespace and version names taken from OTLP attributes (the query filters' limit too). */
  maxNameLength: 253,
  /** The proxy id of a rollup (service.instance.id), as in registration. */
  maxProxyIdLength: 128,
  /** Largest nanosecond timestamp: the int64 range that OTLP and the database share. */
  maxUnixNano: 9_223_372_036_854_775_807n,
  /** Largest count in one histogram data point (stored as a 32-bit integer). */
  maxCount: 2_147_483_647,
} as const;

/** The step a series over `windowMs` uses: the requested one, made coarse enough to stay within the point limit. */
export function stepForWindow(windowMs: number, requestedStepMs?: number): number {
  const minimum = Math.max(QueryLimits.minStepMs, Math.ceil(windowMs / QueryLimits.maxPointsPerSeries));
  const step = Math.max(requestedStepMs ?? 0, minimum);
  // Round up to a whole second so buckets line up across series.
  return Math.ceil(step / 1000) * 1000;
}

/** Bounds on what one outbound proxy keeps for egress (destinations outside the mesh). */
export const EgressLimits = {
  /**
   * Distinct external hosts one proxy reports by name (destination service in namespace EXTERNAL_NAMESPACE);
   * beyond, they are reported together as EXTERNAL_OTHER_HOSTS, so an application that calls many hosts cannot
   * grow the proxy's and the control plane's series without bound.
   */
  maxDestinations: 1000,
  /** Longest external destination name reported (the ingest limit on names); longer: EXTERNAL_OTHER_HOSTS. */
  maxNameLength: IngestLimits.maxNameLength,
  /** Keep-alive connection pools to external hosts per proxy; the least recently used is closed beyond. */
  maxConnectionPools: 256,
} as const;
