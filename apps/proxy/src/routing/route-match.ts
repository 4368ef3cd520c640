/**
 * Gateway API HTTPRouteMatch compiled for the data path: regular expressions are compiled once per config,
 * header names lower-cased, prefixes normalised, and each match carries its precedence so the rules of a
 * service can be sorted once and the first hit taken per request (as Envoy's ordered route table does).
 *
 * Semantics (Gateway API v1, with the implementation-specific choices marked):
 * - Paths are matched without the query string, as received (no percent-decoding, no normalisation).
 * - `Exact`: the whole path, case-sensitive.
 * - `PathPrefix`: whole segments: "/api" matches "/api", "/api/" and "/api/x", never "/apix"; a trailing
 *   slash on the value is ignored ("/api/" is "/api"); "/" matches every path. A match without a path is
 *   PathPrefix "/", as Gateway API defaults it.
 * - `RegularExpression` (paths, headers, query params): JavaScript syntax, matched against the whole value
 *   (anchored at both ends, as Envoy's RE2 matcher does). Implementation-specific.
 * - Header names are case-insensitive, query param names case-sensitive; the first value of a repeated
 *   query param counts. Of several entries with the same name in one match only the first counts, as
 *   Gateway API says.
 *
 * Precedence between matches (most specific first): Exact path > PathPrefix, longest value first (after
 * the trailing slash is dropped) > RegularExpression path > then a method match > more header matches >
 * more query-param matches. Putting every regex below every prefix is our implementation-specific choice
 * (Gateway API leaves it open; Linkerd's proxy ranks them the same way): a regex rule therefore never wins
 * over a rule that matches the same request by PathPrefix, including the catch-all "/" — scope a catch-all
 * with a method or header match, or use prefixes, when a regex rule must win. Equal precedence goes to the
 * earlier rule (see ServiceRules).
 */
import type { RouteMatch } from '@weft/schema';
import type { RequestHeaders } from './split.ts';

/** The parts of a request that route matches read. */
export class MatchInput {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly headers: RequestHeaders;
  readonly #query: string | undefined;
  #params: URLSearchParams | undefined;

  /** `target`: the origin-form request target ("/path?query"). */
  constructor(method: string, target: string, headers: RequestHeaders) {
    const q = target.indexOf('?');
    this.method = method;
    this.path = q === -1 ? target : target.slice(0, q);
    this.headers = headers;
    this.#query = q === -1 ? undefined : target.slice(q + 1);
  }

  /** The first value of a query parameter (name case-sensitive); the query is parsed on first use only. */
  queryParam(name: string): string | null {
    if (this.#query === undefined) return null;
    this.#params ??= new URLSearchParams(this.#query);
    return this.#params.get(name);
  }
}

/** How specific a match is; compared field by field in this order, higher first. */
export interface MatchPrecedence {
  /** 3 Exact, 2 PathPrefix, 1 RegularExpression. */
  readonly pathKind: 3 | 2 | 1;
  /** Length of an Exact or PathPrefix value (a prefix without its trailing slash); 0 for a regex. */
  readonly pathLength: number;
  readonly method: 0 | 1;
  readonly headers: number;
  readonly queryParams: number;
}

/** Negative when `a` is more specific than `b` (so sorting with it puts the most specific first). */
export function comparePrecedence(a: MatchPrecedence, b: MatchPrecedence): number {
  return (
    b.pathKind - a.pathKind ||
    b.pathLength - a.pathLength ||
    b.method - a.method ||
    b.headers - a.headers ||
    b.queryParams - a.queryParams
  );
}

type ValueTest = (value: string) => boolean;

export interface CompiledMatch {
  readonly precedence: MatchPrecedence;
  matches(input: MatchInput): boolean;
}

export type MatchCompilation = { ok: true; match: CompiledMatch } | { ok: false; problem: string };

/** The match every request satisfies: what a rule without matches has (PathPrefix "/"). */
export const MATCH_EVERYTHING: CompiledMatch = {
  precedence: { pathKind: 2, pathLength: 1, method: 0, headers: 0, queryParams: 0 },
  matches: () => true,
};

/**
 * One HTTPRouteMatch, compiled. `problem` says what keeps it from compiling (a regex that is not valid, a
 * path value that is not absolute), naming the field as the config spells it ("path.value", "headers.1").
 */
export function compileRouteMatch(m: RouteMatch): MatchCompilation {
  let path: ValueTest | undefined;
  let precedence: MatchPrecedence['pathKind'] = 2;
  let pathLength = 1;
  const p = m.path ?? { type: 'PathPrefix' as const, value: '/' };
  if (p.type === 'RegularExpression') {
    const test = regexTest(p.value);
    if (typeof test === 'string') return { ok: false, problem: `path.value: ${test}` };
    path = test;
    precedence = 1;
    pathLength = 0;
  } else if (!p.value.startsWith('/')) {
    return {
      ok: false,
      problem: `path.value: an Exact or PathPrefix path must start with "/" (got "${p.value}")`,
    };
  } else if (p.type === 'Exact') {
    const value = p.value;
    path = (v) => v === value;
    precedence = 3;
    pathLength = value.length;
  } else {
    const prefix = withoutTrailingSlashes(p.value);
    pathLength = prefix.length;
    if (prefix !== '/')
      path = (v) =>
        v.startsWith(prefix) && (v.length === prefix.length || v.charCodeAt(prefix.length) === 47); // '/'
  }

  const headers: { name: string; test: ValueTest }[] = [];
  for (const [i, h] of (m.headers ?? []).entries()) {
    const name = h.name.toLowerCase();
    if (headers.some((x) => x.name === name)) continue;
    const test = valueTest(h.type, h.value);
    if (typeof test === 'string') return { ok: false, problem: `headers.${i}.value: ${test}` };
    headers.push({ name, test });
  }
  const query: { name: string; test: ValueTest }[] = [];
  for (const [i, q] of (m.queryParams ?? []).entries()) {
    if (query.some((x) => x.name === q.name)) continue;
    const test = valueTest(q.type, q.value);
    if (typeof test === 'string') return { ok: false, problem: `queryParams.${i}.value: ${test}` };
    query.push({ name: q.name, test });
  }
  const method = m.method;

  return {
    ok: true,
    match: {
      precedence: {
        pathKind: precedence,
        pathLength,
        method: method === undefined ? 0 : 1,
        headers: headers.length,
        queryParams: query.length,
      },
      matches(input) {
        if (path !== undefined && !path(input.path)) return false;
        if (method !== undefined && input.method !== method) return false;
        for (const h of headers) {
          const value = input.headers[h.name];
          if (value === undefined) return false;
          if (typeof value === 'string' ? !h.test(value) : !value.some(h.test)) return false;
        }
        for (const q of query) {
          const value = input.queryParam(q.name);
          if (value === null || !q.test(value)) return false;
        }
        return true;
      },
    },
  };
}

function valueTest(type: 'Exact' | 'RegularExpression', value: string): ValueTest | string {
  return type === 'Exact' ? (v) => v === value : regexTest(value);
}

/** A test for the whole value, or why the pattern is not a valid regular expression. */
function regexTest(pattern: string): ValueTest | string {
  try {
    // Checked alone first: wrapped in the anchors, "a)|(b" would compile into something else.
    new RegExp(pattern);
    const re = new RegExp(`^(?:${pattern})$`);
    return (v) => re.test(v);
  } catch (err) {
    return `not a valid regular expression (JavaScript syntax): ${(err as Error).message}`;
  }
}

function withoutTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 1 && value.charCodeAt(end - 1) === 47) end--;
  return value.slice(0, end);
}
