import type { Edge, Node } from '@xyflow/react';
import type { GraphEdge, GraphNode } from '@weft/schema';

export type ServiceFlowNode = Node<{ node: GraphNode; group: string }, 'service'>;
export type NamespaceFlowNode = Node<{ label: string; count: number }, 'namespace'>;
export type FlowNode = ServiceFlowNode | NamespaceFlowNode;
export type TrafficFlowEdge = Edge<{ edge: GraphEdge }, 'traffic'>;

/** Band of a node: its namespace, or one band for every caller outside the mesh. */
export const OUTSIDE_MESH = 'outside mesh';

export function groupOf(node: GraphNode): string {
  return node.kind === 'unknown' ? OUTSIDE_MESH : node.namespace;
}
