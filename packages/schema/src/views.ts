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
  /**
   * `version`: one version of a service split by version (only in the version granularity); `external`: a
   * destination outside the mesh (egress), namespace `EXTERNAL_NAMESPACE`, `service` its host
   */
  kind: 'service' | 'unknown' | 'version' | 'external';
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
  /**
   * Where the newest data in the answer ends (epoch ms): the end of the newest rollup bucket read. The newest
   * step is still filling; the console divides its counts by the time up to here, not by the whole step.
   * Absent: the console assumes data up to `window.toMs`.
   */
  dataUntilMs?: number;
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
  /** As in GoldenSignals: where the newest data in the answer ends (epoch ms). */
  dataUntilMs?: number;
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
  /** W3C `tracestate` of the span's context, as received ('' when none). */
  traceState: string;
  /** W3C trace flags (Trace Context Level 2): sampled 0x01, random 0x02. */
  flags: number;
  /** Span events, in time order. */
  events: SpanEventView[];
  links: SpanLinkView[];
  /** Attributes of the resource that sent the span (the process: service, instance, host, SDK). */
  resource: Record<string, string>;
  /** The instrumentation scope that produced the span; null when the sender named none. */
  scope: InstrumentationScopeView | null;
  /**
   * How far the waterfall moves this span to correct clock skew between hosts (`adjustClockSkew` in
   * trace-skew.ts), in µs; 0 when not moved. `startMs` and `offsetUs` stay as recorded: draw at
   * `offsetUs + skewAdjustmentUs`.
   */
  skewAdjustmentUs: number;
  /**
   * Set when the span comes from another host than its parent and does not fit inside it, but could not be
   * adjusted: it is longer than its parent (not clock skew, the timing itself is off).
   */
  skewWarning?: 'longer-than-parent';
}

export interface SpanEventView {
  name: string;
  /** Time of the event relative to its span's start, µs (as recorded, before any skew adjustment). */
  offsetUs: number;
  attributes: Record<string, string>;
}

export interface SpanLinkView {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Record<string, string>;
  /** Whether any span of the linked trace is stored (the console links to it only then). */
  traceStored: boolean;
}

export interface InstrumentationScopeView {
  name: string;
  version: string;
  attributes: Record<string, string>;
}

/** What clock-skew adjustment did to a trace, for its header. */
export interface TraceClockSkew {
  /** Spans moved (each with their own subtree: descendants on the same host move along, not counted here). */
  adjustedSpans: number;
  /** The largest adjustment, in µs (absolute value), 0 when none. */
  maxAdjustmentUs: number;
  /** Spans from another host that do not fit in their parent and could not be adjusted. */
  unadjustedSpans: number;
}

export interface TraceDetail {
  traceId: string;
  startMs: number;
  durationUs: number;
  spans: SpanView[];
  clockSkew: TraceClockSkew;
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
