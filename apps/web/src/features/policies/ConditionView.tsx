'use client';
import type { Condition } from '@weft/schema';
import { formatDateTime } from '@/lib/format.ts';

/** Status as colour and word, the reason beside it; the message on hover and when expanded. */
export function ConditionView({ condition: c, type }: { condition: Condition | undefined; type: string }) {
  if (!c) {
    return (
      <span className="muted small" data-test={`condition-${type}`} data-status="none">
        not reported
      </span>
    );
  }
  const since = Date.parse(c.lastTransitionTime);
  const tone = c.status === 'True' ? 'true' : c.status === 'False' ? 'false' : 'unknown';
  const head = (
    <>
      <span className={`condition-status condition-${tone}`} data-test="condition-status">
        <span className="dot" aria-hidden />
        {c.status}
      </span>
      <span className="condition-reason" data-test="condition-reason">
        {c.reason}
      </span>
    </>
  );
  return (
    <div className="condition" data-test={`condition-${type}`} data-status={c.status} data-reason={c.reason}>
      {c.message ? (
        <details className="condition-details">
          <summary title={c.message}>{head}</summary>
          <div className="condition-message" data-test="condition-message">
            {c.message}
            {Number.isFinite(since) ? <div className="muted tiny">since {formatDateTime(since)}</div> : null}
          </div>
        </details>
      ) : (
        <div className="condition-summary">{head}</div>
      )}
    </div>
  );
}
