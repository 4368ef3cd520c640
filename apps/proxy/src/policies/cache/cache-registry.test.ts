import { describe, expect, it } from 'vitest';
import type { ServicePolicy } from '@weft/schema';
import { ClientSignal } from '../../http/client-signal.ts';
import { ProxyRequest } from '../../http/exchange.ts';
import type { ServiceRoute } from '../../routing/routing-table.ts';
import { CacheRegistry, type CachePolicyBody } from './cache-registry.ts';

const catalog = { service: 'catalog', namespace: 'shop' } as ServiceRoute;

function policy(o: Partial<CachePolicyBody> = {}): CachePolicyBody {
  return {
    source: 'CachePolicy shop/catalog-cache',
    maxBytes: 1024 * 1024,
    maxEntryBytes: 1024,
    heuristicPercent: 10,
    heuristicMax: '1h',
    ...o,
  };
}

function request(): ProxyRequest {
  const req = new ProxyRequest({
    method: 'GET',
    path: '/products/1',
    authority: 'catalog',
    headers: {},
    body: null,
    remoteAddress: '127.0.0.1',
    receivedAt: 0,
    signal: new ClientSignal(),
  });
  req.route = catalog;
  return req;
}

describe('CacheRegistry', () => {
  it('keeps a cache across configs that keep its policy, resizes it, and drops it with the policy', () => {
    let policies: ServicePolicy[] = [{ service: 'catalog', namespace: 'shop', cache: policy() }];
    const registry = new CacheRegistry({ policies: () => policies, now: () => 0 });
    const first = registry.resolve(request())?.cache;
    expect(first).toBeDefined();
    first?.put('k', {}, 0, 0, 200, { 'cache-control': 'max-age=60' }, Buffer.from('x'));

    // A new config (new objects) with the same policy: the same cache, contents kept.
    policies = [{ service: 'catalog', namespace: 'shop', cache: policy({ maxBytes: 2048 }) }];
    const second = registry.resolve(request())?.cache;
    expect(second).toBe(first);
    expect(second?.store.entries).toBe(1);
    expect(second?.store.maxBytes).toBe(2048);

    // The policy is gone: no cache for the service, and the old one is released.
    policies = [{ service: 'catalog', namespace: 'shop' }];
    expect(registry.resolve(request())).toBeUndefined();
    policies = [{ service: 'catalog', namespace: 'shop', cache: policy() }];
    expect(registry.resolve(request())?.cache).not.toBe(first);
  });

  it("a route rule's policy wins over the service's", () => {
    const rulePolicy = policy({ source: 'CachePolicy shop/rule-cache' });
    const registry = new CacheRegistry({
      policies: () => [{ service: 'catalog', namespace: 'shop', cache: policy() }],
    });
    const req = request();
    req.routeRule = { spec: { policies: { cache: rulePolicy } } } as ProxyRequest['routeRule'];
    expect(registry.resolve(req)?.policy.source).toBe('CachePolicy shop/rule-cache');
    expect(registry.resolve(request())?.policy.source).toBe('CachePolicy shop/catalog-cache');
  });
});
