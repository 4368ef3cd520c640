/**
 * Where each problem with a draft is shown: zod issues (client-side, instant) and validate() findings (the
 * server's dry run) are keyed by the dotted path of the field they concern, the way validate() writes paths
 * ("spec.backends.1.version"), so a form puts each next to its field and the shell lists the rest.
 */
import type { Severity } from '@weft/schema';
import type { z } from 'zod';
import type { FieldIssue, FieldIssues } from './contract.ts';

/** A FieldIssue with the path it belongs to (what validate() and the dry run answer). */
export interface PathedIssue extends FieldIssue {
  path: string;
}

/** "spec.backends.0.weight" from zod's ["spec", "backends", 0, "weight"]. */
export function dottedPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'symbol' ? (p.description ?? '') : String(p))).join('.');
}

/** zod's own wording for an empty required string says nothing a user can act on. */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1) {
    return 'must not be empty';
  }
  return issue.message;
}

/** Client-side schema problems, as "SCHEMA" issues (the code the dry run uses for them too). */
export function schemaIssues(error: z.ZodError): PathedIssue[] {
  return error.issues.map((issue) => ({
    code: 'SCHEMA',
    severity: 'error' as const,
    path: dottedPath(issue.path),
    message: issueMessage(issue),
  }));
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1 };

/**
 * The issues by path, errors before warnings, each message once per path. Client schema issues come
 * first; the dry run's own "SCHEMA" findings repeat them and are dropped.
 */
export function fieldIssuesOf(
  client: readonly PathedIssue[],
  server: readonly PathedIssue[] = [],
): FieldIssues {
  const byPath = new Map<string, FieldIssue[]>();
  for (const issue of [...client, ...server.filter((f) => f.code !== 'SCHEMA')]) {
    const list = byPath.get(issue.path) ?? [];
    if (!list.some((i) => i.code === issue.code && i.message === issue.message)) {
      list.push({ code: issue.code, message: issue.message, severity: issue.severity });
    }
    byPath.set(issue.path, list);
  }
  for (const list of byPath.values()) {
    list.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  }
  return byPath;
}

/** Whether `path` is `prefix` itself or lies below it ("spec.pins.0.header.name" below "spec.pins"). */
export function isAtOrBelow(path: string, prefix: string): boolean {
  if (prefix === '') return true;
  return path === prefix || path.startsWith(`${prefix}.`);
}

/**
 * The issues a field shows: those at `path`, or with `subtree` also those below it (a list shows the
 * problems of entries it has no field for).
 */
export function issuesAt(
  issues: FieldIssues,
  path: string,
  options: { subtree?: boolean } = {},
): readonly FieldIssue[] {
  if (!options.subtree) return issues.get(path) ?? [];
  return [...issues.entries()].filter(([p]) => isAtOrBelow(p, path)).flatMap(([, list]) => list);
}

/** What fields on screen show: exact paths, and subtrees (see issuesAt). */
export interface ShownPaths {
  exact: ReadonlySet<string>;
  subtree: ReadonlySet<string>;
}

/** The issues no field on screen shows, for the summary, in path order. */
export function issuesNotShown(issues: FieldIssues, shown: ShownPaths): PathedIssue[] {
  const out: PathedIssue[] = [];
  for (const [path, list] of issues) {
    if (shown.exact.has(path)) continue;
    if ([...shown.subtree].some((prefix) => isAtOrBelow(path, prefix))) continue;
    for (const issue of list) out.push({ ...issue, path });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export function countBySeverity(issues: FieldIssues): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const list of issues.values()) {
    for (const issue of list) {
      if (issue.severity === 'error') errors++;
      else warnings++;
    }
  }
  return { errors, warnings };
}

/** A DOM id for a field's issue list, for aria-describedby ("issues-spec-backends-0-weight"). */
export function issueListId(path: string): string {
  return `issues-${path.replace(/[^a-zA-Z0-9_-]+/g, '-') || 'resource'}`;
}
