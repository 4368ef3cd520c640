import { describe, expect, it } from 'vitest';
import type { HeaderMap } from '../../http/exchange.ts';
import { clientConditionMet } from './conditional.ts';
import { HttpCache, requestCacheControl, type CacheLimits } from './http-cache.ts';
import { formatHttpDate } from './http-date.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const KEY = 'http://catalog.shop/products/1';

const LIMITS: CacheLimits = {
  maxBytes: 1024 * 1024,
  maxEntryBytes: 64 * 1024,
  heuristicPercent: 10,
  heuristicMaxMs: 3_600_000,
  staleWhileRevalidateMs: undefined,
  staleIfErrorMs: undefined,
};

function setup(limits: Partial<CacheLimits> = {}) {
  const clock = { t: T0 };
  const cache = new HttpCache({ ...LIMITS, ...limits }, () => clock.t);
  /** A GET exchange as the layer runs it: storability first, then the body. */
  const exchange = (
    response: HeaderMap,
    o: { status?: number; request?: HeaderMap; body?: string; key?: string } = {},
  ) => {
    const request = o.request ?? {};
    const status = o.status ?? 200;
    const headers = { date: formatHttpDate(clock.t), ...response };
    const why = cache.whyNotStorable('GET', request, requestCacheControl(request), status, headers);
    if (why !== undefined) return why;
    const stored = cache.put(
      o.key ?? KEY,
      request,
      clock.t,
      clock.t,
      status,
      headers,
      Buffer.from(o.body ?? 'body'),
    );
    return stored === undefined ? 'not stored' : 'stored';
  };
  const lookup = (request: HeaderMap = {}, key = KEY) => cache.lookup(key, request).kind;
  const advance = (s: number) => (clock.t += s * 1000);
  return { clock, cache, exchange, lookup, advance };
}

describe('what a shared cache stores (RFC 9111 §3)', () => {
  it.each<[string, HeaderMap, { status?: number; request?: HeaderMap }, string]>([
    ['max-age', { 'cache-control': 'max-age=60' }, {}, 'stored'],
    ['200 with only validators (heuristic / revalidate)', { etag: '"a"' }, {}, 'stored'],
    ['no-store in the response', { 'cache-control': 'no-store, max-age=60' }, {}, 'no-store'],
    [
      'no-store in the request',
      { 'cache-control': 'max-age=60' },
      { request: { 'cache-control': 'no-store' } },
      'no-store',
    ],
    ['private', { 'cache-control': 'private, max-age=60' }, {}, 'private'],
    [
      'qualified private counts as private',
      { 'cache-control': 'private="x-user", max-age=60' },
      {},
      'private',
    ],
    [
      'Authorization without public/s-maxage/must-revalidate',
      { 'cache-control': 'max-age=60' },
      { request: { authorization: 'Bearer x' } },
      'authorization',
    ],
    [
      'Authorization with public',
      { 'cache-control': 'public, max-age=60' },
      { request: { authorization: 'Bearer x' } },
      'stored',
    ],
    [
      'Authorization with s-maxage',
      { 'cache-control': 's-maxage=60' },
      { request: { authorization: 'Bearer x' } },
      'stored',
    ],
    [
      'Authorization with must-revalidate',
      { 'cache-control': 'must-revalidate, max-age=60' },
      { request: { authorization: 'Bearer x' } },
      'stored',
    ],
    ['Set-Cookie (conservative)', { 'cache-control': 'max-age=60', 'set-cookie': 'a=b' }, {}, 'set-cookie'],
    ['Vary: *', { 'cache-control': 'max-age=60', vary: '*' }, {}, 'vary-star'],
    ['206 Partial Content', { 'cache-control': 'max-age=60' }, { status: 206 }, 'partial'],
    ['302 without explicit freshness', {}, { status: 302 }, 'status'],
    ['302 with max-age', { 'cache-control': 'max-age=60' }, { status: 302 }, 'stored'],
    ['404 by default', {}, { status: 404 }, 'stored'],
    ['500 without explicit freshness', {}, { status: 500 }, 'status'],
    [
      'Content-Length over maxEntryBytes',
      { 'cache-control': 'max-age=60', 'content-length': String(64 * 1024 + 1) },
      {},
      'too-large',
    ],
  ])('%s', (_name, response, o, expected) => {
    expect(setup().exchange(response, o)).toBe(expected);
  });

  it('a body larger than maxEntryBytes is not stored even without Content-Length', () => {
    const { exchange } = setup({ maxEntryBytes: 10 });
    expect(exchange({ 'cache-control': 'max-age=60' }, { body: 'x'.repeat(11) })).toBe('not stored');
  });
});

