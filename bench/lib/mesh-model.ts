/**
 * A generated service mesh for the query benchmark (bench/queries.ts): N services in M namespaces, E edges, each
 * edge with a request rate, error ratio and latency distribution. Deterministic for a given seed.
 *
 * Shape, chosen to look like the meshes Weft's users run rather than a uniform random graph:
 * - tiers: 5% gateways (called from outside the mesh), 35% mid-tier, 40% backends, 20% leaf services (data
 *   access, caches); calls go from a tier to a deeper one, so the graph is layered;
 * - popularity is heavy-tailed (Zipf): a few services (auth, config, catalog …) have hundreds of callers;
 * - 75% of calls stay in the caller's namespace;
 * - rates flow: a service's outgoing edges carry its incoming rate × calls per request (log-normal), so the
 *   busiest services are the popular backends; the mesh as a whole serves 50 requests/s per service;
 * - 10% of services run two versions (a 10% canary);
 * - latency per edge is log-normal around the callee's own median with a Pareto tail (0.2–3% of requests,
 *   ≥ 5× the median), errors are mostly ~0.1% with 5% flaky edges at 1–8%, some edges are rate limited.
 */
import { LATENCY_BOUNDS_MS, LATENCY_BUCKET_COUNT, UNKNOWN_SERVICE } from '@weft/schema';

export interface MeshParams {
  services: number;
  namespaces: number;
  edges: number;
  seed: number;
}

export interface MeshService {
  namespace: string;
  name: string;
  tier: number;
  versions: { name: string; share: number }[];
  /** Median latency of the service's own work (ms). */
  medianMs: number;
}

/** One edge between two services (source -1: callers outside the mesh). */
export interface MeshEdge {
  source: number;
  dest: number;
  /** Mean requests per second over a day (before the daily cycle). */
  ratePerS: number;
  errorRatio: number;
  rateLimitedRatio: number;
  /** P(latency ≤ LATENCY_BOUNDS_MS[k]) cumulated per bucket; the last entry is 1. */
  bucketCdf: Float64Array;
  /** Representative latency of a request in each bucket (ms), for sumMs and maxMs. */
  bucketMeanMs: Float64Array;
}

export interface Mesh {
  params: MeshParams;
  services: MeshService[];
  edges: MeshEdge[];
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same mesh and the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** a[i] += x for a typed array (noUncheckedIndexedAccess makes the compound form an error). */
export function addAt(a: Float64Array, i: number, x: number): void {
  a[i] = (a[i] as number) + x;
}

export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function logNormal(random: () => number, median: number, sigma: number): number {
  return median * Math.exp(sigma * gaussian(random));
}

const TEAMS = [
  'payments',
  'checkout',
  'catalog',
  'search',
  'identity',
  'shipping',
  'inventory',
  'pricing',
  'ads',
  'media',
  'messaging',
  'billing',
  'analytics',
  'reviews',
  'support',
  'fraud',
  'loyalty',
  'partners',
  'platform',
  'growth',
  'mobile',
  'content',
  'ledger',
  'risk',
  'recs',
  'notify',
  'geo',
  'tax',
];
const NOUNS = [
  'order',
  'cart',
  'user',
  'session',
  'price',
  'stock',
  'invoice',
  'refund',
  'coupon',
  'review',
  'image',
  'video',
  'email',
  'sms',
  'push',
  'address',
  'route',
  'quote',
  'ledger',
  'account',
  'profile',
  'token',
  'report',
  'event',
  'feature',
  'flag',
  'rating',
  'wishlist',
  'offer',
  'bid',
  'score',
  'label',
  'tag',
  'feed',
  'index',
  'query',
  'rank',
  'geo',
  'tax',
  'fx',
  'card',
  'wallet',
  'ticket',
  'chat',
  'audit',
  'consent',
  'device',
  'store',
  'vendor',
  'seller',
  'bundle',
  'plan',
  'usage',
  'quota',
  'config',
  'secret',
];
const ROLES_BY_TIER = [
  ['gateway', 'bff', 'web', 'edge'],
  ['api', 'service', 'orchestrator', 'aggregator', 'manager'],
  ['backend', 'engine', 'worker', 'processor', 'resolver', 'store'],
  ['db', 'cache', 'repo', 'dao', 'index'],
];

/** Upper bound of every bucket but +Inf, and a representative value for +Inf. */
const INF_REPRESENTATIVE_MS = 45_000;

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 (error < 1.5e-7): plenty for bucket probabilities.
  const t = 1 / (1 + 0.3275911 * Math.abs(z / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** CDF over the latency buckets of a log-normal body with a Pareto tail. */
function latencyBuckets(
  medianMs: number,
  sigma: number,
  tailShare: number,
): { cdf: Float64Array; mean: Float64Array } {
  const mu = Math.log(medianMs);
  const xm = medianMs * 5;
  const alpha = 1.4;
  const cdfAt = (x: number) => {
    const body = normalCdf((Math.log(x) - mu) / sigma);
    const tail = x <= xm ? 0 : 1 - (xm / x) ** alpha;
    return (1 - tailShare) * body + tailShare * tail;
  };
  const cdf = new Float64Array(LATENCY_BUCKET_COUNT);
  const mean = new Float64Array(LATENCY_BUCKET_COUNT);
  let lower = 0;
  for (let k = 0; k < LATENCY_BUCKET_COUNT; k++) {
    const upper = LATENCY_BOUNDS_MS[k];
    cdf[k] = upper === undefined ? 1 : cdfAt(upper);
    mean[k] = upper === undefined ? INF_REPRESENTATIVE_MS : lower + (upper - lower) * 0.55;
    lower = upper ?? lower;
  }
  return { cdf, mean };
}

function serviceNames(count: number, random: () => number, tierOf: (i: number) => number): string[] {
  const used = new Set<string>();
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const roles = ROLES_BY_TIER[tierOf(i)] as string[];
    let name = '';
    for (let attempt = 0; attempt < 20 && (name === '' || used.has(name)); attempt++) {
      const noun = NOUNS[Math.floor(random() * NOUNS.length)] as string;
      const role = roles[Math.floor(random() * roles.length)] as string;
      name = attempt < 10 ? `${noun}-${role}` : `${noun}-${role}-${attempt}`;
    }
    if (used.has(name)) name = `svc-${i}`;
    used.add(name);
    names.push(name);
  }
  return names;
}

function namespaceNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i < TEAMS.length
      ? (TEAMS[i] as string)
      : `${TEAMS[i % TEAMS.length] as string}-${Math.floor(i / TEAMS.length)}`,
  );
}

