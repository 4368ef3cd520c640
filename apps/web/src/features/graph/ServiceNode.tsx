'use client';
import { Handle, Position, useStore, type NodeProps, type ReactFlowState } from '@xyflow/react';
import { memo } from 'react';
import { HEALTH_COLOR } from '@/lib/health.ts';
import { isExternal } from '@/lib/external.ts';
import { formatMs, formatPercent, formatRps } from '@/lib/format.ts';
import { NODE_HEIGHT, NODE_WIDTH } from './layout.ts';
import type { GraphNode } from '@weft/schema';
import type { NamespaceFlowNode, ServiceFlowNode } from './flowTypes.ts';
import { BADGE, usePolicyBadges } from './policyBadges.ts';

/**
 * Level of detail by zoom: text nobody can read still costs layout and paint, and on a 1,000-node mesh it is
 * most of the cost of panning. Far out, a node is a coloured box; closer, its name; close, everything.
 */
type Detail = 'box' | 'name' | 'full';
const detailAt = (s: ReactFlowState): Detail =>
  s.transform[2] < 0.22 ? 'box' : s.transform[2] < 0.45 ? 'name' : 'full';

function ServiceNodeView({ data, selected }: NodeProps<ServiceFlowNode>) {
  const detail = useStore(detailAt);
  const n = data.node;
  const t = n.traffic;
  const unknown = n.kind === 'unknown';
  const external = isExternal(n);
  const policies = usePolicyBadges(n.id);
  if (external) return <ExternalNode node={n} selected={selected} detail={detail} />;
  if (detail !== 'full') {
    return (
      <div
        className={`graph-node compact health-${n.health}${selected ? ' selected' : ''}`}
        style={{ width: NODE_WIDTH, height: NODE_HEIGHT, borderLeftColor: HEALTH_COLOR[n.health] }}
        data-test={`graph-node-${n.id}`}
        data-health={n.health}
        title={`${n.id} — ${n.health}`}
      >
        <Handle type="target" position={Position.Left} isConnectable={false} className="graph-handle" />
        {detail === 'name' ? (
          <span className="graph-node-bigname">{unknown ? 'unknown' : n.service}</span>
        ) : null}
        <Handle type="source" position={Position.Right} isConnectable={false} className="graph-handle" />
      </div>
    );
  }
  return (
    <div
      className={`graph-node health-${n.health}${selected ? ' selected' : ''}${unknown ? ' unknown' : ''}`}
      style={{ width: NODE_WIDTH, height: NODE_HEIGHT, borderLeftColor: HEALTH_COLOR[n.health] }}
      data-test={`graph-node-${n.id}`}
      data-health={n.health}
      title={`${n.id} — ${n.health}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} className="graph-handle" />
      <div className="graph-node-title">
        <span className="graph-node-name">{unknown ? 'unknown' : n.service}</span>
        {!unknown && n.versions.length > 1 ? (
          <span className="graph-node-versions">{n.versions.join(' ')}</span>
        ) : null}
      </div>
      <div className="graph-node-sub">
        {unknown ? 'outside the mesh' : n.namespace}
        {policies.map((kind) => (
          <span key={kind} className="graph-node-badge" title={kind} data-test="graph-node-policy">
            {BADGE[kind]}
          </span>
        ))}
      </div>
      <div className="graph-node-stats" data-test="graph-node-stats">
        {unknown ? (
          <span>callers without identity</span>
        ) : (
          <>
            <span>{formatRps(t.rps)} rps</span>
            <span className={t.successRate !== null && t.successRate < 0.99 ? 'bad' : undefined}>
              {formatPercent(t.successRate)}
            </span>
            <span>p95 {formatMs(t.p95)}</span>
          </>
        )}
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} className="graph-handle" />
    </div>
  );
}

export const ServiceNode = memo(ServiceNodeView);

/** A globe: what Kiali and most consoles use for a host outside the mesh. */
function GlobeIcon() {
  return (
    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden className="graph-node-globe">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.3" />
      <ellipse cx="8" cy="8" rx="2.8" ry="6.5" fill="none" stroke="currentColor" strokeWidth="1.1" />
      <path d="M1.8 5.5h12.4M1.8 10.5h12.4" stroke="currentColor" strokeWidth="1.1" />
    </svg>
  );
}

/**
 * A host outside the mesh that services call through their outbound proxies (egress), drawn as Kiali draws a
 * ServiceEntry: another shape (a dashed pill with a globe), named by its host. It has no service page; its
 * panel shows the traffic into it.
 */
function ExternalNode({ node: n, selected, detail }: { node: GraphNode; selected: boolean; detail: Detail }) {
  const t = n.traffic;
  return (
    <div
      className={`graph-node external health-${n.health}${selected ? ' selected' : ''}${detail !== 'full' ? ' compact' : ''}`}
      style={{ width: NODE_WIDTH, height: NODE_HEIGHT, borderColor: HEALTH_COLOR[n.health] }}
      data-test={`graph-node-${n.id}`}
      data-kind="external"
      data-health={n.health}
      title={`${n.service} — outside the mesh (egress) — ${n.health}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} className="graph-handle" />
      {detail === 'box' ? null : (
        <div className="graph-node-title" data-test="graph-node-external" data-host={n.service}>
          <GlobeIcon />
          <span className={detail === 'name' ? 'graph-node-bigname' : 'graph-node-name'}>{n.service}</span>
        </div>
      )}
      {detail === 'full' ? (
        <>
          <div className="graph-node-sub">outside the mesh · egress</div>
          <div className="graph-node-stats" data-test="graph-node-stats">
            <span>{formatRps(t.rps)} rps</span>
            <span className={t.successRate !== null && t.successRate < 0.99 ? 'bad' : undefined}>
              {formatPercent(t.successRate)}
            </span>
            <span>p95 {formatMs(t.p95)}</span>
          </div>
        </>
      ) : null}
    </div>
  );
}

function NamespaceNodeView({ data, width, height }: NodeProps<NamespaceFlowNode>) {
  return (
    <div className="graph-namespace" style={{ width, height }} data-test={`graph-namespace-${data.label}`}>
      <span className="graph-namespace-label">
        {data.label}
        <span className="graph-namespace-count">{data.count}</span>
      </span>
    </div>
  );
}

export const NamespaceNode = memo(NamespaceNodeView);
