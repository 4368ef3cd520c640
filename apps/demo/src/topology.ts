/**
 * The demo mesh: which workloads exist, in which namespace and version. Shared by the launcher (ports,
 * proxies) and the shop (one HTTP server per workload). The order is part of the port allocation scheme:
 * append new workloads at the end so existing ports stay where they are.
 *
 *   storefront/frontend ──► shop/catalog ──► shop/pricing
 *          │                     └────────► shop/reviews (v1 | v2) ──(v2 only)──► shop/ratings
 *          └──────────────► shop/cart ─────► shop/pricing
 */
export type ServiceKind = 'frontend' | 'catalog' | 'cart' | 'pricing' | 'reviews' | 'ratings';

export interface DemoWorkload {
  /** Unique instance name: used for log files, proxy ids and process names. */
  name: string;
  service: ServiceKind;
  namespace: string;
  version: string;
}

export const DEMO_WORKLOADS: readonly DemoWorkload[] = [
  { name: 'frontend', service: 'frontend', namespace: 'storefront', version: 'v1' },
  { name: 'catalog', service: 'catalog', namespace: 'shop', version: 'v1' },
  { name: 'cart', service: 'cart', namespace: 'shop', version: 'v1' },
  { name: 'pricing', service: 'pricing', namespace: 'shop', version: 'v1' },
  { name: 'reviews-v1', service: 'reviews', namespace: 'shop', version: 'v1' },
  { name: 'reviews-v2', service: 'reviews', namespace: 'shop', version: 'v2' },
  { name: 'ratings', service: 'ratings', namespace: 'shop', version: 'v1' },
];

export const SERVICE_KINDS: readonly ServiceKind[] = [
  'frontend',
  'catalog',
  'cart',
  'pricing',
  'reviews',
  'ratings',
];

/** The workload external load enters through (its proxy's inbound listener). */
export const ENTRY_WORKLOAD = 'frontend';
