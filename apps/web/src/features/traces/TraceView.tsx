'use client';
import { useQuery } from '@tanstack/react-query';
import type { SpanView, TraceDetail } from '@weft/schema';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { useWindowHref } from '@/lib/window.ts';
import { formatDateTime, formatOffsetUs, formatUs } from '@/lib/format.ts';
import { ErrorState, Loading, PageHeader, StaleNotice } from '@/components/ui.tsx';
import { timeTicks, waterfallRows, type WaterfallRow } from './waterfall.ts';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_COLORS = [
  '#0066cc',
  '#4cb140',
  '#7d3fb8',
  '#ec7a08',
  '#009596',
  '#5752d1',
  '#c58c00',
  '#2b9af3',
  '#6a6e73',
  '#23511e',
  '#a18fff',
  '#8f4700',
];
const ERROR_COLOR = '#c9190b';
const INDENT_PX = 16;

function serviceKey(s: SpanView): string {
  return s.namespace ? `${s.namespace}/${s.service}` : s.service;
}

export function TraceView({ traceId }: { traceId: string }) {
  const trpc = useTRPC();
  const href = useWindowHref();
  const valid = TRACE_ID.test(traceId);
  const query = useQuery(
    trpc.traces.get.queryOptions(
      { traceId },
      { enabled: valid, refetchInterval: 10_000, placeholderData: undefined },
    ),
  );

  return (
    <div className="page" data-test="trace-page">
      <div className="breadcrumb">
        <Link href={href('/traces')}>Traces</Link> <span>/</span> <span className="mono">{traceId}</span>
      </div>
      {!valid ? (
        <ErrorState
          error={new Error(`"${traceId}" is not a trace id (32 lower-case hex characters).`)}
          what="trace"
        />
      ) : query.isPending ? (
        <Loading what="trace" />
      ) : !query.data ? (
        <ErrorState error={query.error} what={`trace ${traceId}`} />
      ) : (
        <>
          {query.isError ? <StaleNotice error={query.error} /> : null}
          <Waterfall trace={query.data} />
        </>
      )}
    </div>
  );
}

function Waterfall({ trace }: { trace: TraceDetail }) {
  const rows = useMemo(() => waterfallRows(trace), [trace]);
  const colors = useMemo(() => {
    const map = new Map<string, string>();
    for (const r of rows) {
      const key = serviceKey(r.span);
      if (!map.has(key)) map.set(key, SPAN_COLORS[map.size % SPAN_COLORS.length]!);
    }
    return map;
  }, [rows]);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const totalUs = Math.max(trace.durationUs, ...trace.spans.map((s) => s.offsetUs + s.durationUs), 1);
  const ticks = useMemo(() => timeTicks(totalUs), [totalUs]);
  const errors = trace.spans.filter((s) => s.status === 'error').length;
  const root = rows[0]?.span;
  const selected = rows.find((r) => r.span.spanId === selectedId)?.span ?? null;
  const visible = rows.filter((r) => !r.ancestors.some((a) => collapsed.has(a)));

  const toggle = (id: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <>
      <PageHeader
        title={<>{root ? `${root.service}: ${root.name}` : 'Trace'}</>}
        subtitle={
          <span data-test="trace-summary">
            {formatDateTime(trace.startMs)} · <strong>{formatUs(trace.durationUs)}</strong> ·{' '}
            {trace.spans.length} spans · {colors.size} services ·{' '}
            <span className={errors ? 'text-failing' : undefined}>
              {errors} error{errors === 1 ? '' : 's'}
            </span>
          </span>
        }
      />
      <div className="service-legend" data-test="trace-services">
        {[...colors].map(([svc, color]) => (
          <span key={svc} className="legend-item">
            <span className="legend-swatch" style={{ background: color }} />
            {svc}
          </span>
        ))}
      </div>
      <div className={selected ? 'trace-layout with-details' : 'trace-layout'}>
        <div className="waterfall panel" data-test="waterfall" role="table" aria-label="Spans">
          <div className="wf-header" role="row">
            <div className="wf-label" role="columnheader">
              Service · operation
            </div>
            <div className="wf-timeline wf-axis" role="columnheader" data-test="waterfall-axis">
              {ticks.map((t) => (
                <span key={t} className="wf-tick" style={{ left: `${(t / totalUs) * 100}%` }}>
                  {formatOffsetUs(t)}
                </span>
              ))}
            </div>
          </div>
          {visible.map((row) => (
            <SpanRow
              key={row.span.spanId}
              row={row}
              totalUs={totalUs}
              color={row.span.status === 'error' ? ERROR_COLOR : colors.get(serviceKey(row.span))!}
              serviceColor={colors.get(serviceKey(row.span))!}
              ticks={ticks}
              selected={row.span.spanId === selectedId}
              collapsed={collapsed.has(row.span.spanId)}
              onSelect={() => setSelectedId((cur) => (cur === row.span.spanId ? null : row.span.spanId))}
              onToggle={() => toggle(row.span.spanId)}
            />
          ))}
        </div>
        {selected ? <SpanDetails span={selected} trace={trace} onClose={() => setSelectedId(null)} /> : null}
      </div>
    </>
  );
}

