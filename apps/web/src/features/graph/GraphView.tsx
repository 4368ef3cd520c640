'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import {
  applyNodeChanges,
  Background,
  getViewportForBounds,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  ReactFlowProvider,
  type EdgeMouseHandler,
  type NodeChange,
  type NodeMouseHandler,
  type NodeTypes,
  type EdgeTypes,
  type Viewport,
} from '@xyflow/react';
import type { GraphEdge, GraphNode, TopologyGraph } from '@weft/schema';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { useTimeWindow, useWindowHref } from '@/lib/window.ts';
import { HEALTH_COLOR, HEALTH_LABEL } from '@/lib/health.ts';
import { errorRatio, formatCount, formatMs, formatPercent, formatRps } from '@/lib/format.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { isExternal } from '@/lib/external.ts';
import {
  Empty,
  ErrorState,
  HealthBadge,
  LiveStatus,
  Loading,
  PageHeader,
  StaleNotice,
} from '@/components/ui.tsx';
import { NamespaceNode, ServiceNode } from './ServiceNode.tsx';
import { ServiceGroupNode, VersionNode } from './VersionNodes.tsx';
import { TrafficEdge } from './TrafficEdge.tsx';
import { ActionsMenu } from '../policy-editor/ActionsMenu.tsx';
import type { FlowNode, TrafficFlowEdge } from './flowTypes.ts';
import {
  isWorkload,
  layoutGraph,
  reconcileEdges,
  reconcileNodes,
  structureKey,
  withBoxes,
} from './reconcile.ts';
import { badgesFrom, PolicyBadgesContext, type PolicyBadges } from './policyBadges.ts';
import { EdgeClickContext } from './edgeSelection.ts';
import { EdgePanel } from './EdgePanel.tsx';

export const GRAPH_REFRESH_MS = 5_000;

// Declared once at module level: React Flow re-creates every node when these objects change identity.
const nodeTypes: NodeTypes = {
  service: ServiceNode,
  namespace: NamespaceNode,
  serviceGroup: ServiceGroupNode,
  version: VersionNode,
};
const edgeTypes: EdgeTypes = { traffic: TrafficEdge };
const proOptions = { hideAttribution: true };
const FIT = { padding: 0.12, minZoom: 0.05, maxZoom: 1 };
const fitViewOptions = { padding: FIT.padding, maxZoom: FIT.maxZoom, minZoom: FIT.minZoom };

/**
 * The first viewport, computed from the layout before anything is drawn: nodes render once, already at the
 * zoom (and level of detail) they will be seen at, instead of drawing at 100% and then fitting.
 */
function initialViewport(nodes: readonly FlowNode[], width: number, height: number): Viewport {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const n of nodes) {
    const w = n.width ?? 0;
    const h = n.height ?? 0;
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + w);
    y1 = Math.max(y1, n.position.y + h);
  }
  if (!Number.isFinite(x0)) return { x: 0, y: 0, zoom: 1 };
  return getViewportForBounds(
    { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    width,
    height,
    FIT.minZoom,
    FIT.maxZoom,
    FIT.padding,
  );
}

/** Badges per node; the same object while their content is unchanged, so nodes re-render only on a change. */
function useStableBadges(policies: Parameters<typeof badgesFrom>[0] | undefined): PolicyBadges {
  const last = useRef<{ key: string; badges: PolicyBadges }>({ key: '', badges: new Map() });
  if (policies === undefined) return last.current.badges;
  const badges = badgesFrom(policies);
  const key = JSON.stringify([...badges]);
  if (key !== last.current.key) last.current = { key, badges };
  return last.current.badges;
}

/** The versions toggle, kept in the URL (`?versions=1`) like the window, so a versioned view can be shared. */
export const VERSIONS_PARAM = 'versions';

function useVersionsToggle(): [boolean, (on: boolean) => void] {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const fromUrl = params.get(VERSIONS_PARAM) === '1';
  // The URL catches up only once the navigation is done: until then the box shows what was clicked, or a
  // re-render in between would flip it back.
  const [wanted, setWanted] = useState<boolean | null>(null);
  useEffect(() => {
    if (wanted !== null && wanted === fromUrl) setWanted(null);
  }, [wanted, fromUrl]);
  const on = wanted ?? fromUrl;
  const set = useCallback(
    (next: boolean) => {
      setWanted(next);
      const query = new URLSearchParams(params.toString());
      if (next) query.set(VERSIONS_PARAM, '1');
      else query.delete(VERSIONS_PARAM);
      const text = query.toString();
      router.replace(text ? `${pathname}?${text}` : pathname, { scroll: false });
    },
    [router, pathname, params],
  );
  return [on, set];
}

/** What the side panel shows: a node (service or version) or an edge. */
export type GraphSelection = { kind: 'node' | 'edge'; id: string } | null;

