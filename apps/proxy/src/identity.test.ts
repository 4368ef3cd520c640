import { describe, expect, it } from 'vitest';
import { formatIdentity, parseIdentity } from './identity.ts';

describe('workload identity header', () => {
  it('round-trips name.namespace@version', () => {
    const id = { service: 'web', namespace: 'shop', version: 'v1.2-canary' };
    expect(parseIdentity(formatIdentity(id))).toEqual(id);
  });

  it.each([
    undefined,
    '',
    'web',
    'web.shop',
    'web@v1',
    '.shop@v1',
    'web.@v1',
    'web.shop@',
    'Web.shop@v1',
    'web.shop@v 1',
    ['web.shop@v1', 'x.y@v1'],
  ])('refuses %j', (value) => expect(parseIdentity(value)).toBeUndefined());
});
