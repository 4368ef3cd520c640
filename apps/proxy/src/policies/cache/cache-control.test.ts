import { describe, expect, it } from 'vitest';
import { DELTA_SECONDS_MAX, parseCacheControl } from './cache-control.ts';

describe('Cache-Control parser (RFC 9110 list syntax, RFC 9111 §5.2)', () => {
  it.each([
    ['max-age=60', 'max-age', '60'],
    ['MAX-AGE=60', 'max-age', '60'],
    ['  public ,  max-age = 5 ', 'max-age', '5'],
    ['max-age="60"', 'max-age', '60'],
    ['no-cache="set-cookie, x-foo", max-age=3', 'no-cache', 'set-cookie, x-foo'],
    ['private="a\\"b", s-maxage=3', 'private', 'a"b'],
    ['no-store', 'no-store', true],
    [',,no-store,,', 'no-store', true],
    ['max-age=10, max-age=20', 'max-age', '10'],
  ])('%s → %s = %s', (field, name, value) => {
    expect(parseCacheControl(field).get(name)).toBe(value);
  });

  it('reads every field line as one list', () => {
    const cc = parseCacheControl(['public', 'max-age=7, must-revalidate']);
    expect([cc.has('public'), cc.seconds('max-age'), cc.has('must-revalidate')]).toEqual([true, 7, true]);
  });

  it('keeps a comma inside a quoted argument', () => {
    const cc = parseCacheControl('no-cache="a,b", max-age=4');
    expect(cc.get('no-cache')).toBe('a,b');
    expect(cc.seconds('max-age')).toBe(4);
  });

  it('skips a malformed directive and keeps the rest', () => {
    const cc = parseCacheControl('max-age=1 2, =x, s-maxage=9, "junk", public');
    expect(cc.has('max-age')).toBe(false);
    expect(cc.seconds('s-maxage')).toBe(9);
    expect(cc.has('public')).toBe(true);
  });

  it.each([
    ['max-age=abc', 'invalid'],
    ['max-age=-1', 'invalid'],
    ['max-age', 'invalid'],
    ['max-age=', undefined],
    ['max-age=1.5', 'invalid'],
    ['max-age=99999999999999', DELTA_SECONDS_MAX],
    ['max-age=0', 0],
  ])('delta-seconds %s → %s', (field, expected) => {
    expect(parseCacheControl(field).seconds('max-age')).toBe(expected);
  });
});
