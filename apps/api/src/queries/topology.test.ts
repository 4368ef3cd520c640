import { LATENCY_BUCKET_COUNT, bucketIndex } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { appendInstances, appendTraffic, emptyDraft, finishNode } from './topology.ts';
import type { RollupRow } from './traffic.ts';

function row(
  partial: Partial<RollupRow> & { count: number; latencyMs?: number; statusCode?: number },
): RollupRow {
  const buckets = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  buckets[bucketIndex(partial.latencyMs ?? 10)] = partial.count;
  const { latencyMs, statusCode = 200, ...rest } = partial;
  const failed = statusCode === 0 || statusCode >= 500 ? partial.count : 0;
  return {
    firstMs: 1000,
    lastMs: 6000,
    reporter: 'outbound',
    sourceService: 'frontend',
    sourceNamespace: 'storefront',
    sourceVersion: 'v1',
    destService: 'catalog',
    destNamespace: 'shop',
    destVersion: 'v1',
    failed,
    rateLimited: statusCode === 429 ? partial.count : 0,
    unavailable: statusCode === 503 ? partial.count : 0,
    sumMs: 0,
    maxMs: latencyMs ?? 10,
    buckets,
    ...rest,
  };
}

describe('graph appenders', () => {
  it('lists no "unknown" version for answers the caller’s proxy gave itself (cache hits, injected faults)', () => {
    const draft = emptyDraft();
    appendTraffic(draft, [row({ count: 5 }), row({ count: 3, destVersion: 'unknown', statusCode: 503 })]);
    expect([...(draft.nodes.get('shop/catalog')?.versions ?? [])]).toEqual(['v1']);
  });

  it('builds edges from the caller view and node traffic from the server view', () => {
    const draft = emptyDraft();
    appendTraffic(draft, [
      row({ count: 90 }),
      row({ count: 10, statusCode: 503 }),
      row({ reporter: 'inbound', count: 95 }),
      row({ reporter: 'inbound', count: 5, statusCode: 500 }),
      row({
        reporter: 'inbound',
        sourceService: 'unknown',
        sourceNamespace: '',
        sourceVersion: '',
        destService: 'frontend',
        destNamespace: 'storefront',
        count: 50,
      }),
    ]);
    expect([...draft.edges.keys()].sort()).toEqual([
      'storefront/frontend->shop/catalog',
      'unknown->storefront/frontend',
    ]);
    const edge = draft.edges.get('storefront/frontend->shop/catalog')!;
    expect(edge.traffic.stats(5)).toMatchObject({ requests: 100, errors: 10, rps: 20, successRate: 0.9 });
    const catalog = finishNode(draft.nodes.get('shop/catalog')!, 5);
    expect(catalog.traffic).toMatchObject({ requests: 100, errors: 5 });
    expect(catalog.health).toBe('degraded');
    const unknown = finishNode(draft.nodes.get('unknown')!, 5);
    expect(unknown).toMatchObject({ kind: 'unknown', traffic: { requests: 50 } });
  });

  it('adds live registered services without traffic and counts their instances', () => {
    const draft = emptyDraft();
    const seen = new Date(100_000);
    const base = { inboundAddress: '127.0.0.1:1', adminAddress: '127.0.0.1:2', lastSeenAt: seen };
    appendInstances(
      draft,
      [
        { proxyId: 'a', service: 'reviews', namespace: 'shop', version: 'v1', ...base },
        { proxyId: 'b', service: 'reviews', namespace: 'shop', version: 'v2', ...base },
        { proxyId: 'c', service: 'gone', namespace: 'shop', version: 'v1', ...base, lastSeenAt: new Date(0) },
      ],
      101_000,
    );
    const reviews = finishNode(draft.nodes.get('shop/reviews')!, 5);
    expect(reviews).toMatchObject({ instances: 2, versions: ['v1', 'v2'], health: 'idle' });
    expect(draft.nodes.has('shop/gone')).toBe(false);
  });
});

describe('external hosts', () => {
  it('carry the traffic of the calls into them (they have no proxy to report it)', () => {
    const draft = emptyDraft();
    appendTraffic(draft, [
      row({ count: 6, destNamespace: '(external)', destService: 'api.example.com', destVersion: '' }),
      row({
        count: 4,
        sourceService: 'cart',
        destNamespace: '(external)',
        destService: 'api.example.com',
        destVersion: '',
      }),
    ]);
    const node = draft.nodes.get('(external)/api.example.com');
    expect(node?.kind).toBe('external');
    expect(node?.traffic.requests).toBe(10);
  });
});
