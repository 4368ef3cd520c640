/**
 * Shapes the API returns to the console. The graph payload is one versioned type shared by the
 * server that builds it and every page that draws it.
 */
import type { Health } from './health.ts';

export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

/** Golden signals over a window. Latencies in milliseconds; null when no request was seen. */
export interface TrafficStats {
  requests: number;
  errors: number;
  rps: number;
  /** 0..1, null when idle */
  successRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export const GRAPH_SCHEMA_VERSION = 1 as const;

export interface GraphNode {
  /**
   * "namespace/service", or "unknown" for callers outside the mesh; "namespace/service@version" for a
   * version node (version granularity)
   */
  id: string;
  service: string;
  namespace: string;
  /** `version`: one version of a service split by version (only in the version granularity) */
  kind: 'service' | 'unknown' | 'version';
  /** Version nodes: the version they stand for. */
  version?: string;
  /** Version nodes: the id of their service's node, drawn as the box around the versions. */
  parent?: string;
  versions: string[];
  /** Registered proxies currently heartbeating */
  instances: number;
  /** Traffic the service received (server side) */
  traffic: TrafficStats;
  health: Health;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  traffic: TrafficStats;
  health: Health;
  /**
   * Version granularity, edges into a service split by version: the part (0..1) of the requests from this
   * source to that service that went to this target (a version, or the service itself for calls that never
   * reached a version). A 90/10 canary split shows as 0.9 and 0.1.
   */
  share?: number;
}

export interface TopologyGraph {
  schemaVersion: typeof GRAPH_SCHEMA_VERSION;
  window: TimeWindow;
  /** Absent means "service" (answers built before the version granularity existed). */
  granularity?: 'service' | 'version';
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface ServiceSummary {
  id: string;
  service: string;
  namespace: string;
  versions: string[];
  instances: number;
  traffic: TrafficStats;
  health: Health;
}

export interface ServiceInstanceView {
  proxyId: string;
  version: string;
  inboundAddress: string;
  adminAddress: string;
  lastSeenMs: number;
  healthy: boolean;
}

export interface ServiceDetail extends ServiceSummary {
  instancesList: ServiceInstanceView[];
  inbound: { from: string; traffic: TrafficStats }[];
  outbound: { to: string; traffic: TrafficStats }[];
}

export interface SignalPoint extends TrafficStats {
  /** Start of the step, epoch ms */
  t: number;
  /** Of `requests`: answered 429 (rate limited) and 503 (shed, overloaded or unavailable). */
  rateLimited: number;
  unavailable: number;
  /**
   * What callers' outbound proxies did for this service in the step: tries beyond the first (`retries`),
   * endpoints their outlier detection ejected (`ejections`, events), and the most endpoints any one caller
   * held ejected at a flush (`ejectedEndpoints`, 0 when none reported). Per destination service: with a
   * version asked for, still the whole service's (callers count per service, not per version).
   */
  retries: number;
  ejections: number;
  ejectedEndpoints: number;
}

export interface GoldenSignals {
  window: TimeWindow;
  stepMs: number;
  points: SignalPoint[];
}

/** One step of an edge's signals: what the caller's proxies saw of its calls to the destination. */
export interface EdgeSignalPoint extends TrafficStats {
  /** Start of the step, epoch ms */
  t: number;
  /** Of `requests`: answered 429 (rate limited) and 503 (shed, overloaded or unavailable). */
  rateLimited: number;
  unavailable: number;
}

/** `signals.edge`: one edge's golden signals over the window, in total and per step. */
export interface EdgeSignals {
  window: TimeWindow;
  stepMs: number;
  /**
   * Whose view: the caller's outbound proxies, or the destination's inbound proxies for callers outside the
   * mesh (they have no proxy of their own).
   */
  reporter: 'outbound' | 'inbound';
  total: TrafficStats;
  points: EdgeSignalPoint[];
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  startMs: number;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
}

export interface SpanView {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: 'server' | 'client' | 'internal' | 'producer' | 'consumer' | 'unspecified';
  service: string;
  namespace: string;
  startMs: number;
  /** Start with microsecond precision relative to the trace start */
  offsetUs: number;
  durationUs: number;
  status: 'unset' | 'ok' | 'error';
  statusMessage: string | null;
  attributes: Record<string, string>;
}

export interface TraceDetail {
  traceId: string;
  startMs: number;
  durationUs: number;
  spans: SpanView[];
}

/** One row of `services.versions`: a service's version and its inbound traffic in the window. */
export interface ServiceVersionStats {
  namespace: string;
  service: string;
  version: string;
  /** Live instances of this version now. */
  instances: number;
  traffic: TrafficStats;
}
