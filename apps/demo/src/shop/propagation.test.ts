import { describe, expect, it } from 'vitest';
import { propagationHeaders } from './propagation.ts';
import { cartOf, matchRoute, ROUTES } from './services.ts';

describe('trace context propagation', () => {
  it('copies W3C, B3 and request-id headers and nothing else', () => {
    const out = propagationHeaders({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'weft=1',
      b3: '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1',
      'x-b3-traceid': '0af7651916cd43dd8448eb211c80319c',
      'x-b3-spanid': 'b7ad6b7169203331',
      'x-b3-sampled': '1',
      'x-request-id': 'abc',
      host: 'frontend',
      cookie: 'secret',
      'x-weft-source': 'someone',
    });
    expect(out).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'weft=1',
      b3: '0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1',
      'x-b3-traceid': '0af7651916cd43dd8448eb211c80319c',
      'x-b3-spanid': 'b7ad6b7169203331',
      'x-b3-sampled': '1',
      'x-request-id': 'abc',
    });
  });

  it('returns nothing when the request carries no context', () => {
    expect(propagationHeaders({ host: 'x' })).toEqual({});
  });
});

describe('shop routes', () => {
  it('matches parameters and reports wrong methods', () => {
    const m = matchRoute(ROUTES.catalog, 'GET', '/products/7');
    expect(m && 'route' in m ? m.params : null).toEqual({ id: '7' });
    expect(matchRoute(ROUTES.pricing, 'GET', '/quote')).toEqual({ allowed: ['POST'] });
    expect(matchRoute(ROUTES.frontend, 'GET', '/nope')).toBeNull();
    const home = matchRoute(ROUTES.frontend, 'GET', '/');
    expect(home && 'route' in home ? home.route.pattern : null).toBe('/');
  });

  it('gives each user a stable cart of known products', () => {
    expect(cartOf('ada')).toEqual(cartOf('ada'));
    for (const u of ['guest', 'ada', 'grace', 'x']) {
      const c = cartOf(u);
      expect(c.length).toBeGreaterThanOrEqual(1);
      expect(c.length).toBeLessThanOrEqual(3);
    }
  });
});
