import { describe, expect, it } from 'vitest';
import { missingEndpoints } from './mesh.ts';

const expected = [
  { service: 'reviews', namespace: 'shop', proxyId: 'reviews-v1.shop' },
  { service: 'reviews', namespace: 'shop', proxyId: 'reviews-v2.shop' },
  { service: 'frontend', namespace: 'storefront', proxyId: 'frontend.storefront' },
];

describe('mesh convergence', () => {
  it('lists endpoints a proxy does not know yet', () => {
    const config = {
      version: 'abc',
      services: [
        {
          name: 'reviews',
          namespace: 'shop',
          endpoints: [{ proxyId: 'reviews-v1.shop', address: '127.0.0.1:15041', version: 'v1' }],
        },
      ],
    };
    expect(missingEndpoints(config, expected)).toEqual([
      'reviews-v2.shop (reviews.shop)',
      'frontend.storefront (frontend.storefront)',
    ]);
  });

  it('is satisfied when every workload is listed', () => {
    const config = {
      version: 'abc',
      services: [
        {
          name: 'reviews',
          namespace: 'shop',
          endpoints: [
            { proxyId: 'reviews-v1.shop', address: 'a:1', version: 'v1' },
            { proxyId: 'reviews-v2.shop', address: 'a:2', version: 'v2' },
          ],
        },
        {
          name: 'frontend',
          namespace: 'storefront',
          endpoints: [{ proxyId: 'frontend.storefront', address: 'a:3', version: 'v1' }],
        },
      ],
    };
    expect(missingEndpoints(config, expected)).toEqual([]);
  });

  it('says when the config is not in the shared format', () => {
    expect(missingEndpoints({ nope: true }, expected)).toBe('unreadable');
  });
});
