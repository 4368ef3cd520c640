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
