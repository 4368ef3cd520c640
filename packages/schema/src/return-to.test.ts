import { describe, expect, it } from 'vitest';
import { loginHref, safeReturnTo } from './return-to.ts';

describe('safeReturnTo', () => {
  it('keeps same-origin paths with their query and hash', () => {
    expect(safeReturnTo('/')).toBe('/');
    expect(safeReturnTo('/graph?window=1h')).toBe('/graph?window=1h');
    expect(safeReturnTo('/services/shop/catalog?window=5m#x')).toBe('/services/shop/catalog?window=5m#x');
    expect(safeReturnTo('/admin/tokens')).toBe('/admin/tokens');
  });

  it('normalises dot segments without leaving the origin', () => {
    expect(safeReturnTo('/a/../traces')).toBe('/traces');
    expect(safeReturnTo('/../../etc')).toBe('/etc');
  });

  it.each([
    null,
    undefined,
    '',
    'graph',
    'https://evil.example/',
    'http:/evil.example',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    '/\tevil',
    '/\n/evil.example',
    'javascript:alert(1)',
    ' /graph',
    `/${'a'.repeat(3000)}`,
  ])('refuses %j', (value) => {
    expect(safeReturnTo(value)).toBe('/');
  });

  it('never returns to the sign-in page or the auth endpoints (loops)', () => {
    expect(safeReturnTo('/login')).toBe('/');
    expect(safeReturnTo('/login?returnTo=/graph')).toBe('/');
    expect(safeReturnTo('/auth/logout')).toBe('/');
    expect(safeReturnTo('/authors')).toBe('/authors');
  });
});

describe('loginHref', () => {
  it('carries the page to come back to', () => {
    expect(loginHref('/graph?window=1h')).toBe('/login?returnTo=%2Fgraph%3Fwindow%3D1h');
    expect(loginHref('/')).toBe('/login');
    expect(loginHref('//evil.example')).toBe('/login');
    expect(loginHref(null)).toBe('/login');
  });
});

describe('safeReturnTo, as the API uses it for OIDC', () => {
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