const TIER_SHARES = [0.05, 0.35, 0.4, 0.2];
const REQUESTS_PER_S_PER_SERVICE = 50;

/** Picks an index with probability proportional to weights (a prefix-sum array). */
function pick(prefix: Float64Array, random: () => number): number {
  const total = prefix[prefix.length - 1] as number;
  const x = random() * total;
  let lo = 0;
  let hi = prefix.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((prefix[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function buildMesh(params: MeshParams): Mesh {
  const random = rng(params.seed);
  const { services: n, namespaces: m } = params;
  if (n < 8) throw new Error('the mesh needs at least 8 services');
  const nsNames = namespaceNames(m);
  const tierBounds: number[] = [];
  let acc = 0;
  for (const share of TIER_SHARES) {
    acc += share;
    tierBounds.push(Math.round(acc * n));
  }
  // Services are laid out by tier, and within a tier across namespaces.
  const tierOf = (i: number) => tierBounds.findIndex((b) => i < b);
  const names = serviceNames(n, random, tierOf);
  const services: MeshService[] = names.map((name, i) => ({
    namespace: nsNames[i % m] as string,
    name,
    tier: tierOf(i),
    versions:
      random() < 0.1
        ? [
            { name: 'v1', share: 0.9 },
            { name: 'v2', share: 0.1 },
          ]
        : [{ name: 'v1', share: 1 }],
    medianMs: Math.min(400, logNormal(random, tierOf(i) === 3 ? 2 : 6, 0.8)),
  }));

  // Popularity (Zipf over a random order) decides who gets called.
  const popularity = services.map(() => 0);
  const order = services.map((_, i) => i).sort(() => random() - 0.5);
  order.forEach((svc, rank) => (popularity[svc] = 1 / (rank + 1) ** 0.9));

  const edgeKeys = new Set<string>();
  const pairs: [number, number][] = [];
  const gateways = services.map((s, i) => (s.tier === 0 ? i : -1)).filter((i) => i >= 0);
  // Every gateway is called from outside the mesh; every service below the gateways gets at least one caller.
  for (const g of gateways) {
    pairs.push([-1, g]);
    edgeKeys.add(`-1>${g}`);
  }
  const byTier = [0, 1, 2, 3].map((t) => services.map((_, i) => i).filter((i) => services[i]?.tier === t));
  const callersOf = (tier: number) => byTier.slice(0, tier).flat();
  const callerPrefix = (tier: number, namespace: string | null) => {
    const list = callersOf(tier).filter((i) => namespace === null || services[i]?.namespace === namespace);
    return list;
  };
  for (let i = 0; i < n && pairs.length < params.edges; i++) {
    const s = services[i] as MeshService;
    if (s.tier === 0) continue;
    let callers = callerPrefix(s.tier, random() < 0.75 ? s.namespace : null);
    if (callers.length === 0) callers = callerPrefix(s.tier, null);
    const caller = callers[Math.floor(random() * callers.length)] as number;
    const key = `${caller}>${i}`;
    if (!edgeKeys.has(key)) {
      edgeKeys.add(key);
      pairs.push([caller, i]);
    }
  }
  // The rest by popularity of the callee, from a caller in a shallower tier.
  const calleePrefix = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += services[i]?.tier === 0 ? 0 : (popularity[i] as number);
    calleePrefix[i] = sum;
  }
  const nsMembers = new Map<string, number[]>();
  services.forEach((s, i) => nsMembers.set(s.namespace, [...(nsMembers.get(s.namespace) ?? []), i]));
  let guard = 0;
  while (pairs.length < params.edges && guard++ < params.edges * 50) {
    const callee = pick(calleePrefix, random);
    const tier = services[callee]?.tier ?? 1;
    const sameNs = random() < 0.75;
    const pool = sameNs
      ? (nsMembers.get(services[callee]?.namespace ?? '') ?? []).filter(
          (i) => (services[i]?.tier ?? 9) < tier,
        )
      : byTier.slice(0, tier).flat();
    if (pool.length === 0) continue;
    // Shallower callers fan out more.
    const caller = pool[Math.floor(random() ** 1.5 * pool.length)] as number;
    const key = `${caller}>${callee}`;
    if (edgeKeys.has(key)) continue;
    edgeKeys.add(key);
    pairs.push([caller, callee]);
  }

  // Rates flow from the gateways down the tiers.
  const inboundRate = new Float64Array(n);
  const edgeRates = new Float64Array(pairs.length);
  const outgoing = new Map<number, number[]>();
  pairs.forEach(([src], e) => outgoing.set(src, [...(outgoing.get(src) ?? []), e]));
  for (const e of outgoing.get(-1) ?? []) {
    const rate = logNormal(random, 60, 0.9);
    edgeRates[e] = rate;
    addAt(inboundRate, pairs[e]?.[1] as number, rate);
  }
  for (let tier = 0; tier < 4; tier++) {
    for (const i of byTier[tier] as number[]) {
      for (const e of outgoing.get(i) ?? []) {
        const rate = Math.max(0.002, (inboundRate[i] as number) * logNormal(random, 0.25, 1.6));
        edgeRates[e] = rate;
        addAt(inboundRate, pairs[e]?.[1] as number, rate);
      }
    }
  }

  // Propagation sets the shape; the scale is a mesh-wide mean of 50 requests/s per service.
  let total = 0;
  for (const r of edgeRates) total += r;
  const scale = (REQUESTS_PER_S_PER_SERVICE * n) / total;
  const edges: MeshEdge[] = pairs.map(([source, dest], e) => {
    const callee = services[dest] as MeshService;
    const flaky = random() < 0.05;
    const { cdf, mean } = latencyBuckets(
      callee.medianMs * logNormal(random, 1.2, 0.3),
      0.5 + random() * 0.4,
      0.002 + random() * 0.028,
    );
    return {
      source,
      dest,
      ratePerS: (edgeRates[e] as number) * scale,
      errorRatio: flaky ? 0.01 + random() * 0.07 : logNormal(random, 0.001, 0.7),
      rateLimitedRatio: random() < 0.03 ? 0.005 + random() * 0.02 : 0,
      bucketCdf: cdf,
      bucketMeanMs: mean,
    };
  });
  return { params, services, edges };
}

/** The identity of a series end: a service of the mesh, or the outside caller. */
export function endpointOf(
  mesh: Mesh,
  index: number,
  version: string,
): { namespace: string; service: string; version: string } {
  if (index < 0) return { namespace: UNKNOWN_SERVICE, service: UNKNOWN_SERVICE, version: UNKNOWN_SERVICE };
  const s = mesh.services[index] as MeshService;
  return { namespace: s.namespace, service: s.name, version };
}

/** The service that receives the most requests (what "the busiest service" means in the report). */
export function busiestService(mesh: Mesh): MeshService {
  const inbound = new Float64Array(mesh.services.length);
  for (const e of mesh.edges) addAt(inbound, e.dest, e.ratePerS);
  let best = 0;
  for (let i = 1; i < inbound.length; i++) if ((inbound[i] as number) > (inbound[best] as number)) best = i;
  return mesh.services[best] as MeshService;
}

/** A typical service: the median by inbound rate. */
export function medianService(mesh: Mesh): MeshService {
  const inbound = new Float64Array(mesh.services.length);
  for (const e of mesh.edges) addAt(inbound, e.dest, e.ratePerS);
  const order = mesh.services
    .map((_, i) => i)
    .sort((a, b) => (inbound[a] as number) - (inbound[b] as number));
  return mesh.services[order[Math.floor(order.length / 2)] as number] as MeshService;
}

export function totalRatePerS(mesh: Mesh): number {
  return mesh.edges.reduce((s, e) => s + e.ratePerS, 0);
}
