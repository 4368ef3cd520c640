import { describe, expect, it } from 'vitest';
import { parseHttpDate } from './http-date.ts';

const NOV_6_1994 = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('HTTP-date (RFC 9110 §5.6.7)', () => {
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT', NOV_6_1994],
    ['Sunday, 06-Nov-94 08:49:37 GMT', NOV_6_1994],
    ['Sun Nov  6 08:49:37 1994', NOV_6_1994],
    ['Sun, 06 Nov 1994 08:49:37 UTC', undefined],
    ['0', undefined],
    ['-1', undefined],
    ['Sun, 31 Feb 1994 08:49:37 GMT', undefined],
    ['2026-01-01T00:00:00Z', undefined],
  ])('%s', (value, expected) => {
    expect(parseHttpDate(value, Date.UTC(2026, 0, 1))).toBe(expected);
  });

  it('two field lines are not a date', () => {
    expect(parseHttpDate(['Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:38 GMT'])).toBe(undefined);
  });
});
