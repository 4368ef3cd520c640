/**
 * Turns each poll's TopologyGraph into React Flow nodes/edges while keeping every object that did not change.
 * TanStack Query's structural sharing already hands back the same GraphNode/GraphEdge objects for unchanged
 * entries, so "unchanged" is a reference check — React Flow then skips those nodes entirely, which is what
 * keeps a 1,000-node graph cheap to refresh every few seconds. Positions survive polls; the layout only runs
 * again when the set of nodes or edges changes, and never moves a node the user has dragged.
 */
import { MarkerType, Position, type NodeHandle } from '@xyflow/react';
import type { GraphEdge, GraphNode, TopologyGraph } from '@weft/schema';
import { HEALTH_COLOR } from '@/lib/health.ts';
import { errorRatio, formatMs, formatPercent, formatRps } from '@/lib/format.ts';
import { groupBoxes, layeredLayout, NODE_HEIGHT, NODE_WIDTH, type LayoutResult } from './layout.ts';
import { edgeWidth } from './edgeStyle.ts';
import {
  groupOf,
  OUTSIDE_MESH,
  type FlowNode,
  type NamespaceFlowNode,
  type ServiceFlowNode,
  type TrafficFlowEdge,
} from './flowTypes.ts';

export function structureKey(graph: TopologyGraph): string {
  const nodes = graph.nodes.map((n) => n.id).sort();
  const edges = graph.edges.map((e) => `${e.source}>${e.target}`).sort();
  return `${nodes.join(',')}|${edges.join(',')}`;
}

export function layoutGraph(graph: TopologyGraph): LayoutResult {
  return layeredLayout(
    graph.nodes.map((n) => ({ id: n.id, group: groupOf(n) })),
    graph.edges,
    (a, b) => (a === OUTSIDE_MESH ? -1 : b === OUTSIDE_MESH ? 1 : a.localeCompare(b)),
  );
}

/**
 * What a node shows, as text. When a poll changes a number below display precision, the old node object is
 * kept: nothing on screen would change, so React Flow has nothing to redo.
 */
function nodeLook(n: GraphNode): string {
  const t = n.traffic;
  return `${n.health}|${formatRps(t.rps)}|${formatPercent(t.successRate)}|${formatMs(t.p95)}|${n.versions.join(',')}|${n.instances}`;
}

function edgeLook(e: GraphEdge): string {
  const t = e.traffic;
  return `${e.health}|${formatRps(t.rps)}|${formatPercent(errorRatio(t.requests, t.errors) ?? 0)}|${edgeWidth(t.rps).toFixed(1)}`;
}

/**
 * Size and handle positions are fixed (ServiceNode draws exactly NODE_WIDTH × NODE_HEIGHT), so React Flow can
 * draw nodes and edges in the first pass instead of measuring every node first.
 */
const HANDLE = 6;
const SERVICE_HANDLES: NodeHandle[] = [
  {
    type: 'target',
    position: Position.Left,
    x: -HANDLE / 2,
    y: NODE_HEIGHT / 2 - HANDLE / 2,
    width: HANDLE,
    height: HANDLE,
  },
  {
    type: 'source',
    position: Position.Right,
    x: NODE_WIDTH - HANDLE / 2,
    y: NODE_HEIGHT / 2 - HANDLE / 2,
    width: HANDLE,
    height: HANDLE,
  },
];

const isService = (n: FlowNode): n is ServiceFlowNode => n.type === 'service';
const isNamespace = (n: FlowNode): n is NamespaceFlowNode => n.type === 'namespace';

export function reconcileNodes(
  prev: readonly FlowNode[],
  graph: TopologyGraph,
  layout: LayoutResult | null,
  dragged: ReadonlySet<string>,
): FlowNode[] {
  const prevById = new Map<string, ServiceFlowNode>();
  for (const n of prev) if (isService(n)) prevById.set(n.id, n);

  const services = graph.nodes.map((gn): ServiceFlowNode => {
    const old = prevById.get(gn.id);
    const laidOut = layout?.positions.get(gn.id);
    const position = old && (!laidOut || dragged.has(gn.id)) ? old.position : (laidOut ?? { x: 0, y: 0 });
    if (
      old &&
      old.position === position &&
      (old.data.node === gn || nodeLook(old.data.node) === nodeLook(gn))
    ) {
      return old;
    }
    if (old) return { ...old, position, data: { node: gn, group: groupOf(gn) } };
    return {
      id: gn.id,
      type: 'service',
      position,
      data: { node: gn, group: groupOf(gn) },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      measured: { width: NODE_WIDTH, height: NODE_HEIGHT },
      handles: SERVICE_HANDLES,
      zIndex: 1,
    };
  });
  return [...reconcileBoxes(prev, services), ...services];
}

/** Namespace boxes around the current node positions, reusing unchanged box objects. */
export function reconcileBoxes(
  prev: readonly FlowNode[],
  services: readonly ServiceFlowNode[],
): NamespaceFlowNode[] {
  const prevBoxes = new Map<string, NamespaceFlowNode>();
  for (const n of prev) if (isNamespace(n)) prevBoxes.set(n.id, n);
  const counts = new Map<string, number>();
  for (const s of services) counts.set(s.data.group, (counts.get(s.data.group) ?? 0) + 1);

  return groupBoxes(services.map((s) => ({ group: s.data.group, position: s.position }))).map((box) => {
    const id = `namespace:${box.group}`;
    const count = counts.get(box.group) ?? 0;
    const old = prevBoxes.get(id);
    if (
      old &&
      old.position.x === box.x &&
      old.position.y === box.y &&
      old.width === box.width &&
      old.height === box.height &&
      old.data.count === count
    ) {
      return old;
    }
    return {
      id,
      type: 'namespace',
      position: { x: box.x, y: box.y },
      width: box.width,
      height: box.height,
      measured: { width: box.width, height: box.height },
      data: { label: box.group, count },
      draggable: false,
      selectable: false,
      focusable: false,
      connectable: false,
      zIndex: 0,
      className: 'graph-namespace-wrapper',
    };
  });
}

/** After a drag: move the boxes, keep the services as they are. */
export function withBoxes(nodes: readonly FlowNode[]): FlowNode[] {
  const services = nodes.filter(isService);
  return [...reconcileBoxes(nodes, services), ...services];
}

export function reconcileEdges(prev: readonly TrafficFlowEdge[], graph: TopologyGraph): TrafficFlowEdge[] {
  const prevById = new Map(prev.map((e) => [e.id, e]));
  const nodeIds = new Set(graph.nodes.map((n) => n.id));
  const result: TrafficFlowEdge[] = [];
  for (const ge of graph.edges) {
    if (!nodeIds.has(ge.source) || !nodeIds.has(ge.target)) continue;
    const old = prevById.get(ge.id);
    if (old?.data && (old.data.edge === ge || edgeLook(old.data.edge) === edgeLook(ge))) {
      result.push(old);
      continue;
    }
    const color = HEALTH_COLOR[ge.health];
    result.push({
      id: ge.id,
      source: ge.source,
      target: ge.target,
      type: 'traffic',
      data: { edge: ge },
      markerEnd: { type: MarkerType.ArrowClosed, color, width: 14, height: 14 },
      selected: old?.selected ?? false,
    });
  }
  return result;
}
