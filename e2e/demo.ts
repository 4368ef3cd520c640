/**
 * What the demo shop looks like from the outside (apps/demo/src/topology.ts):
 *
 *   (load generator) ─► storefront/frontend ──► shop/catalog ──► shop/pricing
 *                              │                      └───────► shop/reviews (v1 | v2) ──(v2)──► shop/ratings
 *                              └──────────────► shop/cart ────► shop/pricing
 */
export const DEMO_SERVICES = [
  'storefront/frontend',
  'shop/catalog',
  'shop/cart',
  'shop/pricing',
  'shop/reviews',
  'shop/ratings',
] as const;

export const DEMO_EDGES = [
  ['storefront/frontend', 'shop/catalog'],
  ['storefront/frontend', 'shop/cart'],
  ['shop/catalog', 'shop/pricing'],
  ['shop/catalog', 'shop/reviews'],
  ['shop/cart', 'shop/pricing'],
  ['shop/reviews', 'shop/ratings'],
] as const;

/** Load enters the mesh without a workload identity: Kiali's "unknown" node. */
export const EXTERNAL_CALLER = 'unknown';
