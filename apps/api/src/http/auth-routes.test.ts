import { describe, expect, it } from 'vitest';
import { safeReturnTo } from './auth-routes.ts';

describe('safeReturnTo', () => {
  it.each([
    ['/graph', '/graph'],
    ['/', '/'],
    ['/services/shop/catalog?window=5m#latency', '/services/shop/catalog?window=5m#latency'],
    ['/traces/%2F%2Fevil.example', '/traces/%2F%2Fevil.example'],
  ])('keeps the same-origin path %j', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });

  it.each([
    [null],
    [undefined],
    [''],
    ['graph'],
    ['//evil.example'],
    ['//evil.example/graph'],
    ['/\\evil.example'],
    ['https://evil.example/'],
    ['javascript:alert(1)'],
    // Browsers drop tabs and line breaks from URLs: each of these would turn into //evil.example.
    ['/\t/evil.example'],
    ['/\n/evil.example'],
    ['/\r/evil.example'],
    ['/graph\r\nSet-Cookie: weft_session=x'],
  ])('sends %j to "/"', (input) => {
    expect(safeReturnTo(input)).toBe('/');
  });

  it('accepts paths up to 2048 characters', () => {
    const longest = `/${'a'.repeat(2047)}`;
    expect(safeReturnTo(longest)).toBe(longest);
    expect(safeReturnTo(`${longest}a`)).toBe('/');
  });
});
