/**
 * The status conditions a policy carries, as Gateway API policies have them (GEP-713): `Accepted` is set by
 * the write path from validate() and by re-validation when the cluster changes (revalidate.ts),
 * `Programmed` by the config stream once proxies have the generation.
 */
import { hasErrors, type Condition, type Finding, type ValidationCode } from '@weft/schema';
import { describeFindings, PolicyStorageLimits } from './limits.ts';

export const MAX_CONDITIONS = 8;

function truncate(message: string): string {
  const max = PolicyStorageLimits.maxConditionMessageLength;
  return message.length <= max ? message : `${message.slice(0, max - 1)}…`;
}

/** Findings about whether the target exists: the only ones that can take Accepted back after a write. */
export const TARGET_CODES: ReadonlySet<ValidationCode> = new Set(['WEFT1001', 'WEFT1002', 'WEFT1003']);

export function isTargetFinding(finding: Pick<Finding, 'code' | 'severity'>): boolean {
  return finding.severity === 'error' && TARGET_CODES.has(finding.code);
}

/** GEP-713's reason for a policy whose target is not there; re-validation brings such a policy back. */
export const TARGET_NOT_FOUND = 'TargetNotFound';

/**
 * Accepted=True (warnings in the message), or Accepted=False with the errors: reason TargetNotFound when
 * every error is about the target (re-validation accepts it once the target is there), else Invalid.
 */
export function acceptedCondition(findings: readonly Finding[], generation: number, now: Date): Condition {
  const at = now.toISOString();
  if (hasErrors(findings)) {
    const errors = findings.filter((f) => f.severity === 'error');
    return {
      type: 'Accepted',
      status: 'False',
      reason: errors.every(isTargetFinding) ? TARGET_NOT_FOUND : 'Invalid',
      message: truncate(describeFindings(findings.filter((f) => f.severity === 'error'))),
      lastTransitionTime: at,
      observedGeneration: generation,
    };
  }
  return {
    type: 'Accepted',
    status: 'True',
    reason: 'Accepted',
    message:
      findings.length === 0
        ? 'the policy is valid'
        : truncate(`the policy is valid, with warnings: ${describeFindings(findings)}`),
    lastTransitionTime: at,
    observedGeneration: generation,
  };
}

/** Programmed=Unknown until the config stream reports that proxies have this generation. */
export function pendingProgrammedCondition(generation: number, now: Date): Condition {
  return {
    type: 'Programmed',
    status: 'Unknown',
    reason: 'Pending',
    message: `waiting for the config stream to send generation ${generation} to the proxies`,
    lastTransitionTime: now.toISOString(),
    observedGeneration: generation,
  };
}

/**
 * `updates` replace the conditions of the same type; a condition whose status did not change keeps its
 * lastTransitionTime (metav1.Condition semantics). Order: existing types first, then new ones.
 */
export function mergeConditions(existing: readonly Condition[], updates: readonly Condition[]): Condition[] {
  const out = [...existing];
  for (const update of updates) {
    const i = out.findIndex((c) => c.type === update.type);
    const previous = i >= 0 ? out[i] : undefined;
    const merged =
      previous && previous.status === update.status
        ? { ...update, lastTransitionTime: previous.lastTransitionTime }
        : update;
    if (i >= 0) out[i] = merged;
    else out.push(merged);
  }
  return out.slice(0, MAX_CONDITIONS);
}
