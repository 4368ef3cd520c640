/**
 * The demo mesh: which workloads exist, in which namespace and version. Shared by the launcher (ports,
 * proxies) and the shop (one HTTP server per workload). The order is part of the port allocation scheme:
 * append new workloads at the end so existing ports stay where they are.
 *
 *   storefront/frontend ──► shop/catalog ──► shop/pricing
 *          │                     └────────► shop/reviews (v1 | v2) ──(v2 only)──► shop/ratings (×2)
 *          └──────────────► shop/cart (×3) ─► shop/pricing
 *
 * Outside the mesh (no Weft proxy, OUTSIDE_SERVICES below), reached through the callers' proxies as egress:
 *
 *   storefront/frontend ──(product pages)──► recommendations: sends its own OTLP (OpenTelemetry SDK)
 *   shop/cart ──(cart pages)──► payments gateway: a third-party host, seen only as an external node
 *
 * Some services run several instances (cart three, ratings two: one of them a flaky replica, see
 * shop/plan.ts), so balancing, stickiness and outlier ejection have something to choose between. Every
 * instance runs in one of two zones of one region, as its proxy's --zone / --region say, so a
 * LoadBalancingPolicy with `locality` has something to prefer (examples/policies/cart-load-balancing.yaml).
 */
export type ServiceKind = 'frontend' | 'catalog' | 'cart' | 'pricing' | 'reviews' | 'ratings';

export interface DemoWorkload {
  /** Unique instance name: used for log files, proxy ids and process names. */
  name: string;
  service: ServiceKind;
  namespace: string;
  version: string;
  /** Where it runs (its proxy's --zone / --region; in Kubernetes mode the EndpointSlice zone and Pod label). */
  zone: string;
  region: string;
}

export const DEMO_REGION = 'eu-west-1';
/** The caller-side zone: the frontend, catalog and most of the shop. */
export const ZONE_A = 'eu-west-1a';
export const ZONE_B = 'eu-west-1b';
const inRegion = { region: DEMO_REGION };

export const DEMO_WORKLOADS: readonly DemoWorkload[] = [
  {
    name: 'frontend',
    service: 'frontend',
    namespace: 'storefront',
    version: 'v1',
    zone: ZONE_A,
    ...inRegion,
  },
  { name: 'catalog', service: 'catalog', namespace: 'shop', version: 'v1', zone: ZONE_A, ...inRegion },
  { name: 'cart', service: 'cart', namespace: 'shop', version: 'v1', zone: ZONE_A, ...inRegion },
  { name: 'pricing', service: 'pricing', namespace: 'shop', version: 'v1', zone: ZONE_A, ...inRegion },
  { name: 'reviews-v1', service: 'reviews', namespace: 'shop', version: 'v1', zone: ZONE_A, ...inRegion },
  { name: 'reviews-v2', service: 'reviews', namespace: 'shop', version: 'v2', zone: ZONE_B, ...inRegion },
  { name: 'ratings', service: 'ratings', namespace: 'shop', version: 'v1', zone: ZONE_B, ...inRegion },
  // Appended (ports of the workloads above stay where they were): more replicas.
  { name: 'cart-2', service: 'cart', namespace: 'shop', version: 'v1', zone: ZONE_A, ...inRegion },
  { name: 'cart-3', service: 'cart', namespace: 'shop', version: 'v1', zone: ZONE_B, ...inRegion },
  /** The flaky replica: answers 503 to a share of its requests (shop/plan.ts). */
  { name: 'ratings-2', service: 'ratings', namespace: 'shop', version: 'v1', zone: ZONE_B, ...inRegion },
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

/** A service the demo runs outside the mesh: no proxy, no registration; callers reach it as egress. */
export interface OutsideService {
  /** Process/log name and the key of its address in the shop plan. */
  name: 'recommendations' | 'payments-gateway';
  /** Only for services that report telemetry themselves (OTLP): the identity they report as. */
  identity?: { namespace: string; service: string; version: string };
}

export const RECOMMENDATIONS = {
  name: 'recommendations',
  identity: { namespace: 'shop', service: 'recommendations', version: 'v1' },
} as const satisfies OutsideService;

/** A stand-in for a third-party API: plain HTTP, no telemetry of its own. */
export const PAYMENTS_GATEWAY: OutsideService = { name: 'payments-gateway' };

export const OUTSIDE_SERVICES: readonly OutsideService[] = [RECOMMENDATIONS, PAYMENTS_GATEWAY];
