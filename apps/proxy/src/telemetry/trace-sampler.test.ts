import { describe, expect, it } from 'vitest';
import { newTraceId } from './ids.ts';
import { TraceSampler } from './trace-sampler.ts';

describe('TraceSampler', () => {
  it('samples new traces at the configured share, from the trace id alone', () => {
    const sampler = new TraceSampler({ percent: 10, slowThresholdMs: 1000 });
    let sampled = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (sampler.sampleTrace(newTraceId())) sampled++;
    // 10 % ± 1.5 points: about 7 standard deviations of a binomial(20000, 0.1).
    expect(sampled / n).toBeGreaterThan(0.085);
    expect(sampled / n).toBeLessThan(0.115);
    const id = newTraceId();
    expect(new TraceSampler({ percent: 10, slowThresholdMs: 1 }).sampleTrace(id)).toBe(
      sampler.sampleTrace(id),
    );
  });

  it('decides from the random rightmost bits of the trace id', () => {
    const sampler = new TraceSampler({ percent: 50, slowThresholdMs: 1000 });
    expect(sampler.sampleTrace('f'.repeat(19) + '0'.repeat(13))).toBe(true);
    expect(sampler.sampleTrace('0'.repeat(19) + 'f'.repeat(13))).toBe(false);
  });

  it('samples all or nothing at 100 % and 0 %', () => {
    const all = new TraceSampler({ percent: 100, slowThresholdMs: 1000 });
    const none = new TraceSampler({ percent: 0, slowThresholdMs: 1000 });
    expect(all.sampleTrace('0000000000000000000fffffffffffff')).toBe(true);
    expect(none.sampleTrace('00000000000000000000000000000001')).toBe(false);
  });

  it('keeps unsampled requests that failed or were slow, and counts every decision', () => {
    const sampler = new TraceSampler({ percent: 1, slowThresholdMs: 500 });
    expect(sampler.decide(true, 200, undefined, false, 1)).toBe('sampled');
    expect(sampler.decide(false, 200, undefined, false, 1)).toBe('dropped');
    expect(sampler.decide(false, 503, undefined, false, 1)).toBe('failed');
    expect(sampler.decide(false, 0, undefined, true, 1)).toBe('failed');
    expect(sampler.decide(false, 200, 14, false, 1)).toBe('failed');
    expect(sampler.decide(false, 200, 0, false, 1)).toBe('dropped');
    expect(sampler.decide(false, 200, undefined, true, 1)).toBe('failed');
    expect(sampler.decide(false, 404, undefined, false, 499.9)).toBe('dropped');
    expect(sampler.decide(false, 200, undefined, false, 500)).toBe('slow');
    expect(sampler.decisions).toEqual({ sampled: 1, failed: 4, slow: 1, dropped: 3 });
  });
});
