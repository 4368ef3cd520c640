/**
 * Standard `http.server.request.duration` histograms (OpenTelemetry HTTP semantic conventions) as request
 * telemetry of the resource's service: the SDK's explicit buckets are mapped onto LATENCY_BOUNDS_MS.
 *
 * A foreign layout maps when every one of its bounds (converted to ms) is one of ours: a foreign bucket's count
 * goes to our bucket with the same upper bound (its +Inf bucket to ours), and a 0 bound — the SDK default
 * histogram's first — maps to our first bucket. Every default bound of the OpenTelemetry SDKs is one of ours
 * (histogram.ts); other layouts would have to split a bucket, which we do not guess at: such a point is refused.
 */
import { LATENCY_BOUNDS_MS, LATENCY_BUCKET_COUNT } from '@weft/schema';
import type { Db } from '../db/client.ts';
import type { EdgePoint } from './edge-point.ts';
import { learnHistogramReporter } from './external-aliases.ts';
import { proxiedServices, workloadKey } from './span-metrics.ts';

/** Identities of EdgePoints made from standard histograms start with this (metrics.ts). */
export const STANDARD_HISTOGRAM_IDENTITY = 'otlp:';

/** Units the metric may be in, and their factor to milliseconds. */
export const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1000, ms: 1 };

const OUR_INDEX = new Map(LATENCY_BOUNDS_MS.map((b, i) => [b, i]));

/** Milliseconds without the float noise of the unit conversion (0.075 s × 1000 = 75.00000000000001). */
export function toMs(value: number, factor: number): number {
  return Math.round(value * factor * 1e6) / 1e6;
}

export type BucketMapping = { ok: true; indexes: number[] } | { ok: false; problem: string };

/** Where each foreign bucket's count goes among ours (one index per foreign bucket, the last for +Inf). */
export function mapBounds(foreignBounds: readonly number[], factor: number): BucketMapping {
  const indexes: number[] = [];
  for (const bound of foreignBounds) {
    const ms = toMs(bound, factor);
    const index = ms === 0 ? 0 : OUR_INDEX.get(ms);
    if (index === undefined) {
      return {
        ok: false,
        problem: `bucket bound ${bound} (${ms} ms) is not one of Weft's latency bounds [${LATENCY_BOUNDS_MS.join(', ')}] ms; use the SDK's default buckets or a subset of these`,
      };
    }
    indexes.push(index);
  }
  indexes.push(LATENCY_BUCKET_COUNT - 1);
  return { ok: true, indexes };
}

/** The foreign bucket counts added into our buckets. */
export function remapCounts(counts: readonly number[], indexes: readonly number[]): number[] {
  const out = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  counts.forEach((n, i) => {
    const to = indexes[i] as number;
    out[to] = (out[to] as number) + n;
  });
  return out;
}

/**
 * Leaves out the standard-histogram points of services that have a registered Weft proxy: their proxy's own
 * histograms already count those requests. Such points are accepted, not refused (the sender did nothing
 * wrong), and simply not counted twice.
 */
export async function withoutProxiedServices(db: Db, points: readonly EdgePoint[]): Promise<EdgePoint[]> {
  const standard = points.filter((p) => p.identity.startsWith(STANDARD_HISTOGRAM_IDENTITY));
  if (standard.length === 0) return [...points];
  const proxied = await proxiedServices(
    db,
    standard.map((p) => ({ namespace: p.destNamespace, service: p.destService })),
  );
  // These services' golden signals come from their histograms from now on, not from their spans.
  for (const p of standard) {
    if (!proxied.has(workloadKey({ namespace: p.destNamespace, service: p.destService })))
      learnHistogramReporter(db, { namespace: p.destNamespace, service: p.destService });
  }
  if (proxied.size === 0) return [...points];
  return points.filter(
    (p) =>
      !p.identity.startsWith(STANDARD_HISTOGRAM_IDENTITY) ||
      !proxied.has(workloadKey({ namespace: p.destNamespace, service: p.destService })),
  );
}
