/**
 * A revision as text: the canonical YAML of the policy before and after it (packages/schema's policyYaml and
 * unifiedDiff, the same text `weft policy diff` prints), and what a revert would change.
 */
import { policyYaml, splitLines, unifiedDiff } from '@weft/schema';
import type { PolicyRefLike } from './paths.ts';

/** Enough context that a policy's whole YAML shows around its changes (policies are short). */
const WHOLE_FILE = 10_000;

/** The policy's YAML with `spec`, or "" when there is none (deleted, or not created yet). */
export function stateYaml(ref: PolicyRefLike, spec: unknown): string {
  if (spec === null || spec === undefined) return '';
  return policyYaml({ kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, spec });
}

/** The diff from one state to another, whole file, "" when equal. */
export function stateDiff(
  ref: PolicyRefLike,
  from: { spec: unknown; label: string },
  to: { spec: unknown; label: string },
): string {
  return unifiedDiff(stateYaml(ref, from.spec), stateYaml(ref, to.spec), from.label, to.label, WHOLE_FILE);
}

export type DiffLineKind = 'add' | 'remove' | 'context' | 'hunk';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

/** A unified diff's lines for display, without its ---/+++ header. */
export function diffLines(diff: string): DiffLine[] {
  return splitLines(diff).flatMap((line): DiffLine[] => {
    if (line.startsWith('--- ') || line.startsWith('+++ ')) return [];
    if (line.startsWith('@@')) return [{ kind: 'hunk', text: line }];
    const kind: DiffLineKind = line.startsWith('+') ? 'add' : line.startsWith('-') ? 'remove' : 'context';
    return [{ kind, text: line.slice(1) }];
  });
}

export interface RevisionLike {
  ref: PolicyRefLike;
  revision: number;
}

/**
 * The revisions that are what is live now: the newest of each policy in `revisions` (newest first). Reverting
 * to one of them would change nothing.
 */
export function latestRevisionKeys(revisions: readonly RevisionLike[]): Set<string> {
  const seen = new Set<string>();
  const latest = new Set<string>();
  for (const r of revisions) {
    const key = `${r.ref.kind}/${r.ref.namespace}/${r.ref.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    latest.add(`${key}#${r.revision}`);
  }
  return latest;
}

export function revisionKey(r: RevisionLike): string {
  return `${r.ref.kind}/${r.ref.namespace}/${r.ref.name}#${r.revision}`;
}
