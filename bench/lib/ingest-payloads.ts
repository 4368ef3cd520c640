/**
 * OTLP/HTTP JSON bodies for the ingest bench, built with the Weft proxy's own encoder
 * (apps/proxy/src/telemetry/otlp-encode.ts) so they are byte for byte what proxies POST to the API:
 *
 * - traces: ExportTraceServiceRequest, one proxy's batch of `spansPerPost` spans (the proxy's export batch
 *   size is 2,000). The spans come from whole traces through a small shop mesh: an inbound SERVER span per
 *   proxy hop, an outbound CLIENT span per call, parents linked as W3C traceparent propagation links them
 *   (inbound span → outbound span of the caller → inbound span of the callee …).
 * - metrics: ExportMetricsServiceRequest, one proxy's flush window: a `weft.request.duration` DELTA
 *   histogram point (LATENCY_BOUNDS_MS) per edge and status code, with the `weft.*` attributes. Every POST
 *   is a different (proxy id, window), so the API's retry de-duplication never drops one.
 *
 * Bodies are built before the measurement, so the bench only sends bytes while it measures.
 */
import { randomBytes } from 'node:crypto';
import { LATENCY_BUCKET_COUNT, LATENCY_BOUNDS_MS, bucketIndex, type KeyValue } from '@weft/schema';
import { UNKNOWN_IDENTITY, type WorkloadIdentity } from '../../apps/proxy/src/identity.ts';
import type { FinishedSpan } from '../../apps/proxy/src/telemetry/finished-span.ts';
import { newSpanId, newTraceId } from '../../apps/proxy/src/telemetry/ids.ts';
import {
  encodeMetrics,
  resourceAttributes,
  spanJson,
  traceRequestJson,
} from '../../apps/proxy/src/telemetry/otlp-encode.ts';
import type { DeltaPoint, EdgeLabels } from '../../apps/proxy/src/telemetry/request-metrics.ts';

export const NAMESPACE = 'shop';
/** The proxies' default flush interval: one metrics POST per proxy per window. */
export const FLUSH_WINDOW_MS = 5000;

/** One POST body and how many items (spans or histogram data points) it carries. */
export interface Payload {
  body: Buffer;
  items: number;
  /** Requests counted in the histogram points (metrics only; 0 for traces). */
  requests: number;
}

interface Workload {
  service: string;
  version: string;
  /** Services it calls. */
  calls: readonly string[];
  /** Request paths its proxy sees (`:id` becomes a number). */
  paths: readonly string[];
}

/** A small shop: every service behind its own sidecar; checkout runs a v2 canary. */
const WORKLOADS: readonly Workload[] = [
  {
    service: 'frontend',
    version: 'v1',
    calls: ['catalog', 'cart', 'checkout', 'recommendations'],
    paths: ['/', '/product/:id', '/cart', '/checkout'],
  },
  {
    service: 'catalog',
    version: 'v1',
    calls: ['inventory', 'pricing'],
    paths: ['/api/products', '/api/products/:id'],
  },
  { service: 'recommendations', version: 'v1', calls: ['catalog'], paths: ['/api/recommendations/:id'] },
  { service: 'cart', version: 'v1', calls: ['pricing'], paths: ['/api/cart/:id', '/api/cart/:id/items'] },
  {
    service: 'checkout',
    version: 'v1',
    calls: ['cart', 'payment', 'shipping', 'email'],
    paths: ['/api/checkout'],
  },
  {
    service: 'checkout',
    version: 'v2',
    calls: ['cart', 'payment', 'shipping', 'email'],
    paths: ['/api/checkout'],
  },
  { service: 'payment', version: 'v1', calls: ['fraud'], paths: ['/api/charge'] },
  { service: 'shipping', version: 'v1', calls: ['inventory'], paths: ['/api/quote', '/api/ship'] },
  { service: 'inventory', version: 'v1', calls: [], paths: ['/api/stock/:id'] },
  { service: 'pricing', version: 'v1', calls: [], paths: ['/api/price/:id'] },
  { service: 'email', version: 'v1', calls: [], paths: ['/api/send'] },
  { service: 'fraud', version: 'v1', calls: [], paths: ['/api/score'] },
];

/** Deterministic pseudo-random numbers (mulberry32), so every run sends the same shape of data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function identity(w: Workload): WorkloadIdentity {
  return { service: w.service, namespace: NAMESPACE, version: w.version };
}

/** Suffixes handed out so far in this process: every proxy id is distinct (random start, then counting). */
let nextSuffix = randomBytes(3).readUIntBE(0, 3);

/**
 * A proxy id as the proxy makes one by default, `<service>.<namespace>-<6 hex>`; the hex part counts up so
 * that no two bench proxies share an id (a shared id and window would be de-duplicated by the API).
 */