function SpanRow({
  row,
  totalUs,
  color,
  serviceColor,
  ticks,
  selected,
  collapsed,
  onSelect,
  onToggle,
}: {
  row: WaterfallRow;
  totalUs: number;
  color: string;
  serviceColor: string;
  ticks: number[];
  selected: boolean;
  collapsed: boolean;
  onSelect: () => void;
  onToggle: () => void;
}) {
  const s = row.span;
  const left = (s.offsetUs / totalUs) * 100;
  const width = Math.max((s.durationUs / totalUs) * 100, 0.3);
  // Duration text: after the bar when there is room, else before it, else inside it.
  const labelPlace = left + width < 84 ? 'after' : left > 14 ? 'before' : 'inside';
  return (
    <div
      className={`wf-row${selected ? ' selected' : ''}${s.status === 'error' ? ' error' : ''}`}
      role="row"
      tabIndex={0}
      onClick={onSelect}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onSelect();
        }
      }}
      data-test="waterfall-span"
      data-span-id={s.spanId}
      data-parent-span-id={s.parentSpanId ?? ''}
      data-depth={row.depth}
      data-service={s.service}
      data-status={s.status}
      aria-selected={selected}
    >
      <div
        className="wf-label"
        role="cell"
        style={{ paddingLeft: 6 + row.depth * INDENT_PX }}
        data-test="waterfall-span-label"
      >
        {row.childCount > 0 ? (
          <button
            type="button"
            className="wf-toggle"
            aria-label={collapsed ? 'Expand' : 'Collapse'}
            onClick={(e) => {
              e.stopPropagation();
              onToggle();
            }}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="wf-toggle-space" />
        )}
        <span className="wf-chip" style={{ background: serviceColor }} />
        <span className="wf-service">{s.service}</span>
        <span className="wf-name" title={s.name}>
          {s.name}
        </span>
        {s.status === 'error' ? (
          <span className="wf-error-mark" title="error">
            !
          </span>
        ) : null}
      </div>
      <div className="wf-timeline" role="cell">
        {ticks.map((t) => (
          <span key={t} className="wf-gridline" style={{ left: `${(t / totalUs) * 100}%` }} />
        ))}
        <div
          className="wf-bar"
          data-test="waterfall-bar"
          style={{ left: `${left}%`, width: `${width}%`, background: color }}
          title={`${formatUs(s.durationUs)} at +${formatUs(s.offsetUs)}`}
        />
        <span
          className={labelPlace === 'inside' ? 'wf-duration inside' : 'wf-duration'}
          style={
            labelPlace === 'after'
              ? { left: `calc(${left + width}% + 4px)` }
              : labelPlace === 'before'
                ? { right: `calc(${100 - left}% + 4px)` }
                : { right: `calc(${100 - left - width}% + 6px)` }
          }
        >
          {formatUs(s.durationUs)}
        </span>
      </div>
    </div>
  );
}

function SpanDetails({ span, trace, onClose }: { span: SpanView; trace: TraceDetail; onClose: () => void }) {
  const href = useWindowHref();
  const attrs = Object.entries(span.attributes).sort(([a], [b]) => a.localeCompare(b));
  const parent = span.parentSpanId ? trace.spans.find((s) => s.spanId === span.parentSpanId) : undefined;
  return (
    <aside className="side-panel span-details" data-test="span-details" data-span-id={span.spanId}>
      <div className="side-panel-header">
        <div>
          <div className="side-panel-title">{span.name}</div>
          <div className="muted small">
            {span.namespace ? (
              <Link
                href={href(
                  `/services/${encodeURIComponent(span.namespace)}/${encodeURIComponent(span.service)}`,
                )}
              >
                {span.namespace}/{span.service}
              </Link>
            ) : (
              span.service
            )}
          </div>
        </div>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close span details">
          ×
        </button>
      </div>
      <dl className="kv">
        <dt>Service</dt>
        <dd data-test="span-detail-service">{span.service}</dd>
        <dt>Kind</dt>
        <dd data-test="span-detail-kind">{span.kind}</dd>
        <dt>Status</dt>
        <dd data-test="span-detail-status" className={span.status === 'error' ? 'text-failing' : undefined}>
          {span.status}
          {span.statusMessage ? ` — ${span.statusMessage}` : ''}
        </dd>
        <dt>Duration</dt>
        <dd data-test="span-detail-duration">{formatUs(span.durationUs)}</dd>
        <dt>Start</dt>
        <dd>
          +{formatUs(span.offsetUs)} <span className="muted">({formatDateTime(span.startMs)})</span>
        </dd>
        <dt>Span id</dt>
        <dd className="mono">{span.spanId}</dd>
        <dt>Parent</dt>
        <dd className="mono">
          {span.parentSpanId
            ? `${span.parentSpanId}${parent ? ` (${parent.service})` : ' (not in trace)'}`
            : '— (root)'}
        </dd>
      </dl>
      <h3>Attributes</h3>
      {attrs.length === 0 ? (
        <div className="muted small">No attributes.</div>
      ) : (
        <table className="table compact attrs" data-test="span-attributes">
          <tbody>
            {attrs.map(([k, v]) => (
              <tr key={k}>
                <td className="mono attr-key">{k}</td>
                <td className="mono attr-value">{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </aside>
  );
}
