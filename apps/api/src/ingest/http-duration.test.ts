import { LATENCY_BOUNDS_MS, LATENCY_BUCKET_COUNT } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { mapBounds, remapCounts } from './http-duration.ts';

/** The OpenTelemetry SDK's default explicit-bucket bounds (ms) and http.server.request.duration's advice (s). */
const SDK_DEFAULT_MS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const at = (ms: number) => LATENCY_BOUNDS_MS.indexOf(ms);

describe('mapping foreign histogram buckets onto LATENCY_BOUNDS_MS', () => {
  it("maps the semantic conventions' seconds: each count to our bucket with the same upper bound", () => {
    const mapping = mapBounds(HTTP_SECONDS, 1000);
    expect(mapping.ok).toBe(true);
    if (!mapping.ok) return;
    const counts = HTTP_SECONDS.map((_, i) => i + 1).concat([100]);
    const ours = remapCounts(counts, mapping.indexes);
    expect(ours).toHaveLength(LATENCY_BUCKET_COUNT);
    expect(ours[at(5)]).toBe(1);
    expect(ours[at(75)]).toBe(5);
    expect(ours[at(10000)]).toBe(14);
    expect(ours[LATENCY_BUCKET_COUNT - 1]).toBe(100);
    expect(ours.reduce((a, b) => a + b, 0)).toBe(counts.reduce((a, b) => a + b, 0));
  });

  it("maps the SDK's default millisecond bounds, its 0 bound to our first bucket", () => {
    const mapping = mapBounds(SDK_DEFAULT_MS, 1);
    expect(mapping.ok && mapping.indexes.slice(0, 3)).toEqual([0, at(5), at(10)]);
  });

  it('refuses bounds that are not ours, saying which', () => {
    const mapping = mapBounds([0.003, 0.0033], 1000);
    expect(mapping.ok).toBe(false);
    expect(!mapping.ok && mapping.problem).toMatch(
      /^bucket bound 0.0033 \(3.3 ms\) is not one of Weft's latency bounds/,
    );
  });
});