export function GraphView() {
  const trpc = useTRPC();
  const timeWindow = useTimeWindow();
  const [versions, setVersions] = useVersionsToggle();
  const query = useQuery(
    trpc.topology.graph.queryOptions(
      versions ? { window: timeWindow.input, granularity: 'version' } : { window: timeWindow.input },
      // While the other granularity loads, the current picture stays instead of a spinner.
      { refetchInterval: GRAPH_REFRESH_MS, placeholderData: keepPreviousData },
    ),
  );
  const [selection, setSelection] = useState<GraphSelection>(null);
  const graph = query.data;
  const granularity = graph?.granularity ?? 'service';
  const policies = useQuery(trpc.policies.list.queryOptions(undefined, { refetchInterval: REFRESH_MS }));
  const badges = useStableBadges(policies.data);

  return (
    <div className="page page-graph" data-test="graph-page">
      <PageHeader
        title="Service graph"
        subtitle={
          graph
            ? `${graph.nodes.length} nodes · ${graph.edges.length} edges · traffic over the ${timeWindow.label.toLowerCase()}`
            : `Traffic over the ${timeWindow.label.toLowerCase()}`
        }
      >
        <label
          className="graph-toggle"
          title="Split services with several versions into one node per version"
        >
          <input
            type="checkbox"
            checked={versions}
            onChange={(e) => {
              // What was selected may not exist in the other picture.
              setSelection(null);
              setVersions(e.target.checked);
            }}
            data-test="graph-versions-toggle"
          />
          Versions
        </label>
        <LiveStatus updatedAt={query.dataUpdatedAt} fetching={query.isFetching} />
      </PageHeader>
      {query.isError && graph ? <StaleNotice error={query.error} /> : null}
      {query.isPending ? (
        <Loading what="the service graph" />
      ) : !graph ? (
        <ErrorState error={query.error} what="the service graph" />
      ) : graph.nodes.length === 0 ? (
        <Empty testId="graph-empty">
          No traffic in this window yet. Send requests through the mesh and wait a few seconds.
        </Empty>
      ) : (
        <div className="graph-layout">
          <SizedCanvas>
            {(size) => (
              <ReactFlowProvider>
                <PolicyBadgesContext.Provider value={badges}>
                  {/* A new canvas (and layout, and fit) when the granularity changes: a different picture. */}
                  <GraphCanvas
                    key={granularity}
                    graph={graph}
                    size={size}
                    selection={selection}
                    onSelect={setSelection}
                  />
                </PolicyBadgesContext.Provider>
              </ReactFlowProvider>
            )}
          </SizedCanvas>
          {selection?.kind === 'node' ? (
            <NodePanel graph={graph} id={selection.id} onClose={() => setSelection(null)} />
          ) : selection?.kind === 'edge' ? (
            <EdgePanel graph={graph} id={selection.id} onClose={() => setSelection(null)} />
          ) : null}
        </div>
      )}
    </div>
  );
}

/** Renders its child only once the canvas has a size (needed to compute the first viewport). */
function SizedCanvas({ children }: { children: (size: { width: number; height: number }) => ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || size) return;
    const { width, height } = el.getBoundingClientRect();
    setSize({ width: Math.max(100, width), height: Math.max(100, height) });
  }, [size]);
  return (
    <div className="graph-canvas" data-test="graph-canvas" ref={ref}>
      {size ? children(size) : null}
    </div>
  );
}

