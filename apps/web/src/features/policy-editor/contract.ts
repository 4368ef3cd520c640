// For forms (from the shell's folder): `issuesAt(issues, path)` in ./issues.ts gives the problems at a path;
// `<FieldIssueList issues path />`, `issueProps(issues, path)` (aria-invalid, aria-describedby on the input)
// and `<IssueField label path issues>` in ./FieldIssueList.tsx show them next to the field. A path that no
// mounted FieldIssueList shows is listed in the shell's issues summary instead.
/**
 * The contract between the editor shell (EditorShell: validation as you type, YAML preview, diff against
 * what is live, apply, conflicts) and the per-kind forms in `forms/`. A form only edits a spec; the shell
 * owns metadata, targetRef, validation and the write, so every kind behaves the same way.
 */
import type { ComponentType } from 'react';
import type { PolicyKind, PolicyResource, Severity } from '@weft/schema';

/** The spec type of one kind, straight from the shared zod schema. */
export type SpecOf<K extends PolicyKind> = Extract<PolicyResource, { kind: K }>['spec'];

/** A zod issue or a validate() finding, placed at a field. */
export interface FieldIssue {
  /** A validate() code (WEFT1001, …) or "SCHEMA" for a zod issue. */
  code: string;
  message: string;
  severity: Severity;
}

/**
 * Issues by the dotted path of the field in the resource, as validate() reports them ("spec.rules.0.limit.rate",
 * "spec.targetRef.name", "metadata.name"); issues without a path are under "". A form shows
 * `issues.get("spec." + path)` next to the field it renders (see `issuesAt` in the shell).
 */
export type FieldIssues = ReadonlyMap<string, readonly FieldIssue[]>;

/** What a form may offer as choices: the target service's versions and HTTPRoute rule names, other services. */
export interface EditorContext {
  namespace: string;
  /** The Service the policy targets (targetRef.name when kind is Service). */
  service: string | undefined;
  /** Versions of that service seen by the registry / cluster, oldest first. */
  versions: readonly string[];
  /** Services in the namespace (for MirrorPolicy targets, failover services). */
  services: readonly string[];
}

export interface SpecFormProps<K extends PolicyKind> {
  spec: SpecOf<K>;
  /** Called with a whole new spec on every edit (forms keep no copy of their own). */
  onChange: (spec: SpecOf<K>) => void;
  issues: FieldIssues;
  context: EditorContext;
  /** Viewers see the form disabled. */
  readOnly: boolean;
}

export interface KindEditor<K extends PolicyKind> {
  kind: K;
  /** "Rate limit", "Canary split", … */
  title: string;
  /** One sentence under the title. */
  summary: string;
  /** A reasonable starting spec for a new policy on `context.service` (targetRef included). */
  initialSpec: (context: EditorContext) => SpecOf<K>;
  Form: ComponentType<SpecFormProps<K>>;
}

/** The registry the shell looks kinds up in (forms/index.ts fills it, one entry per kind). */
export type KindEditors = { [K in PolicyKind]: KindEditor<K> };
