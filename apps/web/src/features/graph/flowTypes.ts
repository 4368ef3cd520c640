import type { Edge, Node } from '@xyflow/react';
import type { GraphEdge, GraphNode } from '@weft/schema';
import { isExternal } from '@/lib/external.ts';

export type ServiceFlowNode = Node<{ node: GraphNode; group: string }, 'service'>;
export type NamespaceFlowNode = Node<{ label: string; count: number }, 'namespace'>;
/** A service split by version (versions toggle): the box its version nodes are drawn in. */
export type ServiceGroupFlowNode = Node<{ node: GraphNode; group: string; versions: number }, 'serviceGroup'>;
/** One version of a split service, positioned inside its box (`parentId`). */
export type VersionFlowNode = Node<{ node: GraphNode }, 'version'>;
export type FlowNode = ServiceFlowNode | NamespaceFlowNode | ServiceGroupFlowNode | VersionFlowNode;
/** Nodes that stand for a service or a version of one: what can be clicked and shows a panel. */
export type WorkloadFlowNode = ServiceFlowNode | ServiceGroupFlowNode | VersionFlowNode;
export type TrafficFlowEdge = Edge<{ edge: GraphEdge }, 'traffic'>;

/**
 * Band of a node: its namespace, one band for every caller outside the mesh (drawn first, on the left of the
 * calls), and one for the hosts outside the mesh that services call (egress, drawn last).
 */
export const OUTSIDE_MESH = 'outside mesh';
export const EGRESS_BAND = 'external hosts';

export function groupOf(node: GraphNode): string {
  if (node.kind === 'unknown') return OUTSIDE_MESH;
  return isExternal(node) ? EGRESS_BAND : node.namespace;
}

/** Bands top to bottom: callers from outside first, namespaces by name, external hosts last. */
export function bandOrder(a: string, b: string): number {
  const rank = (g: string) => (g === OUTSIDE_MESH ? 0 : g === EGRESS_BAND ? 2 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}
