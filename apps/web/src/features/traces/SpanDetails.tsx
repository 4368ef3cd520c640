'use client';
/**
 * The selected span's details beside the waterfall, grouped as Jaeger groups them: the span's own attributes
 * ("Tags"), the resource that sent it ("Process") and its instrumentation scope, its events with times relative
 * to the span's start, its links to other spans, and its trace context (flags, trace state).
 */
import type { SpanView, TraceDetail } from '@weft/schema';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { useWindowHref } from '@/lib/window.ts';
import { formatDateTime, formatUs } from '@/lib/format.ts';
import { drawnStartUs, formatSkew, SKEW_EXPLAINED, traceFlagNames } from './waterfall.ts';

function AttributeTable({ attributes, testId }: { attributes: Record<string, string>; testId: string }) {
  const entries = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <div className="muted small">None.</div>;
  return (
    <table className="table compact attrs" data-test={testId}>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <td className="mono attr-key">{k}</td>
            <td className="mono attr-value">{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A collapsible group; `count` in the summary so a closed group still says whether it holds anything. */
function Section({
  title,
  count,
  testId,
  open = true,
  children,
}: {
  title: string;
  count?: number;
  testId: string;
  open?: boolean;
  children: ReactNode;
}) {
  return (
    <details className="span-section" data-test={testId} open={open}>
      <summary>
        {title}
        {count !== undefined ? <span className="muted"> ({count})</span> : null}
      </summary>
      {children}
    </details>
  );
}

function SkewDetail({ span, originUs }: { span: SpanView; originUs: number }) {
  if (span.skewAdjustmentUs !== 0) {
    return (
      <div className="skew-detail" data-test="span-skew-detail" title={SKEW_EXPLAINED}>
        Adjusted for clock skew by <strong>{formatSkew(span.skewAdjustmentUs)}</strong>: drawn at +
        {formatUs(drawnStartUs(span) - originUs)}; its host&apos;s clock recorded it at{' '}
        {formatOffset(span.offsetUs - originUs)}.
      </div>
    );
  }
  if (span.skewWarning === 'longer-than-parent') {
    return (
      <div className="skew-detail warning" data-test="span-skew-detail">
        Recorded on another host than its parent and longer than it: clock skew can&apos;t explain that, so it
        is drawn as recorded.
      </div>
    );
  }
  return null;
}

/** "+1.2ms", or "−0.8ms" for a time before the axis origin (a skewed span's recorded start can be). */
function formatOffset(us: number): string {
  return us < 0 ? `−${formatUs(-us)}` : `+${formatUs(us)}`;
}

export function SpanDetails({
  span,
  trace,
  originUs,
  onClose,
}: {
  span: SpanView;
  trace: TraceDetail;
  /** Where the waterfall's time axis starts, in the trace's offsets (µs). */
  originUs: number;
  onClose: () => void;
}) {
  const href = useWindowHref();
  const parent = span.parentSpanId ? trace.spans.find((s) => s.spanId === span.parentSpanId) : undefined;
  const flags = traceFlagNames(span.flags);
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
      <SkewDetail span={span} originUs={originUs} />
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
        <dd data-test="span-detail-start">
          +{formatUs(drawnStartUs(span) - originUs)}{' '}
          <span className="muted">(recorded {formatDateTime(span.startMs)})</span>
        </dd>
        <dt>Span id</dt>
        <dd className="mono">{span.spanId}</dd>
        <dt>Parent</dt>
        <dd className="mono">
          {span.parentSpanId
            ? `${span.parentSpanId}${parent ? ` (${parent.service})` : ' (not in trace)'}`
            : '— (root)'}
        </dd>
        <dt>Trace flags</dt>
        <dd data-test="span-detail-flags" data-flags={span.flags}>
          {flags.length > 0
            ? flags.map((f) => (
                <span key={f} className="tag">
                  {f}
                </span>
              ))
            : 'none (not sampled)'}
        </dd>
        <dt>Trace state</dt>
        <dd className="mono" data-test="span-detail-tracestate">
          {span.traceState || <span className="muted">—</span>}
        </dd>
      </dl>

      <Section title="Tags" count={Object.keys(span.attributes).length} testId="span-tags">
        <AttributeTable attributes={span.attributes} testId="span-attributes" />
      </Section>

      <Section title="Process" count={Object.keys(span.resource).length} testId="span-process">
        <AttributeTable attributes={span.resource} testId="span-resource" />
      </Section>

      <Section title="Instrumentation scope" testId="span-scope" open={false}>
        {span.scope ? (
          <>
            <dl className="kv">
              <dt>Name</dt>
              <dd className="mono" data-test="span-scope-name">
                {span.scope.name || '—'}
              </dd>
              <dt>Version</dt>
              <dd className="mono">{span.scope.version || '—'}</dd>
            </dl>
            {Object.keys(span.scope.attributes).length > 0 ? (
              <AttributeTable attributes={span.scope.attributes} testId="span-scope-attributes" />
            ) : null}
          </>
        ) : (
          <div className="muted small">Not named by the sender.</div>
        )}
      </Section>

      <Section title="Events" count={span.events.length} testId="span-events">
        {span.events.length === 0 ? (
          <div className="muted small">No events.</div>
        ) : (
          <ol className="span-event-list">
            {span.events.map((e, i) => (
              <li key={i} data-test="span-event" data-event-name={e.name}>
                <div>
                  <span className="span-event-time" data-test="span-event-time">
                    +{formatUs(e.offsetUs)}
                  </span>{' '}
                  <strong>{e.name || '(unnamed)'}</strong>
                </div>
                {Object.keys(e.attributes).length > 0 ? (
                  <AttributeTable attributes={e.attributes} testId="span-event-attributes" />
                ) : null}
              </li>
            ))}
          </ol>
        )}
      </Section>

      <Section title="Links" count={span.links.length} testId="span-links">
        {span.links.length === 0 ? (
          <div className="muted small">No links.</div>
        ) : (
          <ul className="span-link-list">
            {span.links.map((l) => (
              <li
                key={`${l.traceId}/${l.spanId}`}
                data-test="span-link"
                data-trace-id={l.traceId}
                data-stored={l.traceStored}
              >
                <div className="mono small">
                  {l.traceStored ? (
                    <Link href={href(`/traces/${l.traceId}`)} data-test="span-link-trace">
                      {l.traceId}
                    </Link>
                  ) : (
                    <span title="No span of this trace is stored (not sampled, expired, or sent elsewhere)">
                      {l.traceId} <span className="muted">(not stored)</span>
                    </span>
                  )}
                </div>
                <div className="mono small muted">span {l.spanId}</div>
                {l.traceState ? <div className="mono small muted">tracestate {l.traceState}</div> : null}
                {Object.keys(l.attributes).length > 0 ? (
                  <AttributeTable attributes={l.attributes} testId="span-link-attributes" />
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </aside>
  );
}
