'use client';
import {
  BaseEdge,
  EdgeLabelRenderer,
  getBezierPath,
  useStore,
  type EdgeProps,
  type ReactFlowState,
} from '@xyflow/react';
import { memo } from 'react';
import { HEALTH_COLOR } from '@/lib/health.ts';
import { errorRatio, formatPercent, formatRps } from '@/lib/format.ts';
import type { TrafficFlowEdge } from './flowTypes.ts';
import { edgeWidth } from './edgeStyle.ts';
import { useEdgeClick } from './edgeSelection.ts';
import { formatShare } from './versionGroups.ts';

/** Below this zoom, labels are unreadable anyway: don't mount them (thousands of DOM nodes on a big mesh). */
export const LABEL_MIN_ZOOM = 0.45;
const labelsReadable = (s: ReactFlowState) => s.transform[2] >= LABEL_MIN_ZOOM;
const LABEL_Z = 5;
/** Version node ids are "namespace/service@version". */
const touchesVersion = (e: { source: string; target: string }) =>
  e.source.includes('@') || e.target.includes('@');

function TrafficEdgeView(props: EdgeProps<TrafficFlowEdge>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, data, selected } =
    props;
  const [path, labelX, labelY] = getBezierPath({
    sourceX,
    sourceY,
    targetX,
    targetY,
    sourcePosition,
    targetPosition,
  });
  const showLabel = useStore(labelsReadable);
  const onLabelClick = useEdgeClick();
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
          interactionWidth={0}
          style={{
            stroke: color,
            strokeWidth: edgeWidth(t.rps) + (selected ? 1 : 0),
            strokeDasharray: e.health === 'idle' ? '5 4' : undefined,
          }}
        />
      </g>
      {showLabel ? (
        <EdgeLabelRenderer>
          <button
            type="button"
            className={`graph-edge-label nodrag nopan health-${e.health}${selected ? ' selected' : ''}`}
            style={{
              transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`,
              borderColor: color,
              // Edges to a version are lifted over its box by React Flow; their labels go above them to stay
              // clickable. Other labels stay under the nodes, as before.
              zIndex: touchesVersion(e) ? LABEL_Z : undefined,
            }}
            onClick={() => onLabelClick(e.id)}
            aria-label={`Signals of ${e.source} → ${e.target}`}
            data-test={`graph-edge-label-${key}`}
            data-rps={t.rps}
            data-error-rate={errRate ?? ''}
            data-share={e.share ?? ''}
          >
            {e.share !== undefined ? (
              // Into a version of a split service: the share of the split first, as a canary reads it.
              <>
                <span className="share">{formatShare(e.share)}</span>
                <span className="sep">·</span>
                {formatRps(t.rps)} rps
                {t.errors > 0 ? (
                  <>
                    <span className="sep">·</span>
                    <span className="err">{formatPercent(errRate ?? 0)} err</span>
                  </>
                ) : null}
              </>
            ) : (
              <>
                {formatRps(t.rps)} rps
                <span className="sep">·</span>
                <span className={t.errors > 0 ? 'err' : undefined}>{formatPercent(errRate ?? 0)} err</span>
              </>
            )}
          </button>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
}

export const TrafficEdge = memo(TrafficEdgeView);