function proxyId(w: Workload): string {
  const suffix = nextSuffix++ & 0xffffff;
  return `${w.service}.${NAMESPACE}-${suffix.toString(16).padStart(6, '0')}`;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function concretePath(rand: () => number, template: string): string {
  return template.replace(':id', String(1000 + Math.floor(rand() * 9000)));
}

function workloadsOf(service: string): Workload[] {
  return WORKLOADS.filter((w) => w.service === service);
}

/** Which version of `service` a call lands on (10% of checkout traffic goes to the v2 canary). */
function route(rand: () => number, service: string): Workload {
  const candidates = workloadsOf(service);
  if (candidates.length === 1) return candidates[0] as Workload;
  return (rand() < 0.1 ? candidates[1] : candidates[0]) as Workload;
}

function appStatus(rand: () => number): number {
  const r = rand();
  if (r < 0.01) return 500;
  if (r < 0.015) return 503;
  if (r < 0.03) return 404;
  return 200;
}

export interface TraceBatches {
  payloads: Payload[];
  spans: number;
  traces: number;
  /** Spans whose parent is in the same POST (the rest point into another proxy's batch, or are roots). */
  parentsInSameBatch: number;
  rootSpans: number;
  meanBodyBytes: number;
}

/**
 * Whole traces through the mesh, split into per-proxy batches of exactly `spansPerPost` spans; generation
 * stops when `posts` batches are full (the partly filled ones are not sent).
 */
export function buildTraceBatches(posts: number, spansPerPost: number, seed: number): TraceBatches {
  const rand = prng(seed);
  const proxies = new Map<Workload, { resource: KeyValue[]; spans: string[]; links: [string, string?][] }>();
  for (const w of WORKLOADS) {
    proxies.set(w, { resource: resourceAttributes(identity(w), proxyId(w)), spans: [], links: [] });
  }
  const payloads: Payload[] = [];
  let parentsInSameBatch = 0;
  let rootSpans = 0;
  let traces = 0;
  let bytes = 0;

  const emit = (w: Workload, span: FinishedSpan): void => {
    const proxy = proxies.get(w);
    if (!proxy || payloads.length >= posts) return;
    if (span.parentSpanId === undefined) rootSpans++;
    proxy.links.push([span.spanId, span.parentSpanId]);
    proxy.spans.push(spanJson(span));
    if (proxy.spans.length === spansPerPost) {
      const body = Buffer.from(traceRequestJson(proxy.resource, proxy.spans));
      bytes += body.length;
      payloads.push({ body, items: spansPerPost, requests: 0 });
      const ids = new Set(proxy.links.map(([id]) => id));
      for (const [, parent] of proxy.links) if (parent !== undefined && ids.has(parent)) parentsInSameBatch++;
      proxy.spans = [];
      proxy.links = [];
    }
  };

  /** The callee's inbound proxy span, and recursively its calls; returns when the response ended. */
  const serve = (
    w: Workload,
    traceId: string,
    parentSpanId: string | undefined,
    caller: WorkloadIdentity,
    method: string,
    path: string,
    startMs: number,
    depth: number,
  ): { endMs: number; status: number } => {
    const spanId = newSpanId();
    let t = startMs + 0.05 + rand() * 0.2;
    const calls = depth < 4 ? w.calls.filter(() => rand() < 0.7) : [];
    let status = 200;
    for (const callee of calls) {
      const target = route(rand, callee);
      const outId = newSpanId();
      const outStart = t + 0.02;
      const calleePath = concretePath(rand, pick(rand, target.paths));
      const calleeMethod = calleePath === '/api/checkout' || calleePath === '/api/charge' ? 'POST' : 'GET';
      const child = serve(
        target,
        traceId,
        outId,
        identity(w),
        calleeMethod,
        calleePath,
        outStart + 0.1 + rand() * 0.2,
        depth + 1,
      );
      const outEnd = child.endMs + 0.05 + rand() * 0.1;
      emit(w, {
        traceId,
        spanId: outId,
        parentSpanId: spanId,
        reporter: 'outbound',
        method: calleeMethod,
        path: calleePath,
        status: child.status,
        peer: identity(target),
        serverAddress: callee,
        errorType: undefined,
        traceFlags: 1,
        startMs: outStart,
        endMs: outEnd,
      });
      if (child.status >= 500) status = 502;
      t = outEnd + 0.05;
    }
    if (status === 200) status = appStatus(rand);
    const endMs = t + 0.3 + rand() * rand() * 20;
    emit(w, {
      traceId,
      spanId,
      parentSpanId,
      reporter: 'inbound',
      method,
      path,
      status,
      peer: caller,
      serverAddress: undefined,
      errorType: undefined,
      // Sampled, as every span a proxy exports is (head sampling keeps the rest out of the export).
      traceFlags: 1,
      startMs,
      endMs,
    });
    return { endMs, status };
  };

  const frontend = workloadsOf('frontend')[0] as Workload;
  // Traces started over the last few minutes, as a busy mesh reports them.
  let startMs = Date.now() - 5 * 60_000;
  while (payloads.length < posts) {
    traces++;
    startMs += 0.5 + rand() * 2;
    const path = concretePath(rand, pick(rand, frontend.paths));
    serve(
      frontend,
      newTraceId(),
      undefined,
      UNKNOWN_IDENTITY,
      path === '/checkout' ? 'POST' : 'GET',
      path,
      startMs,
      0,
    );
  }
  return {
    payloads,
    spans: posts * spansPerPost,
    traces,
    parentsInSameBatch,
    rootSpans,
    meanBodyBytes: payloads.length > 0 ? bytes / payloads.length : 0,
  };
}

export interface MetricBatches {
  payloads: Payload[];
  points: number;
  requests: number;
  proxies: number;
  windowsPerProxy: number;
  meanPointsPerPost: number;
  meanBodyBytes: number;
}

/** Every edge a proxy of `w` reports on: inbound (each caller → w) and outbound (w → each callee version). */
function edgesOf(w: Workload): Omit<EdgeLabels, 'status'>[] {
  const self = identity(w);
  const edges: Omit<EdgeLabels, 'status'>[] = [];
  const callers = WORKLOADS.filter((c) => c.calls.includes(w.service));
  if (callers.length === 0) edges.push({ reporter: 'inbound', source: UNKNOWN_IDENTITY, destination: self });
  for (const c of callers) edges.push({ reporter: 'inbound', source: identity(c), destination: self });
  for (const callee of w.calls) {
    for (const target of workloadsOf(callee)) {
      edges.push({ reporter: 'outbound', source: self, destination: identity(target) });
    }
  }
  return edges;
}

/** A latency in ms: mostly a few ms, with a long tail. */
function latencyMs(rand: () => number): number {
  const u = rand();
  return 0.3 + 8 * -Math.log(1 - u * 0.999) * (rand() < 0.05 ? 20 : 1);
}

function deltaPoint(
  rand: () => number,
  labels: EdgeLabels,
  startMs: number,
  endMs: number,
  count: number,
): DeltaPoint {
  const counts = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < count; i++) {
    const ms = latencyMs(rand);
    sum += ms;
    min = Math.min(min, ms);
    max = Math.max(max, ms);
    const b = bucketIndex(ms, LATENCY_BOUNDS_MS);
    counts[b] = (counts[b] as number) + 1;
  }
  return { labels, startMs, endMs, counts, sum, count, min, max };
}

