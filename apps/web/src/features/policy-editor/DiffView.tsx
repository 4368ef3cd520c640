'use client';
/** A unified diff (the text `weft policy diff` prints), one line per row, additions and removals coloured. */
import { splitLines } from '@weft/schema';

function lineClass(line: string): string {
  if (line.startsWith('+++ ') || line.startsWith('--- ')) return 'pe-diff-file';
  if (line.startsWith('@@')) return 'pe-diff-hunk';
  if (line.startsWith('+')) return 'pe-diff-add';
  if (line.startsWith('-')) return 'pe-diff-del';
  return 'pe-diff-ctx';
}

export function DiffView({ diff, empty, testId }: { diff: string; empty: string; testId: string }) {
  if (!diff) {
    return (
      <div className="pe-code pe-diff-none" data-test={testId} data-empty="true">
        {empty}
      </div>
    );
  }
  return (
    <pre className="pe-code pe-diff" data-test={testId}>
      {splitLines(diff).map((line, i) => (
        <span key={i} className={lineClass(line)}>
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}