describe('serving from the store (RFC 9111 §4)', () => {
  it('fresh until max-age, then revalidated', () => {
    const { exchange, lookup, advance } = setup();
    exchange({ 'cache-control': 'max-age=10', etag: '"v1"' });
    expect(lookup()).toBe('fresh');
    advance(9);
    expect(lookup()).toBe('fresh');
    advance(1);
    expect(lookup()).toBe('revalidate');
  });

  it('the Age the origin sent counts against the lifetime', () => {
    const { exchange, lookup, advance } = setup();
    exchange({ 'cache-control': 'max-age=10', age: '8' });
    expect(lookup()).toBe('fresh');
    advance(2);
    expect(lookup()).toBe('revalidate');
  });

  it.each<[string, HeaderMap, HeaderMap, number, string]>([
    [
      'request no-cache revalidates a fresh response',
      { 'cache-control': 'max-age=60' },
      { 'cache-control': 'no-cache' },
      0,
      'revalidate',
    ],
    [
      'Pragma: no-cache without Cache-Control',
      { 'cache-control': 'max-age=60' },
      { pragma: 'no-cache' },
      0,
      'revalidate',
    ],
    [
      'Pragma is ignored next to Cache-Control',
      { 'cache-control': 'max-age=60' },
      { pragma: 'no-cache', 'cache-control': 'max-stale' },
      0,
      'fresh',
    ],
    [
      'response no-cache always revalidates',
      { 'cache-control': 'no-cache, max-age=60' },
      {},
      0,
      'revalidate',
    ],
    [
      'request max-age older than allowed',
      { 'cache-control': 'max-age=60' },
      { 'cache-control': 'max-age=5' },
      10,
      'revalidate',
    ],
    [
      'request max-age within',
      { 'cache-control': 'max-age=60' },
      { 'cache-control': 'max-age=15' },
      10,
      'fresh',
    ],
    [
      'request max-age=0',
      { 'cache-control': 'max-age=60' },
      { 'cache-control': 'max-age=0' },
      1,
      'revalidate',
    ],
    [
      'min-fresh not met',
      { 'cache-control': 'max-age=60' },
      { 'cache-control': 'min-fresh=55' },
      10,
      'revalidate',
    ],
    ['min-fresh met', { 'cache-control': 'max-age=60' }, { 'cache-control': 'min-fresh=40' }, 10, 'fresh'],
    ['max-stale within', { 'cache-control': 'max-age=10' }, { 'cache-control': 'max-stale=30' }, 30, 'stale'],
    [
      'max-stale exceeded',
      { 'cache-control': 'max-age=10' },
      { 'cache-control': 'max-stale=5' },
      30,
      'revalidate',
    ],
    [
      'max-stale without a value',
      { 'cache-control': 'max-age=10' },
      { 'cache-control': 'max-stale' },
      10_000,
      'stale',
    ],
    [
      'max-stale vs must-revalidate',
      { 'cache-control': 'max-age=10, must-revalidate' },
      { 'cache-control': 'max-stale' },
      30,
      'revalidate',
    ],
    [
      'max-stale vs proxy-revalidate',
      { 'cache-control': 'max-age=10, proxy-revalidate' },
      { 'cache-control': 'max-stale' },
      30,
      'revalidate',
    ],
    [
      'max-stale vs s-maxage (implies proxy-revalidate)',
      { 'cache-control': 's-maxage=10' },
      { 'cache-control': 'max-stale' },
      30,
      'revalidate',
    ],
    [
      'only-if-cached with a fresh response',
      { 'cache-control': 'max-age=60' },
      { 'cache-control': 'only-if-cached' },
      0,
      'fresh',
    ],
    [
      'only-if-cached with a stale response',
      { 'cache-control': 'max-age=10' },
      { 'cache-control': 'only-if-cached' },
      30,
      'unsatisfiable',
    ],
  ])('%s', (_name, response, request, after, expected) => {
    const { exchange, lookup, advance } = setup();
    exchange(response);
    advance(after);
    expect(lookup(request)).toBe(expected);
  });

  it('only-if-cached with nothing stored is unsatisfiable (504)', () => {
    expect(setup().lookup({ 'cache-control': 'only-if-cached' })).toBe('unsatisfiable');
  });

  it('HEAD and GET share the key: the layer looks up GET responses for both', () => {
    const { exchange, cache } = setup();
    exchange({ 'cache-control': 'max-age=60' });
    expect(cache.lookup(KEY, {}).kind).toBe('fresh');
  });
});

