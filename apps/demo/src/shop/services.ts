/**
 * What each demo service does. Small JSON bodies, a few milliseconds of work (added by the server from the
 * plan's behaviour), downstream calls through the caller's proxy, failures surfaced sensibly upstream:
 * a required dependency failing turns into a 502 naming it, an optional one degrades the answer.
 */
import type { ServiceKind } from '../topology.ts';
import type { CallOptions, CallResult } from './client.ts';
import type { OutsideName } from './plan.ts';

export interface Reply {
  status: number;
  body: unknown;
  /** Fresh for this long (Cache-Control max-age, with an ETag): lets a CachePolicy in the callers' proxies work. */
  maxAgeSeconds?: number;
}

export interface Ctx {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** This instance's version (reviews v1 and v2 differ). */
  version: string;
  /** This instance's name ("cart-2"): cart says which replica served it, so stickiness can be seen. */
  instance: string;
  /** The incoming Cookie header: the frontend hands the shopper's session on to cart. */
  cookie: string | undefined;
  call(target: string, path: string, opts?: CallOptions): Promise<CallResult>;
  /**
   * A service outside the mesh, through this instance's proxy (egress); null when the plan gives it no address
   * (the answer then leaves out what it would have added).
   */
  callOutside(name: OutsideName, path: string, opts?: CallOptions): Promise<CallResult | null>;
}

export interface Route {
  method: 'GET' | 'POST';
  pattern: string;
  handler: (ctx: Ctx) => Promise<Reply> | Reply;
}

/** Downstream names as the callers use them: "name.namespace" across namespaces, plain name within one. */
export const Targets = {
  catalogFromFrontend: 'catalog.shop',
  cartFromFrontend: 'cart.shop',
  pricing: 'pricing',
  reviews: 'reviews',
  ratings: 'ratings',
} as const;

export interface Product {
  id: string;
  name: string;
  category: string;
}

export const PRODUCTS: readonly Product[] = [
  { id: '1', name: 'Linen weave scarf', category: 'accessories' },
  { id: '2', name: 'Herringbone throw', category: 'home' },
  { id: '3', name: 'Twill tote bag', category: 'accessories' },
  { id: '4', name: 'Jacquard cushion cover', category: 'home' },
  { id: '5', name: 'Basket-weave rug', category: 'home' },
  { id: '6', name: 'Satin sleep mask', category: 'accessories' },
  { id: '7', name: 'Waffle bath towel', category: 'bath' },
  { id: '8', name: 'Chambray apron', category: 'kitchen' },
];

const productById = new Map(PRODUCTS.map((p) => [p.id, p]));

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const json = (status: number, body: unknown): Reply => ({ status, body });

/** How long the product list may be cached (examples/policies/catalog-cache.yaml caches it in the callers). */
export const CATALOG_MAX_AGE_S = 5;
const notFound = (what: string): Reply => json(404, { error: `${what} not found` });
const badGateway = (dependency: string, r: CallResult): Reply =>
  json(502, { error: `${dependency} unavailable`, cause: r.ok ? undefined : r.error });

function priceOf(id: string): number {
  return 900 + (hash(`price:${id}`) % 9000); // cents
}

const frontend: Route[] = [
  {
    method: 'GET',
    pattern: '/',
    handler: async (ctx) => {
      const [catalog, cart] = await Promise.all([
        ctx.call(Targets.catalogFromFrontend, '/products'),
        ctx.call(
          Targets.cartFromFrontend,
          `/cart/summary?user=${encodeURIComponent(user(ctx))}`,
          session(ctx),
        ),
      ]);
      if (!catalog.ok) return badGateway('catalog', catalog);
      const products = (catalog.body as { products?: unknown[] }).products ?? [];
      return json(200, { page: 'home', featured: products.slice(0, 6), cart: cart.ok ? cart.body : null });
    },
  },
  {
    method: 'GET',
    pattern: '/product/:id',
    handler: async (ctx) => {
      const id = ctx.params.id ?? '';
      const [product, cart, recommended] = await Promise.all([
        ctx.call(Targets.catalogFromFrontend, `/products/${encodeURIComponent(id)}`),
        ctx.call(
          Targets.cartFromFrontend,
          `/cart/summary?user=${encodeURIComponent(user(ctx))}`,
          session(ctx),
        ),
        // Outside the mesh (no proxy, its own OpenTelemetry SDK); optional, like reviews.
        ctx.callOutside('recommendations', `/recommendations/${encodeURIComponent(id)}`),
      ]);
      if (!product.ok)
        return product.status === 404 ? notFound(`product ${id}`) : badGateway('catalog', product);
      return json(200, {
        page: 'product',
        product: product.body,
        cart: cart.ok ? cart.body : null,
        ...(recommended === null ? {} : { recommendations: recommended.ok ? recommended.body : null }),
      });
    },
  },
  {
    method: 'GET',
    pattern: '/cart',
    handler: async (ctx) => {
      const cart = await ctx.call(
        Targets.cartFromFrontend,
        `/cart?user=${encodeURIComponent(user(ctx))}`,
        session(ctx),
      );
      if (!cart.ok) return badGateway('cart', cart);
      return json(200, { page: 'cart', cart: cart.body });
    },
  },
];

