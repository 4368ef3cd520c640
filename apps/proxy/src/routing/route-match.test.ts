import { describe, expect, it } from 'vitest';
import type { RouteMatch } from '@weft/schema';
import { compileRouteMatch, comparePrecedence, MatchInput, type CompiledMatch } from './route-match.ts';
import type { RequestHeaders } from './split.ts';

function compiled(m: RouteMatch): CompiledMatch {
  const result = compileRouteMatch(m);
  if (!result.ok) throw new Error(result.problem);
  return result.match;
}

/** Which of `targets` the match accepts (GET, no headers unless given). */
function accepted(m: RouteMatch, targets: string[], headers: RequestHeaders = {}, method = 'GET'): string[] {
  const match = compiled(m);
  return targets.filter((t) => match.matches(new MatchInput(method, t, headers)));
}

describe('compileRouteMatch: paths', () => {
  const paths = ['/', '/api', '/api/', '/api/x', '/api/x/y', '/apix', '/ap', '/API', '/other/api'];

  it('PathPrefix matches whole segments, ignores a trailing slash on the value, and "/" matches all', () => {
    expect(accepted({ path: { type: 'PathPrefix', value: '/api' } }, paths)).toEqual([
      '/api',
      '/api/',
      '/api/x',
      '/api/x/y',
    ]);
    expect(accepted({ path: { type: 'PathPrefix', value: '/api/' } }, paths)).toEqual(
      accepted({ path: { type: 'PathPrefix', value: '/api' } }, paths),
    );
    expect(accepted({ path: { type: 'PathPrefix', value: '/api/x' } }, paths)).toEqual([
      '/api/x',
      '/api/x/y',
    ]);
    expect(accepted({ path: { type: 'PathPrefix', value: '/' } }, [...paths, '*'])).toEqual([...paths, '*']);
    expect(accepted({}, paths)).toEqual(paths); // no path: PathPrefix "/"
  });

  it('matches the path without the query string', () => {
    expect(
      accepted({ path: { type: 'Exact', value: '/api' } }, ['/api?x=1', '/api?', '/api/?x', '/apix?']),
    ).toEqual(['/api?x=1', '/api?']);
    expect(accepted({ path: { type: 'PathPrefix', value: '/api' } }, ['/apix?/api', '/api?next=/x'])).toEqual(
      ['/api?next=/x'],
    );
  });

  it('Exact is the whole path, case-sensitive, trailing slash significant', () => {
    expect(accepted({ path: { type: 'Exact', value: '/api' } }, paths)).toEqual(['/api']);
    expect(accepted({ path: { type: 'Exact', value: '/api/' } }, paths)).toEqual(['/api/']);
  });

  it('RegularExpression matches the whole path (anchored at both ends)', () => {
    const m = { path: { type: 'RegularExpression' as const, value: '/api/[a-z]+' } };
    expect(accepted(m, [...paths, '/api/x1', '/v1/api/x'])).toEqual(['/api/x']);
    expect(accepted({ path: { type: 'RegularExpression', value: '/a|/api' } }, paths)).toEqual(['/api']);
  });

  it('refuses an invalid regular expression and a path that is not absolute, saying where', () => {
    expect(compileRouteMatch({ path: { type: 'RegularExpression', value: '/api/(' } })).toEqual({
      ok: false,
      problem: expect.stringMatching(
        /^path\.value: not a valid regular expression \(JavaScript syntax\): /,
      ) as unknown,
    });
    // Wrapping it in anchors must not make an unbalanced pattern valid.
    expect(compileRouteMatch({ path: { type: 'RegularExpression', value: 'a)|(b' } }).ok).toBe(false);
    expect(
      compileRouteMatch({ headers: [{ type: 'RegularExpression', name: 'x', value: '[' }] }),
    ).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^headers\.0\.value: not a valid/) as unknown,
    });
    expect(
      compileRouteMatch({ queryParams: [{ type: 'RegularExpression', name: 'q', value: '*' }] }),
    ).toMatchObject({ ok: false, problem: expect.stringMatching(/^queryParams\.0\.value: /) as unknown });
    expect(compileRouteMatch({ path: { type: 'PathPrefix', value: 'api' } })).toEqual({
      ok: false,
      problem: 'path.value: an Exact or PathPrefix path must start with "/" (got "api")',
    });
  });
});

