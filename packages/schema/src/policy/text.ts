/**
 * The canonical YAML of a policy resource: what the console previews before an apply and diffs against the
 * live one, and what `weft policy diff` compares. Canonical means the same resource always prints the same
 * text: defaults filled in and keys in the schema's order (through policyResourceSchema), and none of the
 * server's bookkeeping (resourceVersion, generation, uid, creationTimestamp, status), which would show up in
 * every diff without being anything the user changed.
 */
import { stringify } from 'yaml';
import { POLICY_API_VERSION } from './meta.ts';
import { POLICY_KINDS, type PolicyKind } from './kinds.ts';

/** What the YAML is made of; the spec is unknown because a draft being typed need not be valid yet. */
export interface PolicyTextInput {
  apiVersion?: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string> | undefined;
    annotations?: Record<string, string> | undefined;
  };
  spec: unknown;
}

/** The YAML of a spec (or any value), as `weft policy diff` compares specs: no line wrapping. */
export function specYaml(spec: unknown): string {
  return stringify(spec, { lineWidth: 0 });
}

function nonEmpty(record: Record<string, string> | undefined): Record<string, string> | undefined {
  return record && Object.keys(record).length > 0 ? record : undefined;
}

/** targetRef first, then the other keys as they come: the order for a draft the schema refuses. */
function targetRefFirst(spec: unknown): unknown {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec) || !('targetRef' in spec)) return spec;
  const { targetRef, ...rest } = spec as Record<string, unknown>;
  return { targetRef, ...rest };
}

/** The spec through its kind's schema (defaults, schema key order), or as written when the schema refuses it. */
export function normalizedSpec(kind: string, spec: unknown): unknown {
  if (!Object.hasOwn(POLICY_KINDS, kind)) return targetRefFirst(spec);
  const parsed = POLICY_KINDS[kind as PolicyKind].spec.safeParse(spec);
  return parsed.success ? parsed.data : targetRefFirst(spec);
}

/**
 * The resource as it prints: apiVersion, kind, metadata (name, namespace, labels and annotations when there
 * are any), spec. A valid spec goes through its kind's schema, so defaults are filled in and keys ordered as the
 * schema declares them; a spec the schema refuses prints as written.
 */
export function canonicalPolicy(resource: PolicyTextInput): Record<string, unknown> {
  const { kind, metadata } = resource;
  const spec = normalizedSpec(kind, resource.spec);
  const labels = nonEmpty(metadata.labels);
  const annotations = nonEmpty(metadata.annotations);
  return {
    apiVersion: resource.apiVersion ?? POLICY_API_VERSION,
    kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      ...(labels ? { labels: sortedRecord(labels) } : {}),
      ...(annotations ? { annotations: sortedRecord(annotations) } : {}),
    },
    spec,
  };
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The canonical YAML of a policy resource (see canonicalPolicy). */
export function policyYaml(resource: PolicyTextInput): string {
  return stringify(canonicalPolicy(resource), { lineWidth: 0 });
}
