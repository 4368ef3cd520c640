/**
 * What the API accepts as a policy before anything is validated against the cluster: the resource schema from
 * packages/schema plus the bounds on what a stored row may hold (the schema bounds each field, these bound the
 * whole), and the "SCHEMA" findings a dry run reports for input the schema refuses.
 */
import type { z } from 'zod';
import { AuthLimits, PolicyLimits, policyResourceSchema, type Finding } from '@weft/schema';

export const PolicyStorageLimits = {
  /** JSON of one spec. The schema bounds each list; this bounds their product (rules × matches × headers). */
  maxSpecBytes: 256 * 1024,
  maxLabels: PolicyLimits.maxLabels,
  /** All annotations together, as Kubernetes bounds them (TotalAnnotationSizeLimitB). */
  maxAnnotationsBytes: 256 * 1024,
  /** Findings kept with a policy; validate() reports one per offending list entry, so there can be many. */
  maxStoredFindings: 100,
  maxFindingMessageLength: 1024,
  /** conditionSchema's own limit on a message. */
  maxConditionMessageLength: 32_768,
  /** The user names written as updatedBy / by. */
  maxActorLength: AuthLimits.maxUsernameLength,
  /** history() answers at most this many revisions, newest first. */
  maxHistory: 500,
  defaultHistory: 100,
} as const;

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? {}), 'utf8');
}

/** policyResourceSchema plus the storage bounds: what apply() and the dry run parse. */
export const policyInputSchema = policyResourceSchema.superRefine((resource, ctx) => {
  const labels = Object.keys(resource.metadata.labels ?? {}).length;
  if (labels > PolicyStorageLimits.maxLabels) {
    ctx.addIssue({
      code: 'custom',
      path: ['metadata', 'labels'],
      message: `at most ${PolicyStorageLimits.maxLabels} labels (this has ${labels})`,
    });
  }
  const annotationBytes = jsonBytes(resource.metadata.annotations);
  if (annotationBytes > PolicyStorageLimits.maxAnnotationsBytes) {
    ctx.addIssue({
      code: 'custom',
      path: ['metadata', 'annotations'],
      message: `annotations may take at most ${PolicyStorageLimits.maxAnnotationsBytes} bytes together (these take ${annotationBytes})`,
    });
  }
  const specBytes = jsonBytes(resource.spec);
  if (specBytes > PolicyStorageLimits.maxSpecBytes) {
    ctx.addIssue({
      code: 'custom',
      path: ['spec'],
      message: `the spec may take at most ${PolicyStorageLimits.maxSpecBytes} bytes as JSON (this takes ${specBytes}): split it into several policies`,
    });
  }
});

/** A schema error in the shape of a validate() finding, so a dry run answers with one list. */
export interface SchemaFinding {
  code: 'SCHEMA';
  severity: 'error';
  path: string;
  message: string;
}

export type PolicyFinding = Finding | SchemaFinding;

/** "spec.backends.0.weight", as validate() writes paths. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'symbol' ? (p.description ?? '') : String(p))).join('.');
}

export function schemaFindings(error: z.ZodError): SchemaFinding[] {
  return error.issues.map((issue) => ({
    code: 'SCHEMA',
    severity: 'error',
    path: issuePath(issue.path),
    message: issue.message,
  }));
}

/** One line per finding: "WEFT2001 spec.backends: the weights sum to 0: …". */
export function describeFindings(findings: readonly PolicyFinding[], max = 10): string {
  const lines = findings.slice(0, max).map((f) => `${f.code} ${f.path || '(resource)'}: ${f.message}`);
  if (findings.length > max) lines.push(`… and ${findings.length - max} more`);
  return lines.join('; ');
}
