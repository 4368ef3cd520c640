'use client';
import { useQuery } from '@tanstack/react-query';
import type { SpanView, TraceDetail } from '@weft/schema';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { useTRPC } from '@/lib/trpc.ts';
import { useWindowHref } from '@/lib/window.ts';
import { formatDateTime, formatOffsetUs, formatUs } from '@/lib/format.ts';
import { ErrorState, Loading, PageHeader, StaleNotice } from '@/components/ui.tsx';
import { SpanDetails } from './SpanDetails.tsx';
import { SpanRow } from './SpanRow.tsx';
import { skewSummary, SKEW_EXPLAINED, timeTicks, timelineExtent, waterfallRows } from './waterfall.ts';

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
  const { originUs, totalUs } = useMemo(() => timelineExtent(trace), [trace]);
  const skew = skewSummary(trace);
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
            {formatDateTime(trace.startMs)} · <strong>{formatUs(totalUs)}</strong> · {trace.spans.length}{' '}
            spans · {colors.size} services ·{' '}
            <span className={errors ? 'text-failing' : undefined}>
              {errors} error{errors === 1 ? '' : 's'}
            </span>
            {skew ? (
              <>
                {' '}
                ·{' '}
                <span className="skew-summary" data-test="trace-skew-summary" title={SKEW_EXPLAINED}>
                  {skew}
                </span>
              </>
            ) : null}
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
              originUs={originUs}
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
        {selected ? (
          <SpanDetails
            span={selected}
            trace={trace}
            originUs={originUs}
            onClose={() => setSelectedId(null)}
          />
        ) : null}
      </div>
    </>
  );
}