function user(ctx: Ctx): string {
  return ctx.query.get('user') ?? 'guest';
}

/**
 * The shopper's cookies go to cart (whose replicas a ring-hash LoadBalancingPolicy can pick by the `session`
 * cookie, examples/policies/cart-load-balancing.yaml), and to no other service.
 */
function session(ctx: Ctx): { headers?: Record<string, string> } {
  return ctx.cookie === undefined ? {} : { headers: { cookie: ctx.cookie } };
}

const catalog: Route[] = [
  {
    method: 'GET',
    pattern: '/products',
    handler: async (ctx) => {
      const ids = PRODUCTS.map((p) => p.id).join(',');
      const prices = await ctx.call(Targets.pricing, `/prices?ids=${ids}`);
      if (!prices.ok) return badGateway('pricing', prices);
      const byId = new Map(
        ((prices.body as { prices?: { id: string; price: number }[] }).prices ?? []).map((p) => [
          p.id,
          p.price,
        ]),
      );
      return {
        ...json(200, { products: PRODUCTS.map((p) => ({ ...p, price: byId.get(p.id) ?? null })) }),
        maxAgeSeconds: CATALOG_MAX_AGE_S,
      };
    },
  },
  {
    method: 'GET',
    pattern: '/products/:id',
    handler: async (ctx) => {
      const product = productById.get(ctx.params.id ?? '');
      if (!product) return notFound(`product ${ctx.params.id}`);
      const [price, reviews] = await Promise.all([
        ctx.call(Targets.pricing, `/price/${product.id}`),
        ctx.call(Targets.reviews, `/reviews/${product.id}`),
      ]);
      if (!price.ok) return badGateway('pricing', price);
      return json(200, {
        ...product,
        price: (price.body as { price?: number }).price ?? null,
        currency: 'EUR',
        // Reviews are optional: the page still renders without them (as in Istio's bookinfo).
        reviews: reviews.ok ? reviews.body : null,
        ...(reviews.ok ? {} : { reviewsError: reviews.error }),
      });
    },
  },
];

interface CartItem {
  id: string;
  qty: number;
}

export function cartOf(userName: string): CartItem[] {
  const h = hash(`cart:${userName}`);
  const n = 1 + (h % 3);
  return Array.from({ length: n }, (_, i) => ({
    id: PRODUCTS[(h >>> (i * 3)) % PRODUCTS.length]!.id,
    qty: 1 + ((h >>> (i * 5)) % 2),
  }));
}

const cart: Route[] = [
  {
    method: 'GET',
    pattern: '/cart/summary',
    handler: (ctx) => {
      const items = cartOf(ctx.query.get('user') ?? 'guest');
      return json(200, { items: items.reduce((n, i) => n + i.qty, 0), instance: ctx.instance });
    },
  },
  {
    method: 'GET',
    pattern: '/cart',
    handler: async (ctx) => {
      const userName = ctx.query.get('user') ?? 'guest';
      const items = cartOf(userName);
      const quote = await ctx.call(Targets.pricing, '/quote', { method: 'POST', body: { items } });
      if (!quote.ok) return badGateway('pricing', quote);
      const total = (quote.body as { total?: unknown }).total;
      // A third-party API outside the mesh (egress); the cart still shows without its payment methods.
      const methods = await ctx.callOutside(
        'payments-gateway',
        `/v1/payment-methods?currency=EUR&amount=${typeof total === 'number' ? total : 0}`,
      );
      return json(200, {
        user: userName,
        ...(quote.body as object),
        instance: ctx.instance,
        ...(methods === null ? {} : { paymentMethods: methods.ok ? methods.body : null }),
      });
    },
  },
];

