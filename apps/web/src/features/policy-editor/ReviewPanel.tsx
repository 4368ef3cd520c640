'use client';
/** What applying would write: the diff against what is live (the default view) or the whole YAML. */
import { diffCounts } from '@weft/schema';
import { useState } from 'react';
import { DiffView } from './DiffView.tsx';

export function ReviewPanel({ yaml, diff, isNew }: { yaml: string; diff: string; isNew: boolean }) {
  const [view, setView] = useState<'diff' | 'yaml'>('diff');
  const { added, removed } = diffCounts(diff);
  return (
    <section className="panel pe-review-panel" aria-label="What will be written">
      <div className="pe-review-head">
        <div className="segmented" role="tablist" aria-label="Show">
          <button
            type="button"
            role="tab"
            aria-selected={view === 'diff'}
            className={view === 'diff' ? 'active' : undefined}
            onClick={() => setView('diff')}
            data-test="editor-tab-diff"
          >
            Diff {isNew ? '(new)' : 'against live'}
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={view === 'yaml'}
            className={view === 'yaml' ? 'active' : undefined}
            onClick={() => setView('yaml')}
            data-test="editor-tab-yaml"
          >
            YAML
          </button>
        </div>
        <span className="small muted" data-test="editor-diff-counts">
          {diff ? (
            <>
              <span className="pe-diff-count-add">+{added}</span>{' '}
              <span className="pe-diff-count-del">−{removed}</span>
            </>
          ) : (
            'no changes'
          )}
        </span>
      </div>
      {/* Both stay in the page (one hidden), so either can be read without switching. */}
      <div role="tabpanel" hidden={view !== 'diff'}>
        <DiffView diff={diff} empty="No changes: this is what is live." testId="editor-diff" />
      </div>
      <div role="tabpanel" hidden={view !== 'yaml'}>
        <pre className="pe-code" data-test="editor-yaml">
          {yaml}
        </pre>
      </div>
    </section>
  );
}
