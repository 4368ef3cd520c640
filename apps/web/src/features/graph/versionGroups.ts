/**
 * The versioned graph's grouping, as pure functions: which service nodes are boxes around version nodes
 * (the API sends version nodes with `parent` only for services seen with more than one version), how big
 * each box is, where its versions sit inside it, and how an edge's share of a split reads on its label.
 * The layered layout places boxes like any other node, only taller; versions never take part in it.
 */
import type { GraphNode } from '@weft/schema';
import { NODE_HEIGHT, NODE_WIDTH, type LayoutEdgeInput, type LayoutNodeInput, type XY } from './layout.ts';

/** Room for the service's name and badges above its versions. */
export const GROUP_HEADER = 44;
export const GROUP_PADDING = 8;
export const VERSION_GAP = 8;
export const VERSION_NODE_WIDTH = NODE_WIDTH - 2 * GROUP_PADDING;
export const VERSION_NODE_HEIGHT = 50;

export interface VersionGrouping {
  /** Box id ("namespace/service") → its version node ids, in version order (v1, v2, …, v10). */
  children: ReadonlyMap<string, readonly string[]>;
  /** Version node id → box id. */
  parentOf: ReadonlyMap<string, string>;
}

const byVersion = new Intl.Collator('en', { numeric: true });

export function groupVersions(nodes: readonly GraphNode[]): VersionGrouping {
  const ids = new Set(nodes.map((n) => n.id));
  const versions = new Map<string, GraphNode[]>();
  const parentOf = new Map<string, string>();
  for (const n of nodes) {
    // A version whose service node is missing is drawn as a node of its own rather than lost.
    if (n.parent === undefined || !ids.has(n.parent)) continue;
    parentOf.set(n.id, n.parent);
    const list = versions.get(n.parent);
    if (list) list.push(n);
    else versions.set(n.parent, [n]);
  }
  const children = new Map<string, string[]>();
  for (const [parent, list] of versions) {
    list.sort((a, b) => byVersion.compare(a.version ?? a.id, b.version ?? b.id));
    children.set(
      parent,
      list.map((n) => n.id),
    );
  }
  return { children, parentOf };
}

/** Height of a box holding `versions` version nodes; a box is as wide as a service node. */
export function groupHeight(versions: number): number {
  if (versions === 0) return NODE_HEIGHT;
  return GROUP_HEADER + versions * VERSION_NODE_HEIGHT + (versions - 1) * VERSION_GAP + GROUP_PADDING;
}

/** Where the `index`-th version sits, relative to its box (React Flow child positions are relative). */
export function versionPosition(index: number): XY {
  return { x: GROUP_PADDING, y: GROUP_HEADER + index * (VERSION_NODE_HEIGHT + VERSION_GAP) };
}

/** The drawn node an id belongs to at the top level: a version's box, or the node itself. */
export function topLevel(id: string, grouping: VersionGrouping): string {
  return grouping.parentOf.get(id) ?? id;
}

/**
 * What the layered layout sees: top-level nodes only (boxes with their height), and each edge between the
 * top-level nodes of its ends, once — so a box is layered by who calls any of its versions.
 */
export function layoutInput(
  nodes: readonly GraphNode[],
  edges: readonly LayoutEdgeInput[],
  grouping: VersionGrouping,
  groupOf: (n: GraphNode) => string,
): { nodes: LayoutNodeInput[]; edges: LayoutEdgeInput[] } {
  const top: LayoutNodeInput[] = [];
  for (const n of nodes) {
    if (grouping.parentOf.has(n.id)) continue;
    const versions = grouping.children.get(n.id)?.length ?? 0;
    top.push(
      versions > 0
        ? { id: n.id, group: groupOf(n), height: groupHeight(versions) }
        : { id: n.id, group: groupOf(n) },
    );
  }
  const seen = new Set<string>();
  const links: LayoutEdgeInput[] = [];
  for (const e of edges) {
    const source = topLevel(e.source, grouping);
    const target = topLevel(e.target, grouping);
    const key = `${source}\u0000${target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    links.push({ source, target });
  }
  return { nodes: top, edges: links };
}

/** An edge's share of a split as its label shows it: whole percents, never a misleading 0% or 100%. */
export function formatShare(share: number): string {
  if (share <= 0) return '0%';
  if (share >= 1) return '100%';
  if (share < 0.01) return '<1%';
  if (share > 0.99) return '>99%';
  return `${Math.round(share * 100)}%`;
}
