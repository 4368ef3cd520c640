import type { GraphEdge, GraphNode, TopologyGraph } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { edgeEnd, endLabel, servicePath } from './edgeEnds.ts';
import type { ServiceGroupFlowNode, VersionFlowNode } from './flowTypes.ts';
import { NODE_HEIGHT, NODE_WIDTH } from './layout.ts';
import { layoutGraph, reconcileEdges, reconcileNodes, withBoxes } from './reconcile.ts';
import {
  formatShare,
  GROUP_HEADER,
  groupHeight,
  groupVersions,
  layoutInput,
  VERSION_NODE_HEIGHT,
  VERSION_NODE_WIDTH,
  versionPosition,
} from './versionGroups.ts';

const traffic = { requests: 10, errors: 0, rps: 1, successRate: 1, p50: 1, p95: 2, p99: 3 };

function node(id: string, extra: Partial<GraphNode> = {}): GraphNode {
  const [namespace = '', rest = id] = id.includes('/') ? id.split('/') : ['', id];
  const [service = rest, version] = rest.split('@');
  return {
    id,
    service,
    namespace,
    kind: id === 'unknown' ? 'unknown' : version ? 'version' : 'service',
    versions: version ? [version] : [],
    instances: 1,
    traffic,
    health: 'healthy',
    ...(version ? { version, parent: `${namespace}/${service}` } : {}),
    ...extra,
  };
}

function edge(source: string, target: string, share?: number): GraphEdge {
  return {
    id: `${source}->${target}`,
    source,
    target,
    traffic,
    health: 'healthy',
    ...(share !== undefined ? { share } : {}),
  };
}

/** productpage sends 90% to reviews v1, 10% to v2; reviews v2 calls ratings; v10 sorts after v2. */
const graph: TopologyGraph = {
  schemaVersion: 1,
  granularity: 'version',
  window: { fromMs: 0, toMs: 300_000 },
  nodes: [
    node('unknown'),
    node('shop/productpage'),
    node('shop/ratings'),
    node('shop/reviews', { versions: ['v1', 'v10', 'v2'] }),
    node('shop/reviews@v1'),
    node('shop/reviews@v10'),
    node('shop/reviews@v2'),
  ],
  edges: [
    edge('unknown', 'shop/productpage'),
    edge('shop/productpage', 'shop/reviews@v1', 0.9),
    edge('shop/productpage', 'shop/reviews@v2', 0.1),
    edge('shop/reviews@v2', 'shop/ratings'),
  ],
};

describe('version grouping', () => {
  it('puts each version in its service’s box, in version order', () => {
    const grouping = groupVersions(graph.nodes);
    expect([...grouping.children]).toEqual([
      ['shop/reviews', ['shop/reviews@v1', 'shop/reviews@v2', 'shop/reviews@v10']],
    ]);
    expect(grouping.parentOf.get('shop/reviews@v2')).toBe('shop/reviews');
    expect(grouping.parentOf.has('shop/productpage')).toBe(false);
  });

  it('draws a version whose service node is missing as a node of its own', () => {
    const grouping = groupVersions([node('shop/reviews@v1')]);
    expect(grouping.children.size).toBe(0);
    expect(grouping.parentOf.size).toBe(0);
  });

  it('sizes a box to hold its versions under a header, without overlap', () => {
    expect(groupHeight(0)).toBe(NODE_HEIGHT);
    for (const count of [2, 3, 5]) {
      const positions = Array.from({ length: count }, (_, i) => versionPosition(i));
      expect(positions[0]!.y).toBe(GROUP_HEADER);
      for (let i = 1; i < count; i++)
        expect(positions[i]!.y).toBeGreaterThanOrEqual(positions[i - 1]!.y + VERSION_NODE_HEIGHT);
      const last = positions[count - 1]!;
      expect(last.y + VERSION_NODE_HEIGHT).toBeLessThan(groupHeight(count));
      expect(last.x + VERSION_NODE_WIDTH).toBeLessThan(NODE_WIDTH);
    }
  });

  it('lays out boxes only, with edges between the boxes of their ends, once', () => {
    const grouping = groupVersions(graph.nodes);
    const input = layoutInput(graph.nodes, graph.edges, grouping, (n) => n.namespace || 'outside');
    expect(input.nodes.map((n) => [n.id, n.height ?? NODE_HEIGHT])).toEqual([
      ['unknown', NODE_HEIGHT],
      ['shop/productpage', NODE_HEIGHT],
      ['shop/ratings', NODE_HEIGHT],
      ['shop/reviews', groupHeight(3)],
    ]);
    expect(input.edges).toEqual([
      { source: 'unknown', target: 'shop/productpage' },
      { source: 'shop/productpage', target: 'shop/reviews' },
      { source: 'shop/reviews', target: 'shop/ratings' },
    ]);
  });
});

