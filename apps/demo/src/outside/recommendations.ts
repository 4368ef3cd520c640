/**
 * What the recommendations service answers: "customers also bought" for a product, ranked from the shop's
 * catalogue (same category first, then the rest, in a stable per-product order). Rankings are cached for a
 * while per product, as a real recommender caches model output; a miss is the expensive path worth an event
 * and a link to the model run that produced the ranking (sdk-telemetry.ts).
 */
import { PRODUCTS, type Product } from '../shop/services.ts';

export const MAX_RECOMMENDATIONS = 3;
/** How long one product's ranking is served from the cache. */
export const RANKING_TTL_MS = 10_000;

export interface Recommendation {
  id: string;
  name: string;
  score: number;
}

/** A stable pseudo-random score in [0, 1) per (product, candidate): the "model". */
function affinity(productId: string, candidateId: string, modelVersion: number): number {
  let h = 2166136261 ^ modelVersion;
  for (const c of `${productId}>${candidateId}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) / 2 ** 32;
}

/** The ranking for a product id, or null when the catalogue has no such product. */
export function rank(
  productId: string,
  modelVersion: number,
  catalogue: readonly Product[] = PRODUCTS,
): Recommendation[] | null {
  const product = catalogue.find((p) => p.id === productId);
  if (!product) return null;
  return catalogue
    .filter((p) => p.id !== productId)
    .map((p) => ({
      id: p.id,
      name: p.name,
      // Same category ranks above every other: +1 keeps the two groups apart.
      score: (p.category === product.category ? 1 : 0) + affinity(productId, p.id, modelVersion),
    }))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, MAX_RECOMMENDATIONS)
    .map((r) => ({ ...r, score: Math.round(r.score * 1000) / 1000 }));
}

interface Entry {
  ranking: Recommendation[] | null;
  expiresAtMs: number;
}

/** Rankings per product, each kept for RANKING_TTL_MS. */
export class RankingCache {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = RANKING_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached ranking and `hit: true`, or a freshly computed one (cached from now on) and `hit: false`. */
  get(
    productId: string,
    compute: () => Recommendation[] | null,
  ): { ranking: Recommendation[] | null; hit: boolean } {
    const at = this.now();
    const entry = this.#entries.get(productId);
    if (entry && entry.expiresAtMs > at) return { ranking: entry.ranking, hit: true };
    const ranking = compute();
    this.#entries.set(productId, { ranking, expiresAtMs: at + this.ttlMs });
    return { ranking, hit: false };
  }

  /** A new model: every ranking is computed again. */
  clear(): void {
    this.#entries.clear();
  }
}

/** `/recommendations/:id` → the id; null for any other path. */
export function productIdOf(pathname: string): string | null {
  const m = /^\/recommendations\/([^/]+)$/.exec(pathname);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

/** The route template spans and metrics are labelled with (low cardinality, as the conventions ask). */
export const RECOMMENDATIONS_ROUTE = '/recommendations/:id';
