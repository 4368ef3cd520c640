import { describe, expect, it } from 'vitest';
import { cookieValue } from './cookie.ts';

describe('cookieValue', () => {
  it.each([
    ['the only pair', 'canary=yes', 'canary', 'yes'],
    ['a pair among others, with optional whitespace', 'a=1;  canary=yes ;b=2', 'canary', 'yes'],
    ['the first of two with one name', 'canary=yes; canary=no', 'canary', 'yes'],
    ['a quoted value, without its quotes', 'canary="yes"', 'canary', 'yes'],
    ['an empty value', 'canary=; b=2', 'canary', ''],
    ['a value containing "="', 'token=a=b=c', 'token', 'a=b=c'],
    ['a value containing a quote inside', 'v=a"b', 'v', 'a"b'],
    ['a lone quote', 'v="', 'v', '"'],
    ['fields joined from a list', ['a=1', 'canary=yes'], 'canary', 'yes'],
  ])('reads %s', (_name, header, name, value) => {
    expect(cookieValue(header, name)).toBe(value);
  });

  it.each([
    ['no header', undefined, 'canary'],
    ['another name', 'canary-v2=yes', 'canary'],
    ['a name that differs in case (names are case-sensitive)', 'Canary=yes', 'canary'],
    ['a name only as part of a value', 'a=canary=yes', 'canary'],
    ['a pair without "=" (it has no name)', 'canary; b=2', 'canary'],
    ['an empty header', '', 'canary'],
  ])('finds nothing for %s', (_name, header, name) => {
    expect(cookieValue(header, name)).toBeUndefined();
  });
});