describe('Vary (RFC 9111 §4.1)', () => {
  it('keeps one variant per value of the nominated request fields', () => {
    const { exchange, cache } = setup();
    const vary = { 'cache-control': 'max-age=60', vary: 'Accept-Language' };
    exchange(vary, { request: { 'accept-language': 'en' }, body: 'hello' });
    exchange(vary, { request: { 'accept-language': 'fr' }, body: 'bonjour' });
    const body = (request: HeaderMap) => {
      const r = cache.lookup(KEY, request);
      return r.kind === 'fresh' ? r.entry.body.toString() : r.kind;
    };
    expect(body({ 'accept-language': 'en' })).toBe('hello');
    expect(body({ 'accept-language': 'fr' })).toBe('bonjour');
    expect(body({ 'accept-language': 'de' })).toBe('miss');
    expect(body({})).toBe('miss');
    expect(cache.store.entries).toBe(2);
  });

  it('an absent field matches only an absent field; whitespace around commas does not count', () => {
    const { exchange, lookup } = setup();
    exchange(
      { 'cache-control': 'max-age=60', vary: 'accept-encoding, x-tenant' },
      { request: { 'accept-encoding': 'gzip, br' } },
    );
    expect(lookup({ 'accept-encoding': 'gzip,br' })).toBe('fresh');
    expect(lookup({ 'accept-encoding': 'gzip,br', 'x-tenant': '' })).toBe('miss');
  });

  it('a new response for the same variant replaces it', () => {
    const { exchange, cache } = setup();
    exchange({ 'cache-control': 'max-age=60', vary: 'x-a' }, { request: { 'x-a': '1' }, body: 'old' });
    exchange({ 'cache-control': 'max-age=60', vary: 'x-a' }, { request: { 'x-a': '1' }, body: 'new' });
    const r = cache.lookup(KEY, { 'x-a': '1' });
    expect(r.kind === 'fresh' && r.entry.body.toString()).toBe('new');
    expect(cache.store.entries).toBe(1);
  });
});

