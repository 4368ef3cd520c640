import { describe, expect, it } from 'vitest';
import { resolveServiceName } from './service-name.ts';

describe('resolveServiceName', () => {
  it.each([
    ['catalog', { service: 'catalog', namespace: 'web-ns' }],
    ['catalog:8080', { service: 'catalog', namespace: 'web-ns' }],
    ['catalog.shop', { service: 'catalog', namespace: 'shop' }],
    ['catalog.shop:80', { service: 'catalog', namespace: 'shop' }],
    ['catalog.shop.svc', { service: 'catalog', namespace: 'shop' }],
    ['catalog.shop.svc.cluster.local', { service: 'catalog', namespace: 'shop' }],
    ['catalog.shop.svc.cluster.local.:9000', { service: 'catalog', namespace: 'shop' }],
    ['Catalog.SHOP', { service: 'catalog', namespace: 'shop' }],
  ])('%s → %j', (authority, expected) => {
    expect(resolveServiceName(authority, 'web-ns')).toEqual(expected);
  });

  it.each([
    '',
    '10.0.0.1',
    '10.0.0.1:80',
    '[::1]:80',
    'catalog.shop.example.com',
    'catalog.shop.svc.other.local',
    'catalog.shop.cluster.local',
    'cat_alog',
    '-catalog',
    'catalog:http',
    'catalog..shop',
  ])('does not name %j', (authority) => {
    expect(resolveServiceName(authority, 'web-ns')).toBeNull();
  });

  it('honours another cluster domain', () => {
    expect(resolveServiceName('a.b.svc.corp.internal', 'x', 'corp.internal')).toEqual({
      service: 'a',
      namespace: 'b',
    });
  });
});