function GraphCanvas({
  graph,
  size,
  selection,
  onSelect,
}: {
  graph: TopologyGraph;
  size: { width: number; height: number };
  selection: GraphSelection;
  onSelect: (selection: GraphSelection) => void;
}) {
  const dragged = useRef(new Set<string>());
  const lastStructure = useRef<string | null>(null);
  const [nodes, setNodes] = useState<FlowNode[]>(() => {
    lastStructure.current = structureKey(graph);
    return reconcileNodes([], graph, layoutGraph(graph), dragged.current);
  });
  const [edges, setEdges] = useState<TrafficFlowEdge[]>(() => reconcileEdges([], graph));
  const [defaultViewport] = useState(() => initialViewport(nodes, size.width, size.height));

  // Each poll: refresh data in place; re-run the layout only when nodes or edges appeared or disappeared.
  useEffect(() => {
    const key = structureKey(graph);
    const layout = key !== lastStructure.current ? layoutGraph(graph) : null;
    lastStructure.current = key;
    setNodes((prev) => reconcileNodes(prev, graph, layout, dragged.current));
    setEdges((prev) => reconcileEdges(prev, graph));
  }, [graph]);

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    let moved = false;
    for (const c of changes) {
      if (c.type === 'position' && c.position) {
        dragged.current.add(c.id);
        moved = true;
      }
    }
    setNodes((prev) => {
      const next = applyNodeChanges(changes, prev);
      return moved ? withBoxes(next) : next;
    });
  }, []);

  const onNodeClick: NodeMouseHandler<FlowNode> = useCallback(
    (_event, node) => {
      if (isWorkload(node)) onSelect({ kind: 'node', id: node.id });
    },
    [onSelect],
  );
  const onPaneClick = useCallback(() => onSelect(null), [onSelect]);
  // An edge opens its panel from its line (React Flow's click) or from its label (EdgeClickContext).
  const selectEdge = useCallback(
    (id: string) => {
      setEdges((prev) =>
        prev.map((e) => (e.selected === (e.id === id) ? e : { ...e, selected: e.id === id })),
      );
      onSelect({ kind: 'edge', id });
    },
    [onSelect],
  );
  const onEdgeClick: EdgeMouseHandler<TrafficFlowEdge> = useCallback(
    (_event, edge) => selectEdge(edge.id),
    [selectEdge],
  );

  const minimapColor = useCallback(
    (n: FlowNode) => (n.type === 'namespace' ? 'transparent' : HEALTH_COLOR[n.data.node.health]),
    [],
  );

  return (
    <EdgeClickContext.Provider value={selectEdge}>
      <ReactFlow<FlowNode, TrafficFlowEdge>
        className="graph-flow"
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onNodeClick={onNodeClick}
        onEdgeClick={onEdgeClick}
        onPaneClick={onPaneClick}
        nodesConnectable={false}
        edgesFocusable={false}
        elementsSelectable
        onlyRenderVisibleElements={false}
        minZoom={0.05}
        maxZoom={2.5}
        defaultViewport={defaultViewport}
        fitViewOptions={fitViewOptions}
        proOptions={proOptions}
        data-selected={selection?.id ?? ''}
      >
        <Background gap={24} size={1} color="#d2d2d2" />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={0} ariaLabel="Graph overview" />
        <Panel position="top-left">
          <div className="graph-legend" data-test="graph-legend">
            {(['healthy', 'degraded', 'failing', 'idle'] as const).map((h) => (
              <span key={h}>
                <span className="legend-swatch" style={{ background: HEALTH_COLOR[h] }} />
                {HEALTH_LABEL[h]}
              </span>
            ))}
            <span className="legend-note">
              {graph.granularity === 'version'
                ? 'edges: rps · error %; into a version: share of the caller’s calls · rps'
                : 'edges: rps · error %'}
            </span>
          </div>
        </Panel>
      </ReactFlow>
    </EdgeClickContext.Provider>
  );
}