describe('revalidation (RFC 9111 §4.3)', () => {
  it('sends the stored validators', () => {
    const { exchange, cache } = setup();
    const lastModified = formatHttpDate(T0 - 60_000);
    exchange({ 'cache-control': 'max-age=1', etag: '"v1"', 'last-modified': lastModified });
    const r = cache.lookup(KEY, { 'cache-control': 'no-cache' });
    expect(r.kind).toBe('revalidate');
    if (r.kind !== 'revalidate') return;
    expect(cache.validators(r.entry)).toEqual({ 'if-none-match': '"v1"', 'if-modified-since': lastModified });
  });

  it('a 304 updates the stored fields (not Content-Length) and the age starts again', () => {
    const { exchange, cache, advance, clock } = setup();
    exchange({ 'cache-control': 'max-age=10', etag: '"v1"', 'x-version': '1', 'content-length': '4' });
    advance(30);
    const r = cache.lookup(KEY, {});
    if (r.kind !== 'revalidate') throw new Error(r.kind);
    cache.refresh(
      r.entry,
      {
        date: formatHttpDate(clock.t),
        'cache-control': 'max-age=20',
        'x-version': '2',
        'content-length': '0',
        connection: 'close',
      },
      clock.t,
      clock.t,
    );
    const after = cache.lookup(KEY, {});
    if (after.kind !== 'fresh') throw new Error(after.kind);
    expect(after.ageMs).toBe(0);
    expect(after.entry.headers).toMatchObject({
      'x-version': '2',
      'content-length': '4',
      etag: '"v1"',
      'cache-control': 'max-age=20',
    });
    expect(after.entry.headers.connection).toBe(undefined);
    expect(after.entry.body.toString()).toBe('body');
    advance(20);
    expect(cache.lookup(KEY, {}).kind).toBe('revalidate');
  });

  it.each<[string, HeaderMap, boolean]>([
    ['If-None-Match with the same tag', { 'if-none-match': '"v1"' }, true],
    ['If-None-Match weak comparison', { 'if-none-match': 'W/"v1"' }, true],
    ['If-None-Match list', { 'if-none-match': '"x", "v1"' }, true],
    ['If-None-Match *', { 'if-none-match': '*' }, true],
    ['If-None-Match another tag', { 'if-none-match': '"v2"' }, false],
    ['If-Modified-Since after Last-Modified', { 'if-modified-since': formatHttpDate(T0) }, true],
    [
      'If-Modified-Since before Last-Modified',
      { 'if-modified-since': formatHttpDate(T0 - 3_600_000) },
      false,
    ],
    [
      'If-None-Match wins over If-Modified-Since',
      { 'if-none-match': '"v2"', 'if-modified-since': formatHttpDate(T0) },
      false,
    ],
  ])("the client's own condition: %s", (_name, request, met) => {
    const { exchange, cache } = setup();
    exchange({ 'cache-control': 'max-age=60', etag: '"v1"', 'last-modified': formatHttpDate(T0 - 60_000) });
    const r = cache.lookup(KEY, {});
    if (r.kind !== 'fresh') throw new Error(r.kind);
    expect(clientConditionMet(r.entry, request)).toBe(met);
  });
});

