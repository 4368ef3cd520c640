'use client';
/**
 * The versioned graph's nodes: a service split by version is a box (its name, namespace, policy badges and
 * whole-service numbers in the header) holding one node per version with that version's own numbers. Same
 * levels of detail by zoom as ServiceNode: far out only coloured boxes, then names, then everything.
 */
import { Handle, Position, useStore, type NodeProps, type ReactFlowState } from '@xyflow/react';
import { memo } from 'react';
import { HEALTH_COLOR } from '@/lib/health.ts';
import { formatMs, formatPercent, formatRps } from '@/lib/format.ts';
import { NODE_WIDTH } from './layout.ts';
import type { ServiceGroupFlowNode, VersionFlowNode } from './flowTypes.ts';
import { BADGE, usePolicyBadges } from './policyBadges.ts';
import { groupHeight, VERSION_NODE_HEIGHT, VERSION_NODE_WIDTH } from './versionGroups.ts';

type Detail = 'box' | 'name' | 'full';
const detailAt = (s: ReactFlowState): Detail =>
  s.transform[2] < 0.22 ? 'box' : s.transform[2] < 0.45 ? 'name' : 'full';

/** `graph-version-node-<namespace>-<service>-<version>`: what e2e tests find a version by. */
export function versionNodeTestId(namespace: string, service: string, version: string): string {
  return `graph-version-node-${namespace}-${service}-${version}`;
}

function ServiceGroupNodeView({ data, selected }: NodeProps<ServiceGroupFlowNode>) {
  const detail = useStore(detailAt);
  const n = data.node;
  const t = n.traffic;
  const policies = usePolicyBadges(n.id);
  return (
    <div
      className={`graph-group health-${n.health}${selected ? ' selected' : ''}`}
      style={{
        width: NODE_WIDTH,
        height: groupHeight(data.versions),
        borderLeftColor: HEALTH_COLOR[n.health],
      }}
      data-test={`graph-node-${n.id}`}
      data-health={n.health}
      data-versions={data.versions}
      title={`${n.id} — ${data.versions} versions — ${n.health}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} className="graph-handle" />
      {detail === 'box' ? null : (
        <div className="graph-group-header">
          <div className="graph-node-title">
            <span className="graph-node-name">{n.service}</span>
            <span className="graph-node-versions">{data.versions} versions</span>
          </div>
          {detail === 'full' ? (
            <div className="graph-node-sub">
              {n.namespace} · {formatRps(t.rps)} rps
              {policies.map((kind) => (
                <span key={kind} className="graph-node-badge" title={kind} data-test="graph-node-policy">
                  {BADGE[kind]}
                </span>
              ))}
            </div>
          ) : null}
        </div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} className="graph-handle" />
    </div>
  );
}

export const ServiceGroupNode = memo(ServiceGroupNodeView);

function VersionNodeView({ data, selected }: NodeProps<VersionFlowNode>) {
  const detail = useStore(detailAt);
  const n = data.node;
  const t = n.traffic;
  const version = n.version ?? '';
  return (
    <div
      className={`graph-node graph-version-node health-${n.health}${selected ? ' selected' : ''}${detail === 'full' ? '' : ' compact'}`}
      style={{
        width: VERSION_NODE_WIDTH,
        height: VERSION_NODE_HEIGHT,
        borderLeftColor: HEALTH_COLOR[n.health],
      }}
      data-test={versionNodeTestId(n.namespace, n.service, version)}
      data-health={n.health}
      data-rps={t.rps}
      title={`${n.service} ${version} — ${n.health}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} className="graph-handle" />
      {detail === 'box' ? null : (
        <div className="graph-node-title">
          <span className="graph-node-name">{version}</span>
          {detail === 'full' ? (
            <span className="graph-node-versions">
              {n.instances} instance{n.instances === 1 ? '' : 's'}
            </span>
          ) : null}
        </div>
      )}
      {detail === 'full' ? (
        <div className="graph-node-stats" data-test="graph-node-stats">
          <span>{formatRps(t.rps)} rps</span>
          <span className={t.successRate !== null && t.successRate < 0.99 ? 'bad' : undefined}>
            {formatPercent(t.successRate)}
          </span>
          <span>p95 {formatMs(t.p95)}</span>
        </div>
      ) : null}
      <Handle type="source" position={Position.Right} isConnectable={false} className="graph-handle" />
    </div>
  );
}

export const VersionNode = memo(VersionNodeView);
