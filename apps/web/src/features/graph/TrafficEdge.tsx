'use client';
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { HEALTH_COLOR } from '@/lib/health.ts';
import { errorRatio, formatPercent, formatRps } from '@/lib/format.ts';
import type { TrafficFlowEdge } from './flowTypes.ts';

/** Line width grows with the log of the request rate, so a 1000 rps edge doesn't swallow the picture. */
export function edgeWidth(rps: number): number {
  return Math.min(5, 1.25 + Math.log10(1 + rps) * 1.2);
}

function TrafficEdgeView(props: EdgeProps<TrafficFlowEdge>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, data, selected } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  if (!data) return null;
  const e = data.edge;
  const t = e.traffic;
  const errRate = errorRatio(t.requests, t.errors);
  const color = HEALTH_COLOR[e.health];
  const key = `${e.source}->${e.target}`;
  return (
    <>
      <g data-test={`graph-edge-${key}`} data-health={e.health}>
        <BaseEdge
          id={props.id}
          path={path}
          markerEnd={markerEnd}
          interactionWidth={12}
          style={{
            stroke: color,
            strokeWidth: edgeWidth(t.rps) + (selected ? 1 : 0),
            strokeDasharray: e.health === 'idle' ? '5 4' : undefined,
          }}
        />
      </g>
      <EdgeLabelRenderer>
        <div
          className={`graph-edge-label health-${e.health}`}
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`, borderColor: color }}
          data-test={`graph-edge-label-${key}`}
          data-rps={t.rps}
          data-error-rate={errRate ?? ''}
        >
          {formatRps(t.rps)} rps
          <span className="sep">·</span>
          <span className={t.errors > 0 ? 'err' : undefined}>{formatPercent(errRate ?? 0)} err</span>
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

export const TrafficEdge = memo(TrafficEdgeView);
