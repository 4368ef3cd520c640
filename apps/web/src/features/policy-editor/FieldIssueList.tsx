'use client';
/**
 * What forms use to put problems next to their fields: `<FieldIssueList issues path />` under an input,
 * `issueProps(issues, path)` on the input (aria-invalid, aria-describedby), and `<IssueField>` for both
 * around a labelled input. Each list tells the shell which paths are on screen, so the shell's summary lists
 * only the problems no field shows.
 */
import { VALIDATION_CODES } from '@weft/schema';
import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from 'react';
import type { FieldIssue, FieldIssues } from './contract.ts';
import { issueListId, issuesAt, type ShownPaths } from './issues.ts';

/** The paths the mounted FieldIssueLists show (counted: two lists may show one path). */
export class ShownPathsStore {
  private readonly exact = new Map<string, number>();
  private readonly subtree = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private snapshot: ShownPaths = { exact: new Set(), subtree: new Set() };

  add(path: string, subtree: boolean): () => void {
    const map = subtree ? this.subtree : this.exact;
    map.set(path, (map.get(path) ?? 0) + 1);
    this.changed();
    return () => {
      const left = (map.get(path) ?? 1) - 1;
      if (left > 0) map.set(path, left);
      else map.delete(path);
      this.changed();
    };
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ShownPaths => this.snapshot;

  private changed(): void {
    this.snapshot = { exact: new Set(this.exact.keys()), subtree: new Set(this.subtree.keys()) };
    for (const listener of this.listeners) listener();
  }
}

const EMPTY: ShownPaths = { exact: new Set(), subtree: new Set() };
const noStore = { subscribe: () => () => {}, getSnapshot: () => EMPTY };

export const ShownPathsContext = createContext<ShownPathsStore | null>(null);

/** The paths fields currently show (for the shell's summary). */
export function useShownPaths(store: ShownPathsStore | null): ShownPaths {
  const source = store ?? noStore;
  return useSyncExternalStore(source.subscribe, source.getSnapshot, () => EMPTY);
}

function codeTitle(code: string): string | undefined {
  return (VALIDATION_CODES as Record<string, { title: string } | undefined>)[code]?.title;
}

/** One problem: its code (validate() code, or "SCHEMA") and message, coloured by severity. */
export function IssueLine({ issue, path }: { issue: FieldIssue; path?: string }) {
  const title = issue.code === 'SCHEMA' ? 'Not valid for the policy schema' : codeTitle(issue.code);
  return (
    <li className="finding" data-test="field-issue" data-code={issue.code} data-severity={issue.severity}>
      <span className="finding-head">
        <span className={`finding-code severity-${issue.severity}`} title={title}>
          {issue.code}
        </span>
        {path !== undefined ? <span className="mono muted finding-path">{path || '(resource)'}</span> : null}
      </span>
      <span className="finding-text">{issue.message}</span>
    </li>
  );
}

/**
 * The problems at `path` (with `subtree`, also those below it), shown under a field. Renders nothing when
 * there are none, but still marks the path as shown so the summary does not repeat it.
 */
export function FieldIssueList({
  issues,
  path,
  subtree = false,
}: {
  issues: FieldIssues;
  path: string;
  subtree?: boolean;
}) {
  const store = useContext(ShownPathsContext);
  useEffect(() => store?.add(path, subtree), [store, path, subtree]);
  const here = issuesAt(issues, path, { subtree });
  if (here.length === 0) return null;
  return (
    <ul className="findings pe-field-issues" id={issueListId(path)} data-test="field-issues" data-path={path}>
      {here.map((issue, i) => (
        <IssueLine key={`${issue.code}-${i}`} issue={issue} />
      ))}
    </ul>
  );
}

/** Spread on the input of `path`: marks it invalid and ties it to its FieldIssueList. */
export function issueProps(
  issues: FieldIssues,
  path: string,
  options: { subtree?: boolean } = {},
): { 'aria-invalid': boolean; 'aria-describedby': string | undefined } {
  const here = issuesAt(issues, path, options);
  const invalid = here.some((i) => i.severity === 'error');
  return { 'aria-invalid': invalid, 'aria-describedby': here.length ? issueListId(path) : undefined };
}

/** A labelled field (the console's `.field` look) with the problems at `path` under it. */
export function IssueField({
  label,
  path,
  issues,
  hint,
  className,
  children,
}: {
  label: string;
  path: string;
  issues: FieldIssues;
  hint?: ReactNode;
  className?: string;
  children: ReactNode;
}) {
  const invalid = issuesAt(issues, path).some((i) => i.severity === 'error');
  return (
    <div className={`field${invalid ? ' invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label className="pe-label">
        <span className="field-label">{label}</span>
        {children}
      </label>
      {hint && !invalid ? <span className="field-hint">{hint}</span> : null}
      <FieldIssueList issues={issues} path={path} />
    </div>
  );
}
