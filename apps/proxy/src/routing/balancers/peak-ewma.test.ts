import { describe, expect, it } from 'vitest';
import { EndpointState } from '../endpoint-registry.ts';
import { DEFAULT_RTT_MS, EwmaBalancer, PeakEwma } from './peak-ewma.ts';

describe('PeakEwma', () => {
  it('starts at the default RTT and takes the first observation as it is', () => {
    const e = new PeakEwma();
    expect(e.estimate(0)).toBe(DEFAULT_RTT_MS);
    e.observe(5, 0);
    expect(e.estimate(0)).toBe(5);
  });

  it('jumps to a slower observation at once (peak) and decays toward faster ones', () => {
    const e = new PeakEwma();
    e.decayMs = 1000;
    e.observe(10, 0);
    e.observe(100, 10);
    expect(e.estimate(10)).toBe(100);
    // One time constant later a fast answer pulls it down by 1 - 1/e of the way (and idle decay on top).
    e.observe(10, 1010);
    expect(e.estimate(1010)).toBeLessThan(100 * Math.exp(-1) + 10);
    expect(e.estimate(1010)).toBeGreaterThan(10);
  });

  it('decays toward zero while nothing is observed, so a once-slow endpoint is tried again', () => {
    const e = new PeakEwma();
    e.decayMs = 1000;
    e.observe(200, 0);
    expect(e.estimate(5000)).toBeLessThan(200 * Math.exp(-4));
  });
});

describe('EwmaBalancer', () => {
  const endpoint = (address: string) => ({ address, state: new EndpointState(address) });

  it('prefers the endpoint that answers faster', () => {
    let now = 0;
    const fast = endpoint('fast');
    const slow = endpoint('slow');
    const lb = new EwmaBalancer([fast, slow], 10_000, () => now);
    const counts = { fast: 0, slow: 0 };
    for (let i = 0; i < 200; i++) {
      const e = lb.pick();
      if (e === undefined) throw new Error('nothing picked');
      counts[e.address as 'fast' | 'slow']++;
      now += 10;
      e.state.latency.observe(e === fast ? 5 : 80, now);
    }
    // Each is tried once; after that the slow one is dearer by far.
    expect(counts.slow).toBeLessThanOrEqual(2);
    expect(counts.fast).toBeGreaterThanOrEqual(198);
  });

  it('weighs latency by requests in flight: a fast endpoint with a queue loses to an idle slower one', () => {
    const now = 0;
    const fast = endpoint('fast');
    const slow = endpoint('slow');
    fast.state.latency.observe(10, now);
    slow.state.latency.observe(30, now);
    for (let i = 0; i < 5; i++) fast.state.requestStarted(); // 10 × 6 = 60 > 30 × 1
    const lb = new EwmaBalancer([fast, slow], 10_000, () => now);
    expect(lb.pick()?.address).toBe('slow');
  });

  it('sets the policy decay on the endpoint states it balances', () => {
    const a = endpoint('a');
    new EwmaBalancer([a], 2500);
    expect(a.state.latency.decayMs).toBe(2500);
  });

  it('skips unusable endpoints, however fast', () => {
    const fast = endpoint('fast');
    const slow = endpoint('slow');
    fast.state.latency.observe(1, 0);
    slow.state.latency.observe(500, 0);
    const lb = new EwmaBalancer([fast, slow], 10_000, () => 0);
    expect(lb.pick((e) => e !== fast)?.address).toBe('slow');
  });
});
