/**
 * The config check's parser for a RateLimitPolicy: its schema, then each rule's matches compiled as the
 * data path compiles them, so a policy with a match that cannot work (an invalid regex) is refused as a
 * whole and listed under `refused`, rather than enforced without that rule.
 */
import { compileRuleMatches, type RateLimitSpec } from './rate-limit-policy.ts';

/** A schema's safeParse as the config check uses it. */
export interface PolicyParser<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

export function compilingRuleMatches<T extends RateLimitSpec | undefined>(
  parser: PolicyParser<T>,
): PolicyParser<T> {
  return {
    safeParse(value) {
      const result = parser.safeParse(value);
      if (!result.success || result.data === undefined) return result;
      for (const [i, rule] of (result.data.rules ?? []).entries()) {
        const compiled = compileRuleMatches(rule);
        if (!compiled.ok)
          return { success: false, error: { issues: [{ path: ['rules', i], message: compiled.problem }] } };
      }
      return result;
    },
  };
}
