'use client';
/**
 * One span of the waterfall: its label (indented by depth, with a note when clock-skew adjustment moved it)
 * and its bar on the trace's time axis, with a tick for each of its events.
 */
import type { SpanView } from '@weft/schema';
import { formatUs } from '@/lib/format.ts';
import { drawnStartUs, formatSkew, SKEW_EXPLAINED, timelinePercent, type WaterfallRow } from './waterfall.ts';

const INDENT_PX = 16;

export function SpanRow({
  row,
  originUs,
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
  originUs: number;
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
  const startUs = drawnStartUs(s) - originUs;
  const left = timelinePercent(startUs, totalUs);
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
      data-skew-us={s.skewAdjustmentUs}
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
        <SkewNote span={s} />
      </div>
      <div className="wf-timeline" role="cell">
        {ticks.map((t) => (
          <span key={t} className="wf-gridline" style={{ left: `${(t / totalUs) * 100}%` }} />
        ))}
        <div
          className="wf-bar"
          data-test="waterfall-bar"
          style={{ left: `${left}%`, width: `${width}%`, background: color }}
          title={`${formatUs(s.durationUs)} at +${formatUs(startUs)}`}
        />
        {s.events.map((e, i) => (
          <span
            key={i}
            className="wf-event"
            data-test="span-event-marker"
            data-event-name={e.name}
            style={{ left: `${timelinePercent(startUs + e.offsetUs, totalUs)}%` }}
            title={`${e.name} at +${formatUs(e.offsetUs)} into the span`}
          />
        ))}
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

/** What adjustment did to this span, on its row: moved (by how much), or left in place though it doesn't fit. */
function SkewNote({ span }: { span: SpanView }) {
  if (span.skewAdjustmentUs !== 0) {
    const text = `adjusted for clock skew by ${formatSkew(span.skewAdjustmentUs)}`;
    return (
      <span className="wf-skew-note" data-test="span-skew-note" data-skew="adjusted" title={SKEW_EXPLAINED}>
        {text}
      </span>
    );
  }
  if (span.skewWarning === 'longer-than-parent') {
    return (
      <span
        className="wf-skew-note warning"
        data-test="span-skew-note"
        data-skew="longer-than-parent"
        title="Recorded on another host than its parent and longer than it: clock skew can't explain that, so it is drawn as recorded."
      >
        longer than parent
      </span>
    );
  }
  return null;
}