describe('versioned graph on the canvas', () => {
  it('places callers left of the box, versions inside it, and the box’s callees to its right', () => {
    const layout = layoutGraph(graph);
    const at = (id: string) => layout.positions.get(id)!;
    expect(at('shop/productpage').x).toBeLessThan(at('shop/reviews').x);
    expect(at('shop/reviews').x).toBeLessThan(at('shop/ratings').x);
    // Versions are positioned relative to their box.
    expect(at('shop/reviews@v1')).toEqual(versionPosition(0));
    expect(at('shop/reviews@v10')).toEqual(versionPosition(2));
  });

  it('makes the split service a parent node before its versions, and boxes namespaces around its height', () => {
    const nodes = reconcileNodes([], graph, layoutGraph(graph), new Set());
    const index = (id: string) => nodes.findIndex((n) => n.id === id);
    const box = nodes[index('shop/reviews')] as ServiceGroupFlowNode;
    expect(box.type).toBe('serviceGroup');
    expect(box.height).toBe(groupHeight(3));
    expect(box.data.versions).toBe(3);
    const v2 = nodes[index('shop/reviews@v2')] as VersionFlowNode;
    expect(v2).toMatchObject({ type: 'version', parentId: 'shop/reviews', extent: 'parent' });
    expect(index('shop/reviews')).toBeLessThan(index('shop/reviews@v2'));
    expect(nodes.find((n) => n.id === 'shop/productpage')?.type).toBe('service');

    const shop = nodes.find((n) => n.id === 'namespace:shop')!;
    expect(shop.position.y + shop.height!).toBeGreaterThanOrEqual(box.position.y + groupHeight(3));
    // A drag keeps versions (after their box) and the boxes follow.
    const again = withBoxes(nodes);
    expect(again.map((n) => n.id).sort()).toEqual(nodes.map((n) => n.id).sort());
    expect(again.findIndex((n) => n.id === 'shop/reviews')).toBeLessThan(
      again.findIndex((n) => n.id === 'shop/reviews@v1'),
    );
  });

  it('redraws a service that became split, and keeps unchanged nodes and edges as they were', () => {
    const before: TopologyGraph = {
      ...graph,
      nodes: [node('shop/productpage'), node('shop/reviews')],
      edges: [edge('shop/productpage', 'shop/reviews')],
    };
    const first = reconcileNodes([], before, layoutGraph(before), new Set());
    expect(first.find((n) => n.id === 'shop/reviews')?.type).toBe('service');
    const second = reconcileNodes(first, graph, layoutGraph(graph), new Set());
    expect(second.find((n) => n.id === 'shop/reviews')?.type).toBe('serviceGroup');
    const third = reconcileNodes(second, graph, null, new Set());
    expect(third.find((n) => n.id === 'shop/reviews@v1')).toBe(
      second.find((n) => n.id === 'shop/reviews@v1'),
    );
    const edges = reconcileEdges([], graph);
    expect(edges.find((e) => e.id === 'shop/productpage->shop/reviews@v2')?.data?.edge.share).toBe(0.1);
    expect(reconcileEdges(edges, graph)).toEqual(edges);
  });
});

describe('share labels', () => {
  it('reads a 90/10 split as 90% and 10%, and never rounds a trickle to 0% or 100%', () => {
    expect([0.9, 0.1].map(formatShare)).toEqual(['90%', '10%']);
    expect([0, 1, 0.004, 0.996, 0.5, 0.333].map(formatShare)).toEqual([
      '0%',
      '100%',
      '<1%',
      '>99%',
      '50%',
      '33%',
    ]);
  });
});

describe('edge ends', () => {
  it('asks signals.edge for versions where the edge joins versions, and for callers outside the mesh', () => {
    expect(edgeEnd(node('shop/reviews@v2'))).toEqual({
      namespace: 'shop',
      service: 'reviews',
      version: 'v2',
    });
    expect(edgeEnd(node('shop/productpage'))).toEqual({ namespace: 'shop', service: 'productpage' });
    expect(edgeEnd(node('unknown'))).toEqual({ namespace: '', service: 'unknown' });
    expect(endLabel(node('shop/reviews@v2'))).toBe('reviews v2');
    expect(servicePath(node('shop/reviews@v2'))).toBe('/services/shop/reviews');
    expect(servicePath(node('unknown'))).toBeNull();
  });
});
