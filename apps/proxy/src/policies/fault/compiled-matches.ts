/**
 * The `matches` of a fault or mirror policy compiled once per policy object (a config's policies are new
 * objects with every config, so a WeakMap keyed by them lives exactly as long as the config does).
 * Absent or empty: every request. Matches are Gateway API HTTPRouteMatches with the semantics of
 * routing/route-match.ts; any one of them matching is enough, precedence does not matter here.
 */
import type { RouteMatch } from '@weft/schema';
import { compileRouteMatch, MatchInput, type CompiledMatch } from '../../routing/route-match.ts';
import type { RequestHeaders } from '../../routing/split.ts';

export class RequestMatches {
  readonly #matches: readonly CompiledMatch[] | undefined;
  /** Matches that do not compile (the config check refuses such policies, so this stays empty there). */
  readonly problems: readonly string[];

  constructor(matches: readonly RouteMatch[] | undefined) {
    if (matches === undefined || matches.length === 0) {
      this.#matches = undefined;
      this.problems = [];
      return;
    }
    const compiled: CompiledMatch[] = [];
    const problems: string[] = [];
    for (const [i, m] of matches.entries()) {
      const c = compileRouteMatch(m);
      if (c.ok) compiled.push(c.match);
      else problems.push(`matches.${i}.${c.problem}`);
    }
    this.#matches = compiled;
    this.problems = problems;
  }

  /** True for every request when the policy has no matches. */
  test(method: string, target: string, headers: RequestHeaders): boolean {
    const matches = this.#matches;
    if (matches === undefined) return true;
    const input = new MatchInput(method, target, headers);
    for (const m of matches) if (m.matches(input)) return true;
    return false;
  }
}

/** The first problem of compiling `matches`, for the config check; undefined when all compile. */
export function matchesProblem(matches: readonly RouteMatch[] | undefined): string | undefined {
  return new RequestMatches(matches).problems[0];
}

/** A schema's safeParse as the config check uses it. */
export interface PolicyParser<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/**
 * `parser`, then the policy's matches compiled as the data path compiles them, so a policy with a match
 * that cannot work (an invalid regex) is refused by the config check rather than half-applied.
 */
export function compilingMatches<T extends { matches?: readonly RouteMatch[] | undefined } | undefined>(
  parser: PolicyParser<T>,
): PolicyParser<T> {
  return {
    safeParse(value) {
      const result = parser.safeParse(value);
      if (!result.success || result.data === undefined) return result;
      const compiled = new RequestMatches(result.data.matches);
      const problem = compiled.problems[0];
      if (problem === undefined) return result;
      return { success: false, error: { issues: [{ path: [], message: problem }] } };
    },
  };
}
