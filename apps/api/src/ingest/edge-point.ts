/**
 * The one shape every source of request telemetry is turned into before it is stored: a latency histogram of
 * one edge and status over one window, as one side (reporter) saw it. Weft proxies' histograms, standard
 * `http.server.request.duration` histograms and the span-metrics derived from SERVER/CONSUMER spans all become
 * EdgePoints, and `storeEdgePoints` (rollup-store.ts) adds them to the rollups of every resolution.
 */
export interface EdgePoint {
  /**
   * What makes this data point unique among everything ever sent: e.g. proxy id + window + edge + status codes
   * for a proxy's histogram, `span:<traceId>:<spanId>` for span-metrics. A point whose identity was already
   * counted (within the receipts retention) is skipped: retried exports count once.
   */
  identity: string;
  windowStartMs: number;
  windowEndMs: number;
  reporter: 'inbound' | 'outbound';
  sourceNamespace: string;
  sourceService: string;
  sourceVersion: string;
  destNamespace: string;
  destService: string;
  destVersion: string;
  /** HTTP status (0 when no response). */
  statusCode: number;
  /** gRPC status, or NO_GRPC_STATUS. */
  grpcStatus: number;
  count: number;
  sumMs: number;
  /** Largest latency in the point, when the sender knows it (OTLP HistogramDataPoint.max). */
  maxMs: number | null;
  /** Counts over LATENCY_BOUNDS_MS (LATENCY_BUCKET_COUNT entries, the last one +Inf). */
  buckets: number[];
}