/**
 * `posts` metrics POSTs from a fleet of `proxyCount` proxies (the mesh's workloads round-robin, each proxy
 * with its own id), each POST one proxy's 5 s window: POST i is proxy i mod proxyCount, window
 * floor(i / proxyCount), windows ending before now. Each edge has a 200 point, and error codes now and then.
 */
export function buildMetricBatches(posts: number, proxyCount: number, seed: number): MetricBatches {
  const rand = prng(seed);
  const fleet = Array.from({ length: proxyCount }, (_, i) => {
    const w = WORKLOADS[i % WORKLOADS.length] as Workload;
    return { resource: resourceAttributes(identity(w), proxyId(w)), edges: edgesOf(w) };
  });
  const windows = Math.ceil(posts / proxyCount);
  const firstWindowStart =
    Math.floor((Date.now() - (windows + 1) * FLUSH_WINDOW_MS) / FLUSH_WINDOW_MS) * FLUSH_WINDOW_MS;
  const payloads: Payload[] = [];
  let points = 0;
  let requests = 0;
  let bytes = 0;
  for (let i = 0; i < posts; i++) {
    const proxy = fleet[i % proxyCount] as (typeof fleet)[number];
    const startMs = firstWindowStart + Math.floor(i / proxyCount) * FLUSH_WINDOW_MS + rand();
    const endMs = startMs + FLUSH_WINDOW_MS;
    const batch: DeltaPoint[] = [];
    for (const edge of proxy.edges) {
      const ok = 1 + Math.floor(rand() * 60);
      batch.push(deltaPoint(rand, { ...edge, status: 200 }, startMs, endMs, ok));
      for (const status of [404, 500, 503]) {
        if (rand() < 0.25) {
          batch.push(deltaPoint(rand, { ...edge, status }, startMs, endMs, 1 + Math.floor(rand() * 3)));
        }
      }
    }
    const body = Buffer.from(JSON.stringify(encodeMetrics(proxy.resource, batch)));
    bytes += body.length;
    const batchRequests = batch.reduce((n, p) => n + p.count, 0);
    payloads.push({ body, items: batch.length, requests: batchRequests });
    points += batch.length;
    requests += batchRequests;
  }
  return {
    payloads,
    points,
    requests,
    proxies: Math.min(proxyCount, posts),
    windowsPerProxy: windows,
    meanPointsPerPost: posts > 0 ? points / posts : 0,
    meanBodyBytes: posts > 0 ? bytes / posts : 0,
  };
}

/** Metrics POSTs until at least `points` data points are in them. */
export function buildMetricBatchesFor(points: number, proxyCount: number, seed: number): MetricBatches {
  // Mean points per POST from a probe batch of the same fleet shape, then enough POSTs to reach `points`.
  const probe = buildMetricBatches(Math.min(proxyCount, 200), proxyCount, seed + 1);
  let posts = Math.max(1, Math.ceil(points / Math.max(1, probe.meanPointsPerPost)));
  for (;;) {
    const built = buildMetricBatches(posts, proxyCount, seed);
    if (built.points >= points || posts > points) return built;
    posts += Math.ceil((points - built.points) / Math.max(1, built.meanPointsPerPost));
  }
}
