import { describe, expect, it } from 'vitest';
import { PRODUCTS } from '../shop/services.ts';
import { MAX_RECOMMENDATIONS, productIdOf, rank, RankingCache } from './recommendations.ts';

describe('rank', () => {
  it('recommends other products, same category first, at most a few', () => {
    // Product 2 is "home", as are 4 and 5.
    const ranking = rank('2', 1)!;
    expect(ranking).toHaveLength(MAX_RECOMMENDATIONS);
    expect(ranking.map((r) => r.id)).not.toContain('2');
    expect(ranking.map((r) => r.id).sort()).toEqual(['4', '5', expect.any(String) as string].sort());
    const home = ranking.filter((r) => ['4', '5'].includes(r.id));
    const other = ranking.filter((r) => !['4', '5'].includes(r.id));
    expect(Math.min(...home.map((r) => r.score))).toBeGreaterThan(Math.max(...other.map((r) => r.score)));
  });

  it('is stable for one model version and may change with the next', () => {
    expect(rank('1', 7)).toEqual(rank('1', 7));
    const versions = Array.from({ length: 8 }, (_, v) => JSON.stringify(rank('7', v)));
    expect(new Set(versions).size).toBeGreaterThan(1);
  });

  it('answers null for a product that does not exist', () => {
    expect(rank('999', 1)).toBeNull();
    expect(rank('1', 1, [])).toBeNull();
  });

  it('recommends what there is when the catalogue is small', () => {
    expect(rank('1', 1, PRODUCTS.slice(0, 2))!.map((r) => r.id)).toEqual(['2']);
  });
});

describe('RankingCache', () => {
  it('computes once per product until the entry expires or the model changes', () => {
    let now = 1000;
    const cache = new RankingCache(10_000, () => now);
    let computed = 0;
    const compute = () => {
      computed++;
      return [];
    };
    expect(cache.get('1', compute).hit).toBe(false);
    expect(cache.get('1', compute).hit).toBe(true);
    expect(cache.get('2', compute).hit).toBe(false);
    now += 9_999;
    expect(cache.get('1', compute).hit).toBe(true);
    now += 1;
    expect(cache.get('1', compute).hit).toBe(false);
    cache.clear();
    expect(cache.get('2', compute).hit).toBe(false);
    expect(computed).toBe(4);
  });

  it('caches "no such product" too', () => {
    const cache = new RankingCache();
    expect(cache.get('999', () => null)).toEqual({ ranking: null, hit: false });
    expect(cache.get('999', () => [])).toEqual({ ranking: null, hit: true });
  });
});

describe('productIdOf', () => {
  it('takes the id from /recommendations/:id only', () => {
    expect(productIdOf('/recommendations/3')).toBe('3');
    expect(productIdOf('/recommendations/a%20b')).toBe('a b');
    expect(productIdOf('/recommendations/%E0%A4%A')).toBeNull();
    expect(productIdOf('/recommendations')).toBeNull();
    expect(productIdOf('/recommendations/3/more')).toBeNull();
    expect(productIdOf('/other/3')).toBeNull();
  });
});
