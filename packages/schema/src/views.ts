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
  /** "namespace/service", or "unknown" for callers outside the mesh */
  id: string;
  service: string;
  namespace: string;
  kind: 'service' | 'unknown';
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
}

export interface TopologyGraph {
  schemaVersion: typeof GRAPH_SCHEMA_VERSION;
  window: TimeWindow;
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
}

export interface GoldenSignals {
  window: TimeWindow;
  stepMs: number;
  points: SignalPoint[];
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
