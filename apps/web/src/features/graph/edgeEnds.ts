/**
 * What `signals.edge` is asked for an edge of the graph: each end as a service, or one version of it, from
 * the nodes the edge joins. Callers outside the mesh are the "unknown" service in no namespace; hosts outside
 * the mesh (egress) are their host in EXTERNAL_NAMESPACE, as the graph names them.
 */
import type { GraphNode, SignalsEdgeInput } from '@weft/schema';
import { isExternal } from '@/lib/external.ts';

export type EdgeEndInput = SignalsEdgeInput['source'];

export function edgeEnd(node: GraphNode): EdgeEndInput {
  if (node.kind === 'unknown') return { namespace: '', service: node.service };
  return node.version !== undefined
    ? { namespace: node.namespace, service: node.service, version: node.version }
    : { namespace: node.namespace, service: node.service };
}

/** How an end reads in the panel: "reviews v2", "productpage", "callers outside the mesh", "api.stripe.com". */
export function endLabel(node: GraphNode): string {
  if (node.kind === 'unknown') return 'callers outside the mesh';
  if (isExternal(node)) return node.service;
  return node.version !== undefined ? `${node.service} ${node.version}` : node.service;
}

/** The service page of an end, or null for what has none (callers or hosts outside the mesh). */
export function servicePath(node: GraphNode): string | null {
  if (node.kind === 'unknown' || isExternal(node)) return null;
  return `/services/${encodeURIComponent(node.namespace)}/${encodeURIComponent(node.service)}`;
}