function EdgeRows({
  edges,
  other,
  label,
}: {
  edges: GraphEdge[];
  other: (e: GraphEdge) => string;
  label: string;
}) {
  if (edges.length === 0) return <div className="muted small">No {label.toLowerCase()} traffic.</div>;
  return (
    <table className="table compact">
      <thead>
        <tr>
          <th>{label}</th>
          <th className="num">RPS</th>
          <th className="num">Err</th>
          <th className="num">p95</th>
        </tr>
      </thead>
      <tbody>
        {edges.map((e) => (
          <tr key={e.id}>
            <td>
              <span className="dot" style={{ background: HEALTH_COLOR[e.health] }} /> {other(e)}
            </td>
            <td className="num">{formatRps(e.traffic.rps)}</td>
            <td className="num">{formatPercent(errorRatio(e.traffic.requests, e.traffic.errors) ?? 0)}</td>
            <td className="num">{formatMs(e.traffic.p95)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Whether `nodeId` is the node `id` or one of its versions. */
function within(graph: TopologyGraph, nodeId: string, id: string): boolean {
  return nodeId === id || nodeId.startsWith(`${id}@`);
}

function NodePanel({ graph, id, onClose }: { graph: TopologyGraph; id: string; onClose: () => void }) {
  const href = useWindowHref();
  const node: GraphNode | undefined = useMemo(() => graph.nodes.find((n) => n.id === id), [graph, id]);
  // A service split by version: its box's edges and its versions' edges together.
  const inbound = useMemo(() => graph.edges.filter((e) => within(graph, e.target, id)), [graph, id]);
  const outbound = useMemo(() => graph.edges.filter((e) => within(graph, e.source, id)), [graph, id]);
  if (!node) {
    return (
      <aside className="side-panel" data-test="graph-side-panel">
        <div className="side-panel-header">
          <strong>{id}</strong>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
            ×
          </button>
        </div>
        <div className="muted">No traffic for this node in the current window.</div>
      </aside>
    );
  }
  const t = node.traffic;
  const unknown = node.kind === 'unknown';
  if (isExternal(node)) {
    return <ExternalNodePanel node={node} inbound={inbound} onClose={onClose} />;
  }
  return (
    <aside className="side-panel" data-test="graph-side-panel" data-node={node.id}>
      <div className="side-panel-header">
        <div>
          <div className="side-panel-title" data-test="graph-panel-title">
            {unknown ? 'unknown' : node.service}
            {node.version !== undefined ? ` ${node.version}` : ''}
          </div>
          <div className="muted small">
            {unknown ? 'Callers outside the mesh' : `namespace ${node.namespace}`}
          </div>
        </div>
        <button
          type="button"
          className="icon-button"
          onClick={onClose}
          aria-label="Close panel"
          data-test="graph-panel-close"
        >
          ×
        </button>
      </div>
      <div className="side-panel-row">
        <HealthBadge health={node.health} />
        {!unknown ? (
          <span className="muted small">
            {node.instances} instance{node.instances === 1 ? '' : 's'} ·{' '}
            {node.versions.join(', ') || 'no version'}
          </span>
        ) : null}
      </div>
      {!unknown ? (
        <dl className="kv" data-test="graph-panel-stats">
          <dt>Requests</dt>
          <dd>{formatCount(t.requests)}</dd>
          <dt>RPS</dt>
          <dd data-test="graph-panel-rps">{formatRps(t.rps)}</dd>
          <dt>Success</dt>
          <dd>{formatPercent(t.successRate, 2)}</dd>
          <dt>Errors</dt>
          <dd>{formatCount(t.errors)}</dd>
          <dt>p50</dt>
          <dd>{formatMs(t.p50)}</dd>
          <dt>p95</dt>
          <dd>{formatMs(t.p95)}</dd>
          <dt>p99</dt>
          <dd>{formatMs(t.p99)}</dd>
        </dl>
      ) : null}
      <h3>Inbound</h3>
      <EdgeRows edges={inbound} other={(e) => e.source} label="From" />
      <h3>Outbound</h3>
      <EdgeRows edges={outbound} other={(e) => e.target} label="To" />
      {!unknown ? (
        <div className="side-panel-actions">
          <ActionsMenu namespace={node.namespace} service={node.service} align="left" direction="up" />
          <Link
            className="button primary"
            href={href(`/services/${encodeURIComponent(node.namespace)}/${encodeURIComponent(node.service)}`)}
            data-test="graph-panel-service-link"
          >
            Open service →
          </Link>
          <Link
            className="button"
            href={href(`/traces?service=${encodeURIComponent(`${node.namespace}/${node.service}`)}`)}
            data-test="graph-panel-traces-link"
          >
            Traces
          </Link>
        </div>
      ) : null}
    </aside>
  );
}

/**
 * A host outside the mesh: what the mesh sent it (as the callers' outbound proxies saw it), who called it, and
 * no link to a service page or policies (it has neither).
 */
function ExternalNodePanel({
  node,
  inbound,
  onClose,
}: {
  node: GraphNode;
  inbound: GraphEdge[];
  onClose: () => void;
}) {
  const t = node.traffic;
  return (
    <aside className="side-panel" data-test="graph-side-panel" data-node={node.id} data-kind="external">
      <div className="side-panel-header">
        <div>
          <div className="side-panel-title" data-test="graph-panel-title">
            {node.service}
          </div>
          <div className="muted small" data-test="graph-panel-external">
            Outside the mesh: an external host that services call through their outbound proxies (egress)
          </div>
        </div>
        <button
          type="button"
          className="icon-button"
          onClick={onClose}
          aria-label="Close panel"
          data-test="graph-panel-close"
        >
          ×
        </button>
      </div>
      <div className="side-panel-row">
        <HealthBadge health={node.health} />
        <span className="muted small">as the callers’ proxies saw it</span>
      </div>
      <dl className="kv" data-test="graph-panel-stats">
        <dt>Requests</dt>
        <dd>{formatCount(t.requests)}</dd>
        <dt>RPS</dt>
        <dd data-test="graph-panel-rps">{formatRps(t.rps)}</dd>
        <dt>Success</dt>
        <dd>{formatPercent(t.successRate, 2)}</dd>
        <dt>Errors</dt>
        <dd>{formatCount(t.errors)}</dd>
        <dt>p50</dt>
        <dd>{formatMs(t.p50)}</dd>
        <dt>p95</dt>
        <dd>{formatMs(t.p95)}</dd>
        <dt>p99</dt>
        <dd>{formatMs(t.p99)}</dd>
      </dl>
      <h3>Called by</h3>
      <EdgeRows edges={inbound} other={(e) => e.source} label="From" />
      <p className="muted small">
        Not part of the mesh: no service page, policies or traces of its own. Click an edge into it for its
        signals over time.
      </p>
    </aside>
  );
}
