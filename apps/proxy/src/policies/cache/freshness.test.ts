import { describe, expect, it } from 'vitest';
import type { HeaderMap } from '../../http/exchange.ts';
import { CacheControl } from './cache-control.ts';
import {
  ageHeaderSeconds,
  currentAgeMs,
  freshnessLifetime,
  receivedAge,
  type FreshnessInput,
} from './freshness.ts';
import { formatHttpDate } from './http-date.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const LIMITS = { heuristicPercent: 10, heuristicMaxMs: 3_600_000 };

function response(headers: HeaderMap, status = 200, at = T0): FreshnessInput {
  return {
    status,
    headers,
    cc: CacheControl.fromHeaders(headers),
    dateMs: at,
    requestTimeMs: at,
    responseTimeMs: at,
    ageValueS: receivedAge(headers),
  };
}

describe('freshness lifetime (RFC 9111 §4.2.1, §4.2.2)', () => {
  const date = formatHttpDate(T0);
  it.each<[string, HeaderMap, number, string, number?]>([
    ['s-maxage wins over max-age', { 'cache-control': 'max-age=10, s-maxage=20' }, 20_000, 's-maxage'],
    [
      'max-age wins over Expires',
      { 'cache-control': 'max-age=10', expires: formatHttpDate(T0 + 99_000) },
      10_000,
      'max-age',
    ],
    ['Expires − Date', { date, expires: formatHttpDate(T0 + 30_000) }, 30_000, 'expires'],
    ['Expires in the past', { date, expires: formatHttpDate(T0 - 30_000) }, 0, 'expires'],
    ['invalid Expires is already expired', { expires: '0' }, 0, 'expires'],
    ['invalid max-age is stale', { 'cache-control': 'max-age=soon' }, 0, 'max-age'],
    [
      'heuristic: 10% of Date − Last-Modified',
      { 'last-modified': formatHttpDate(T0 - 1_000_000) },
      100_000,
      'heuristic',
    ],
    [
      'heuristic capped by heuristicMax',
      { 'last-modified': formatHttpDate(T0 - 365 * 86_400_000) },
      3_600_000,
      'heuristic',
    ],
    ['no heuristic for 302', { 'last-modified': formatHttpDate(T0 - 1_000_000) }, 0, 'none', 302],
    ['heuristic for 404', { 'last-modified': formatHttpDate(T0 - 1_000_000) }, 100_000, 'heuristic', 404],
    [
      'public allows a heuristic for 302',
      { 'cache-control': 'public', 'last-modified': formatHttpDate(T0 - 1_000_000) },
      100_000,
      'heuristic',
      302,
    ],
    ['nothing to go on', {}, 0, 'none'],
  ])('%s', (_name, headers, ms, source, status = 200) => {
    expect(freshnessLifetime(response(headers, status), LIMITS)).toEqual({ ms, source });
  });

  it('heuristicPercent 0 turns heuristics off', () => {
    const r = response({ 'last-modified': formatHttpDate(T0 - 1_000_000) });
    expect(freshnessLifetime(r, { heuristicPercent: 0, heuristicMaxMs: 3_600_000 }).ms).toBe(0);
  });
});

describe('current age (RFC 9111 §4.2.3)', () => {
  it.each<[string, Partial<FreshnessInput>, number, number]>([
    // name, stored times, now, expected age ms
    ['just received, no Age, Date = response time', {}, T0, 0],
    ['resident time adds up', {}, T0 + 5_000, 5_000],
    ['Age from upstream plus the response delay', { ageValueS: 10, requestTimeMs: T0 - 2_000 }, T0, 12_000],
    ['apparent age when Date is older than Age says', { dateMs: T0 - 30_000, ageValueS: 5 }, T0, 30_000],
    ['corrected age wins over apparent age', { dateMs: T0 - 3_000, ageValueS: 20 }, T0 + 1_000, 21_000],
    ['a Date in the future does not make it younger', { dateMs: T0 + 60_000 }, T0 + 1_000, 1_000],
  ])('%s', (_name, times, now, expected) => {
    const r = { ...response({}), ...times };
    expect(currentAgeMs(r, now)).toBe(expected);
  });

  it.each([
    [0, 0],
    [999, 0],
    [1_000, 1],
    [61_500, 61],
  ])('Age header for %i ms is %i', (ms, s) => {
    expect(ageHeaderSeconds(ms)).toBe(s);
  });

  it.each<[HeaderMap, number]>([
    [{ age: '30' }, 30],
    [{ age: ' 7 ' }, 7],
    [{ age: '-3' }, 0],
    [{ age: 'x' }, 0],
    [{ age: ['4', '9'] }, 4],
    [{}, 0],
  ])('received Age %j → %i', (headers, s) => {
    expect(receivedAge(headers)).toBe(s);
  });
});
