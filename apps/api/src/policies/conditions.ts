/**
 * The status conditions a policy carries, as Gateway API policies have them (GEP-713): `Accepted` is set by
 * the write path from validate(), `Programmed` by the config stream once proxies have the generation.
 */
import { hasErrors, type Condition, type Finding } from '@weft/schema';
import { describeFindings, PolicyStorageLimits } from './limits.ts';

export const MAX_CONDITIONS = 8;

function truncate(message: string): string {
  const max = PolicyStorageLimits.maxConditionMessageLength;
  return message.length <= max ? message : `${message.slice(0, max - 1)}…`;
}

/** Accepted=True (warnings in the message), or Accepted=False with reason Invalid and the errors. */
export function acceptedCondition(findings: readonly Finding[], generation: number, now: Date): Condition {
  const at = now.toISOString();
  if (hasErrors(findings)) {
    return {
      type: 'Accepted',
      status: 'False',
      reason: 'Invalid',
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
