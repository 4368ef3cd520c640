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
  bandOrder,
  groupOf,
  type FlowNode,
  type NamespaceFlowNode,
  type ServiceFlowNode,
  type ServiceGroupFlowNode,
  type TrafficFlowEdge,
  type VersionFlowNode,
  type WorkloadFlowNode,
} from './flowTypes.ts';
import {
  groupHeight,
  groupVersions,
  layoutInput,
  versionPosition,
  VERSION_NODE_HEIGHT,
  VERSION_NODE_WIDTH,
} from './versionGroups.ts';

export function structureKey(graph: TopologyGraph): string {
  const nodes = graph.nodes.map((n) => n.id).sort();
  const edges = graph.edges.map((e) => `${e.source}>${e.target}`).sort();
  return `${nodes.join(',')}|${edges.join(',')}`;
}

/**
 * Positions of every node. With services split by version, the layout places their boxes (taller nodes) and
 * each version's position is relative to its box, as React Flow wants for child nodes.
 */
export function layoutGraph(graph: TopologyGraph): LayoutResult {
  const grouping = groupVersions(graph.nodes);
  if (grouping.children.size === 0) {
    return layeredLayout(
      graph.nodes.map((n) => ({ id: n.id, group: groupOf(n) })),
      graph.edges,
      bandOrder,
    );
  }
  const input = layoutInput(graph.nodes, graph.edges, grouping, groupOf);
  const result = layeredLayout(input.nodes, input.edges, bandOrder);
  for (const versions of grouping.children.values())
    versions.forEach((id, i) => result.positions.set(id, versionPosition(i)));
  return result;
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
  return `${e.health}|${formatRps(t.rps)}|${formatPercent(errorRatio(t.requests, t.errors) ?? 0)}|${edgeWidth(t.rps).toFixed(1)}|${e.share ?? ''}`;
}

/**
 * Size and handle positions are fixed (ServiceNode draws exactly NODE_WIDTH × NODE_HEIGHT), so React Flow can
 * draw nodes and edges in the first pass instead of measuring every node first.
 */
const HANDLE = 6;
/** A target handle in the middle of the left side, a source handle in the middle of the right side. */
function sideHandles(width: number, height: number): NodeHandle[] {
  return [
    {
      type: 'target',
      position: Position.Left,
      x: -HANDLE / 2,
      y: height / 2 - HANDLE / 2,
      width: HANDLE,
      height: HANDLE,
    },
    {
      type: 'source',
      position: Position.Right,
      x: width - HANDLE / 2,
      y: height / 2 - HANDLE / 2,
      width: HANDLE,
      height: HANDLE,
    },
  ];
}
const SERVICE_HANDLES = sideHandles(NODE_WIDTH, NODE_HEIGHT);
const VERSION_HANDLES = sideHandles(VERSION_NODE_WIDTH, VERSION_NODE_HEIGHT);

type TopLevelFlowNode = ServiceFlowNode | ServiceGroupFlowNode;
const isNamespace = (n: FlowNode): n is NamespaceFlowNode => n.type === 'namespace';
const isTopLevel = (n: FlowNode): n is TopLevelFlowNode => n.type === 'service' || n.type === 'serviceGroup';
const isVersion = (n: FlowNode): n is VersionFlowNode => n.type === 'version';
export const isWorkload = (n: FlowNode): n is WorkloadFlowNode => n.type !== 'namespace';

export function reconcileNodes(
  prev: readonly FlowNode[],
  graph: TopologyGraph,
  layout: LayoutResult | null,
  dragged: ReadonlySet<string>,
): FlowNode[] {
  const prevById = new Map<string, WorkloadFlowNode>();
  for (const n of prev) if (isWorkload(n)) prevById.set(n.id, n);
  const grouping = groupVersions(graph.nodes);

  const top: TopLevelFlowNode[] = [];
  const versions: VersionFlowNode[] = [];
  for (const gn of graph.nodes) {
    const parentId = grouping.parentOf.get(gn.id);
    const count = grouping.children.get(gn.id)?.length ?? 0;
    const type = parentId !== undefined ? 'version' : count > 0 ? 'serviceGroup' : 'service';
    const candidate = prevById.get(gn.id);
    // A node that changed kind (a service that got a second version) is drawn anew.
    const old = candidate?.type === type && candidate.parentId === parentId ? candidate : undefined;
    const laidOut = layout?.positions.get(gn.id);
    const position = old && (!laidOut || dragged.has(gn.id)) ? old.position : (laidOut ?? { x: 0, y: 0 });
    const same =
      old !== undefined &&
      old.position === position &&
      (old.data.node === gn || nodeLook(old.data.node) === nodeLook(gn));
    if (type === 'version') {
      const prevVersion = old as VersionFlowNode | undefined;
      versions.push(
        same && prevVersion
          ? prevVersion
          : prevVersion
            ? { ...prevVersion, position, data: { node: gn } }
            : {
                id: gn.id,
                type: 'version',
                parentId,
                extent: 'parent',
                position,
                data: { node: gn },
                width: VERSION_NODE_WIDTH,
                height: VERSION_NODE_HEIGHT,
                measured: { width: VERSION_NODE_WIDTH, height: VERSION_NODE_HEIGHT },
                handles: VERSION_HANDLES,
                zIndex: 2,
              },
      );
    } else if (type === 'serviceGroup') {
      const prevGroup = old as ServiceGroupFlowNode | undefined;
      const height = groupHeight(count);
      const data = { node: gn, group: groupOf(gn), versions: count };
      if (same && prevGroup && prevGroup.data.versions === count) top.push(prevGroup);
      else
        top.push({
          id: gn.id,
          type: 'serviceGroup',
          position,
          data,
          width: NODE_WIDTH,
          height,
          measured: { width: NODE_WIDTH, height },
          handles: sideHandles(NODE_WIDTH, height),
          zIndex: 1,
        });
    } else {
      const prevService = old as ServiceFlowNode | undefined;
      top.push(
        same && prevService
          ? prevService
          : prevService
            ? { ...prevService, position, data: { node: gn, group: groupOf(gn) } }
            : {
                id: gn.id,
                type: 'service',
                position,
                data: { node: gn, group: groupOf(gn) },
                width: NODE_WIDTH,
                height: NODE_HEIGHT,
                measured: { width: NODE_WIDTH, height: NODE_HEIGHT },
                handles: SERVICE_HANDLES,
                zIndex: 1,
              },
      );
    }
  }
  // React Flow needs a parent before its children.
  return [...reconcileBoxes(prev, top), ...top, ...versions];
}

/** Namespace boxes around the current node positions, reusing unchanged box objects. */
export function reconcileBoxes(
  prev: readonly FlowNode[],
  services: readonly TopLevelFlowNode[],
): NamespaceFlowNode[] {
  const prevBoxes = new Map<string, NamespaceFlowNode>();
  for (const n of prev) if (isNamespace(n)) prevBoxes.set(n.id, n);
  const counts = new Map<string, number>();
  for (const s of services) counts.set(s.data.group, (counts.get(s.data.group) ?? 0) + 1);

  return groupBoxes(
    services.map((s) => ({ group: s.data.group, position: s.position, height: s.height })),
  ).map((box) => {
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

/** After a drag: move the boxes, keep the services (and versions, relative to theirs) as they are. */
export function withBoxes(nodes: readonly FlowNode[]): FlowNode[] {
  const services = nodes.filter(isTopLevel);
  return [...reconcileBoxes(nodes, services), ...services, ...nodes.filter(isVersion)];
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