const pricing: Route[] = [
  {
    method: 'GET',
    pattern: '/price/:id',
    handler: (ctx) => {
      const id = ctx.params.id ?? '';
      if (!productById.has(id)) return notFound(`price for ${id}`);
      return json(200, { id, price: priceOf(id), currency: 'EUR' });
    },
  },
  {
    method: 'GET',
    pattern: '/prices',
    handler: (ctx) => {
      const ids = (ctx.query.get('ids') ?? '').split(',').filter((id) => productById.has(id));
      return json(200, { currency: 'EUR', prices: ids.map((id) => ({ id, price: priceOf(id) })) });
    },
  },
  {
    method: 'POST',
    pattern: '/quote',
    handler: (ctx) => {
      const items = (ctx.body as { items?: unknown } | null)?.items;
      if (!Array.isArray(items)) return json(400, { error: 'body must be {"items": [{"id", "qty"}]}' });
      const lines = [];
      for (const raw of items as { id?: unknown; qty?: unknown }[]) {
        const id = String(raw.id);
        const qty = typeof raw.qty === 'number' && raw.qty > 0 ? Math.floor(raw.qty) : 1;
        if (!productById.has(id)) return json(400, { error: `unknown product ${id}` });
        lines.push({ id, qty, unit: priceOf(id), subtotal: priceOf(id) * qty });
      }
      return json(200, { currency: 'EUR', items: lines, total: lines.reduce((t, l) => t + l.subtotal, 0) });
    },
  },
];

const REVIEWERS = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara'];
const PHRASES = [
  'Lovely texture.',
  'Exactly as pictured.',
  'Colour faded a bit.',
  'Would buy again.',
  'Good value.',
];

const reviews: Route[] = [
  {
    method: 'GET',
    pattern: '/reviews/:id',
    handler: async (ctx) => {
      const id = ctx.params.id ?? '';
      if (!productById.has(id)) return notFound(`reviews for ${id}`);
      const h = hash(`reviews:${id}`);
      const list = [0, 1].map((i) => ({
        author: REVIEWERS[(h >>> (i * 4)) % REVIEWERS.length],
        text: PHRASES[(h >>> (i * 7)) % PHRASES.length],
      }));
      if (ctx.version === 'v1') return json(200, { productId: id, version: ctx.version, reviews: list });
      // v2 adds star ratings; without them it still answers (ratings unavailable), as bookinfo's reviews do.
      const ratings = await ctx.call(Targets.ratings, `/ratings/${id}`);
      return json(200, {
        productId: id,
        version: ctx.version,
        reviews: list,
        ratings: ratings.ok ? ratings.body : null,
        ...(ratings.ok ? {} : { ratingsError: ratings.error }),
      });
    },
  },
];

const ratings: Route[] = [
  {
    method: 'GET',
    pattern: '/ratings/:id',
    handler: (ctx) => {
      const id = ctx.params.id ?? '';
      if (!productById.has(id)) return notFound(`ratings for ${id}`);
      const h = hash(`ratings:${id}`);
      return json(200, { productId: id, average: 3 + (h % 21) / 10, count: 5 + (h % 200) });
    },
  },
];

export const ROUTES: Record<ServiceKind, Route[]> = { frontend, catalog, cart, pricing, reviews, ratings };

/** Matches "/products/:id" style patterns. Returns the params or null. */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | { allowed: string[] } | null {
  const parts = path.split('/').filter(Boolean);
  const allowed: string[] = [];
  for (const route of routes) {
    const pat = route.pattern.split('/').filter(Boolean);
    if (pat.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pat.length; i++) {
      const p = pat[i]!;
      if (p.startsWith(':')) {
        try {
          params[p.slice(1)] = decodeURIComponent(parts[i]!);
        } catch {
          ok = false;
          break;
        }
      } else if (p !== parts[i]) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : null;
}
