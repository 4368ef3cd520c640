/**
 * Builds the service graph as a pipeline, in the manner of Kiali's appenders: traffic from rollups, then
 * the registry's services and versions, then health.
 */
import {
  EXTERNAL_NAMESPACE,
  GRAPH_SCHEMA_VERSION,
  UNKNOWN_SERVICE,
  healthFromTraffic,
  type GraphEdge,
  type GraphNode,
  type TimeWindow,
  type TopologyGraph,
} from '@weft/schema';
import type { Db } from '../db/client.ts';
import { allInstances, isLive, type LiveInstance } from './instances.ts';
import { readTotals } from './rollup-reader.ts';
import { TrafficAccumulator, rateSeconds, serviceId, type RollupRow } from './traffic.ts';

interface NodeDraft {
  id: string;
  service: string;
  namespace: string;
  kind: 'service' | 'unknown' | 'external';
  versions: Set<string>;
  instances: number;
  traffic: TrafficAccumulator;
}

interface EdgeDraft {
  source: string;
  target: string;
  traffic: TrafficAccumulator;
}

export interface GraphDraft {
  nodes: Map<string, NodeDraft>;
  edges: Map<string, EdgeDraft>;
  observed: TrafficAccumulator;
  /** The window the traffic covers (the asked window, its start on a bucket boundary of the resolution read). */
  window?: TimeWindow;
}

function nodeFor(draft: GraphDraft, namespace: string, service: string): NodeDraft {
  const unknown = service === UNKNOWN_SERVICE;
  const id = unknown ? UNKNOWN_SERVICE : serviceId(namespace, service);
  let node = draft.nodes.get(id);
  if (!node) {
    node = {
      id,
      service,
      namespace: unknown ? '' : namespace,
      // Egress: a host outside the mesh that a proxy forwarded to.
      kind: unknown ? 'unknown' : namespace === EXTERNAL_NAMESPACE ? 'external' : 'service',
      versions: new Set(),
      instances: 0,
      traffic: new TrafficAccumulator(),
    };
    draft.nodes.set(id, node);
  }
  return node;
}

function edgeFor(draft: GraphDraft, source: NodeDraft, target: NodeDraft): EdgeDraft {
  const id = `${source.id}->${target.id}`;
  let edge = draft.edges.get(id);
  if (!edge) {
    edge = { source: source.id, target: target.id, traffic: new TrafficAccumulator() };
    draft.edges.set(id, edge);
  }
  return edge;
}

/**
 * Traffic appender. Edges use the caller's view (outbound reporter), which also counts calls that never
 * reached the destination; calls from outside the mesh are only seen by the destination (inbound reporter,
 * unknown source). Nodes carry what they received (inbound reporter).
 */
export function appendTraffic(draft: GraphDraft, rows: RollupRow[]): void {
  appendTrafficRows(draft, rows);
  finishTraffic(draft);
}

/** The row-by-row half of the traffic appender; call finishTraffic once after the last rows. */
export function appendTrafficRows(draft: GraphDraft, rows: RollupRow[]): void {
  for (const row of rows) {
    draft.observed.add(row);
    const dest = nodeFor(draft, row.destNamespace, row.destService);
    // "unknown": the caller's proxy answered itself before choosing an endpoint (cache hit, injected fault).
    if (row.destVersion && row.destVersion !== UNKNOWN_SERVICE) dest.versions.add(row.destVersion);
    const sourceKnown = row.sourceService !== UNKNOWN_SERVICE;
    if (row.reporter === 'inbound') {
      dest.traffic.add(row);
      if (!sourceKnown) edgeFor(draft, nodeFor(draft, '', UNKNOWN_SERVICE), dest).traffic.add(row);
    } else {
      const source = nodeFor(draft, row.sourceNamespace, row.sourceService);
      if (row.sourceVersion) source.versions.add(row.sourceVersion);
      edgeFor(draft, source, dest).traffic.add(row);
    }
  }
}

/**
 * Nodes without a proxy of their own: the unknown node (callers from outside the mesh) carries the traffic of
 * all its edges, an external host (egress) the traffic of the calls into it.
 */
export function finishTraffic(draft: GraphDraft): void {
  const unknown = draft.nodes.get(UNKNOWN_SERVICE);
  for (const edge of draft.edges.values()) {
    if (unknown && edge.source === UNKNOWN_SERVICE) unknown.traffic.merge(edge.traffic);
    const target = draft.nodes.get(edge.target);
    if (target?.kind === 'external') target.traffic.merge(edge.traffic);
  }
}

/** Registry appender: every live service appears, even before it has traffic. */
export function appendInstances(draft: GraphDraft, instances: LiveInstance[], nowMs: number): void {
  for (const inst of instances) {
    const live = isLive(inst, nowMs);
    const known = draft.nodes.has(serviceId(inst.namespace, inst.service));
    if (!live && !known) continue;
    const node = nodeFor(draft, inst.namespace, inst.service);
    if (live) {
      node.instances++;
      node.versions.add(inst.version);
    }
  }
}

export function emptyDraft(): GraphDraft {
  return { nodes: new Map(), edges: new Map(), observed: new TrafficAccumulator() };
}

export async function graphDraft(db: Db, window: TimeWindow, nowMs: number): Promise<GraphDraft> {
  const draft = emptyDraft();
  const [totals, instances] = await Promise.all([readTotals(db, window, nowMs), allInstances(db)]);
  appendTrafficRows(draft, totals.rows);
  draft.window = totals.window;
  finishTraffic(draft);
  appendInstances(draft, instances, nowMs);
  return draft;
}

export function finishNode(node: NodeDraft, seconds: number): GraphNode {
  const traffic = node.traffic.stats(seconds);
  return {
    id: node.id,
    service: node.service,
    namespace: node.namespace,
    kind: node.kind,
    versions: [...node.versions].sort(),
    instances: node.instances,
    traffic,
    health: healthFromTraffic(traffic.requests, traffic.errors),
  };
}

export async function buildTopology(
  db: Db,
  window: TimeWindow,
  nowMs: number,
  namespaces?: string[],
): Promise<TopologyGraph> {
  const draft = await graphDraft(db, window, nowMs);
  const covered = draft.window ?? window;
  const seconds = rateSeconds(covered, draft.observed, nowMs);
  const inScope = (n: NodeDraft) =>
    !namespaces || namespaces.length === 0 || namespaces.includes(n.namespace);

  const edges: GraphEdge[] = [];
  const keep = new Set<string>();
  for (const [id, edge] of draft.edges) {
    const source = draft.nodes.get(edge.source) as NodeDraft;
    const target = draft.nodes.get(edge.target) as NodeDraft;
    if (!inScope(source) && !inScope(target)) continue;
    keep.add(source.id).add(target.id);
    const traffic = edge.traffic.stats(seconds);
    edges.push({
      id,
      source: edge.source,
      target: edge.target,
      traffic,
      health: healthFromTraffic(traffic.requests, traffic.errors),
    });
  }
  const nodes = [...draft.nodes.values()]
    .filter((n) => inScope(n) || keep.has(n.id))
    .map((n) => finishNode(n, seconds))
    .sort((a, b) => a.id.localeCompare(b.id));
  edges.sort((a, b) => a.id.localeCompare(b.id));
  return { schemaVersion: GRAPH_SCHEMA_VERSION, window: covered, nodes, edges };
}