describe('stale-while-revalidate and stale-if-error (RFC 5861), bounded by the policy', () => {
  it.each<[string, string, number | undefined, number, string]>([
    // response directives, policy bound (ms), seconds after expiry, lookup
    ['response window', 'max-age=10, stale-while-revalidate=30', undefined, 20, 'stale-while-revalidate'],
    ['past the response window', 'max-age=10, stale-while-revalidate=30', undefined, 31, 'revalidate'],
    [
      'policy bound shorter than the directive',
      'max-age=10, stale-while-revalidate=30',
      5_000,
      6,
      'revalidate',
    ],
    ['policy fills in without a directive', 'max-age=10', 30_000, 20, 'stale-while-revalidate'],
    ['no directive, no policy', 'max-age=10', undefined, 1, 'revalidate'],
    // No lifetime at all (no max-age, Expires or Last-Modified): never fresh, so the policy can't make it servable.
    ['no freshness at all', 'public', 30_000, 1, 'revalidate'],
    [
      'must-revalidate forbids it',
      'max-age=10, must-revalidate, stale-while-revalidate=30',
      30_000,
      5,
      'revalidate',
    ],
    ['no-cache forbids it', 'no-cache, max-age=10, stale-while-revalidate=30', 30_000, 5, 'revalidate'],
  ])('swr: %s', (_name, cc, policyMs, afterExpiry, expected) => {
    const { exchange, lookup, advance } = setup({ staleWhileRevalidateMs: policyMs });
    exchange({ 'cache-control': cc });
    advance(10 + afterExpiry);
    expect(lookup()).toBe(expected);
  });

  it('one background revalidation per key at a time', () => {
    const { exchange, cache, advance } = setup();
    exchange({ 'cache-control': 'max-age=10, stale-while-revalidate=60' });
    advance(15);
    const first = cache.lookup(KEY, {});
    const second = cache.lookup(KEY, {});
    expect(first.kind === 'stale-while-revalidate' && first.revalidate).toBe(true);
    expect(second.kind === 'stale-while-revalidate' && second.revalidate).toBe(false);
    cache.revalidated(KEY);
    const third = cache.lookup(KEY, {});
    expect(third.kind === 'stale-while-revalidate' && third.revalidate).toBe(true);
  });

  it.each<[string, string, number | undefined, HeaderMap, number, boolean]>([
    ['within the response window', 'max-age=10, stale-if-error=60', undefined, {}, 30, true],
    ['past it', 'max-age=10, stale-if-error=60', undefined, {}, 71, false],
    ['policy bound', 'max-age=10, stale-if-error=60', 10_000, {}, 30, false],
    ['policy fills in', 'max-age=10', 60_000, {}, 30, true],
    ['request asks for it', 'max-age=10', 60_000, { 'cache-control': 'stale-if-error=100' }, 30, true],
    [
      'must-revalidate forbids it',
      'max-age=10, must-revalidate, stale-if-error=60',
      undefined,
      {},
      30,
      false,
    ],
    ['a fresh response always stands in', 'max-age=100', undefined, {}, 30, true],
  ])('sie: %s', (_name, cc, policyMs, request, after, expected) => {
    const { exchange, cache, advance } = setup({ staleIfErrorMs: policyMs });
    exchange({ 'cache-control': cc });
    advance(after);
    const r = cache.store.lookup(KEY, {});
    if (r === undefined) throw new Error('not stored');
    expect(cache.mayServeOnError(r, requestCacheControl(request))).toBe(expected);
  });
});

describe('invalidation and bounds', () => {
  it('invalidate drops every variant of the key', () => {
    const { exchange, cache, lookup } = setup();
    exchange({ 'cache-control': 'max-age=60', vary: 'x-a' }, { request: { 'x-a': '1' } });
    exchange({ 'cache-control': 'max-age=60', vary: 'x-a' }, { request: { 'x-a': '2' } });
    expect(cache.invalidate(KEY)).toBe(2);
    expect(lookup({ 'x-a': '1' })).toBe('miss');
    expect(cache.store.bytes).toBe(0);
  });

  it('stays within maxBytes, least recently used out first', () => {
    const { exchange, cache, lookup } = setup({ maxBytes: 3_000 });
    const body = 'x'.repeat(600);
    for (const k of ['a', 'b', 'c']) exchange({ 'cache-control': 'max-age=60' }, { key: k, body });
    expect(cache.store.entries).toBe(3);
    expect(lookup({}, 'a')).toBe('fresh'); // a is now the most recently used
    exchange({ 'cache-control': 'max-age=60' }, { key: 'd', body });
    expect(cache.store.bytes).toBeLessThanOrEqual(3_000);
    expect(['a', 'b', 'c', 'd'].map((k) => lookup({}, k))).toEqual(['fresh', 'miss', 'fresh', 'fresh']);
    cache.setLimits({ ...cache.limits, maxBytes: 1_000 });
    expect(cache.store.entries).toBe(1);
    expect(lookup({}, 'd')).toBe('fresh');
  });

  it('request collapsing: one leader per key, the others wait for it', async () => {
    const { cache } = setup();
    const leader = cache.beginFetch(KEY);
    const follower = cache.beginFetch(KEY);
    expect(leader.leader).toBe(true);
    expect(follower.leader).toBe(false);
    if (!leader.leader || follower.leader) return;
    let released = false;
    const waiting = follower.wait.then(() => (released = true));
    leader.done();
    await waiting;
    expect(released).toBe(true);
    expect(cache.beginFetch(KEY).leader).toBe(true);
  });
});
