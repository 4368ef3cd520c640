'use client';
/**
 * The side panel of a clicked edge: who calls whom (service or version), its share of a split, its numbers
 * over the window as the graph shows them, its signals over time from `signals.edge`, and links to both
 * services' pages.
 */
import { useQuery } from '@tanstack/react-query';
import type { GraphNode, TopologyGraph } from '@weft/schema';
import Link from 'next/link';
import { useMemo } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { stepForWindow, useTimeWindow, useWindowHref } from '@/lib/window.ts';
import { REFRESH_MS } from '@/lib/live.ts';
import { isExternal } from '@/lib/external.ts';
import { errorRatio, formatCount, formatMs, formatPercent, formatRps } from '@/lib/format.ts';
import { ErrorState, HealthBadge, Loading } from '@/components/ui.tsx';
import { EdgeSignalCharts } from './EdgeSignalCharts.tsx';
import { edgeEnd, endLabel, servicePath } from './edgeEnds.ts';
import { formatShare } from './versionGroups.ts';

export function EdgePanel({ graph, id, onClose }: { graph: TopologyGraph; id: string; onClose: () => void }) {
  const edge = useMemo(() => graph.edges.find((e) => e.id === id), [graph, id]);
  const nodes = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph]);
  const source = edge ? nodes.get(edge.source) : undefined;
  const target = edge ? nodes.get(edge.target) : undefined;
  const close = (
    <button
      type="button"
      className="icon-button"
      onClick={onClose}
      aria-label="Close panel"
      data-test="edge-panel-close"
    >
      ×
    </button>
  );
  if (!edge || !source || !target) {
    return (
      <aside className="side-panel" data-test="edge-panel" data-edge={id}>
        <div className="side-panel-header">
          <strong>{id}</strong>
          {close}
        </div>
        <div className="muted">No traffic on this edge in the current window.</div>
      </aside>
    );
  }
  const t = edge.traffic;
  return (
    <aside className="side-panel" data-test="edge-panel" data-edge={edge.id}>
      <div className="side-panel-header">
        <div>
          <div className="side-panel-title" data-test="edge-panel-title">
            {endLabel(source)} → {endLabel(target)}
          </div>
          <div className="muted small">
            {source.kind === 'unknown' ? 'seen by the destination' : 'as the caller’s proxies saw it'}
            {isExternal(target) ? (
              <span data-test="edge-panel-external"> · to a host outside the mesh (egress)</span>
            ) : null}
          </div>
        </div>
        {close}
      </div>
      <div className="side-panel-row">
        <HealthBadge health={edge.health} />
        {edge.share !== undefined ? (
          <span className="small" data-test="edge-panel-share" data-share={edge.share}>
            <strong>{formatShare(edge.share)}</strong> of {endLabel(source)}’s calls to {target.service}
          </span>
        ) : null}
      </div>
      <dl className="kv" data-test="edge-panel-stats">
        <dt>Requests</dt>
        <dd>{formatCount(t.requests)}</dd>
        <dt>RPS</dt>
        <dd data-test="edge-panel-rps">{formatRps(t.rps)}</dd>
        <dt>Success</dt>
        <dd>{formatPercent(t.successRate, 2)}</dd>
        <dt>Errors</dt>
        <dd>
          {formatCount(t.errors)} ({formatPercent(errorRatio(t.requests, t.errors) ?? 0)})
        </dd>
        <dt>p50 / p95 / p99</dt>
        <dd>
          {formatMs(t.p50)} / {formatMs(t.p95)} / {formatMs(t.p99)}
        </dd>
      </dl>
      <h3>Over the window</h3>
      <EdgeSignalsSection source={source} target={target} />
      <div className="side-panel-actions">
        <EndLink node={source} testId="edge-panel-source-link" />
        <EndLink node={target} testId="edge-panel-target-link" />
      </div>
    </aside>
  );
}

function EdgeSignalsSection({ source, target }: { source: GraphNode; target: GraphNode }) {
  const trpc = useTRPC();
  const timeWindow = useTimeWindow();
  const query = useQuery(
    trpc.signals.edge.queryOptions(
      {
        source: edgeEnd(source),
        destination: edgeEnd(target),
        window: timeWindow.input,
        stepMs: stepForWindow(timeWindow.ms),
      },
      { refetchInterval: REFRESH_MS },
    ),
  );
  if (query.isPending) return <Loading what="the edge's signals" />;
  if (!query.data) return <ErrorState error={query.error} what="the edge's signals" />;
  return <EdgeSignalCharts signals={query.data} />;
}

function EndLink({ node, testId }: { node: GraphNode; testId: string }) {
  const href = useWindowHref();
  const path = servicePath(node);
  if (!path) return null;
  return (
    <Link className="button" href={href(path)} data-test={testId}>
      {node.service} →
    </Link>
  );
}