describe('compileRouteMatch: method, headers, query params', () => {
  it('matches the method exactly', () => {
    const m = compiled({ method: 'POST' });
    expect(m.matches(new MatchInput('POST', '/', {}))).toBe(true);
    expect(m.matches(new MatchInput('GET', '/', {}))).toBe(false);
  });

  it('header names are case-insensitive, values exact or a whole-value regex; every header must match', () => {
    const m: RouteMatch = {
      headers: [
        { type: 'Exact', name: 'X-Canary', value: 'yes' },
        { type: 'RegularExpression', name: 'X-User', value: 'u-[0-9]+' },
      ],
    };
    // node:http hands header names over in lower case.
    expect(accepted(m, ['/'], { 'x-canary': 'yes', 'x-user': 'u-42' })).toEqual(['/']);
    expect(accepted(m, ['/'], { 'x-canary': 'YES', 'x-user': 'u-42' })).toEqual([]);
    expect(accepted(m, ['/'], { 'x-canary': 'yes', 'x-user': 'u-42x' })).toEqual([]);
    expect(accepted(m, ['/'], { 'x-canary': 'yes' })).toEqual([]);
    expect(accepted(m, ['/'], { 'x-canary': ['no', 'yes'], 'x-user': 'u-1' })).toEqual(['/']);
  });

  it('of two entries for one header name only the first counts', () => {
    const m = compiled({
      headers: [
        { type: 'Exact', name: 'x-a', value: '1' },
        { type: 'Exact', name: 'X-A', value: '2' },
      ],
    });
    expect(m.precedence.headers).toBe(1);
    expect(m.matches(new MatchInput('GET', '/', { 'x-a': '1' }))).toBe(true);
  });

  it('query param names are case-sensitive and the first value counts', () => {
    const m: RouteMatch = {
      queryParams: [
        { type: 'Exact', name: 'debug', value: 'on' },
        { type: 'RegularExpression', name: 'page', value: '[0-9]+' },
      ],
    };
    expect(accepted(m, ['/?debug=on&page=2', '/x?page=10&debug=on'])).toEqual([
      '/?debug=on&page=2',
      '/x?page=10&debug=on',
    ]);
    expect(
      accepted(m, [
        '/?Debug=on&page=2',
        '/?debug=off&debug=on&page=2',
        '/?debug=on&page=2a',
        '/?debug=on',
        '/',
      ]),
    ).toEqual([]);
    expect(accepted(m, ['/?debug=on&page=2&debug=off', '/?debug=%6Fn&page=3'])).toEqual([
      '/?debug=on&page=2&debug=off',
      '/?debug=%6Fn&page=3', // values are compared decoded
    ]);
  });
});

describe('comparePrecedence', () => {
  const p = (m: RouteMatch) => compiled(m).precedence;
  /** Sorted most specific first. */
  const order = (named: Record<string, RouteMatch>) =>
    Object.entries(named)
      .map(([name, m]) => ({ name, precedence: p(m) }))
      .sort((a, b) => comparePrecedence(a.precedence, b.precedence))
      .map((x) => x.name);

  it('Exact > longest PathPrefix > RegularExpression > method > more headers > more query params', () => {
    expect(
      order({
        regex: { path: { type: 'RegularExpression', value: '/api/.*/very/long/pattern' } },
        catchAll: {},
        prefixShort: { path: { type: 'PathPrefix', value: '/api' } },
        prefixLongSlash: { path: { type: 'PathPrefix', value: '/api/v2/' } },
        exactShort: { path: { type: 'Exact', value: '/a' } },
        prefixLong: { path: { type: 'PathPrefix', value: '/api/v2/items' } },
      }),
    ).toEqual(['exactShort', 'prefixLong', 'prefixLongSlash', 'prefixShort', 'catchAll', 'regex']);

    const header = { type: 'Exact' as const, name: 'x', value: '1' };
    const query = { type: 'Exact' as const, name: 'q', value: '1' };
    expect(
      order({
        queries3: { queryParams: [query, { ...query, name: 'r' }, { ...query, name: 's' }] },
        headers1: { headers: [header] },
        method: { method: 'GET' },
        headers2: { headers: [header, { ...header, name: 'y' }] },
        nothing: {},
        queries1: { queryParams: [query] },
      }),
    ).toEqual(['method', 'headers2', 'headers1', 'queries3', 'queries1', 'nothing']);
  });

  it('a trailing slash does not make a prefix longer', () => {
    expect(
      comparePrecedence(
        p({ path: { type: 'PathPrefix', value: '/api/' } }),
        p({ path: { type: 'PathPrefix', value: '/api' } }),
      ),
    ).toBe(0);
  });
});
