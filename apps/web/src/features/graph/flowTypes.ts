import type { Edge, Node } from '@xyflow/react';
import type { GraphEdge, GraphNode } from '@weft/schema';

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

/** Band of a node: its namespace, or one band for every caller outside the mesh. */
export const OUTSIDE_MESH = 'outside mesh';

export function groupOf(node: GraphNode): string {
  return node.kind === 'unknown' ? OUTSIDE_MESH : node.namespace;
}
