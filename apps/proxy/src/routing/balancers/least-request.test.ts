import { describe, expect, it } from 'vitest';
import { EndpointState } from '../endpoint-registry.ts';
import { distinctPositions } from './candidates.ts';
import { LeastRequest } from './least-request.ts';

const endpoint = (address: string, inFlight = 0) => {
  const state = new EndpointState(address);
  for (let i = 0; i < inFlight; i++) state.requestStarted();
  return { address, state };
};

/** A random source that returns the given values in turn. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] as number;
};

describe('LeastRequest (power of two choices)', () => {
  it('of the two drawn, takes the one with fewer requests in flight', () => {
    const a = endpoint('a', 5);
    const b = endpoint('b', 1);
    const c = endpoint('c', 0);
    // Draws a (0.0) and b (0.4): b has fewer in flight; c was not drawn.
    const lr = new LeastRequest([a, b, c], 2, sequence(0.0, 0.4));
    expect(lr.pick()?.address).toBe('b');
  });

  it('sends almost everything away from a busy endpoint', () => {
    const busy = endpoint('busy', 10);
    const idle = [endpoint('x'), endpoint('y'), endpoint('z')];
    const lr = new LeastRequest([busy, ...idle]);
    let toBusy = 0;
    for (let i = 0; i < 1000; i++) if (lr.pick() === busy) toBusy++;
    // The busy one wins only when drawn twice, which distinct draws never do.
    expect(toBusy).toBe(0);
  });

  it('spreads evenly among equally loaded endpoints', () => {
    const items = [endpoint('a'), endpoint('b'), endpoint('c'), endpoint('d')];
    const lr = new LeastRequest(items);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const e = lr.pick();
      counts.set(e?.address ?? '', (counts.get(e?.address ?? '') ?? 0) + 1);
    }
    for (const n of counts.values()) expect(n).toBeGreaterThan(700);
  });

  it('prefers usable endpoints over idle unusable ones, and picks among all when none is usable', () => {
    const ejected = endpoint('ejected', 0);
    const ok = endpoint('ok', 50);
    const lr = new LeastRequest([ejected, ok]);
    for (let i = 0; i < 20; i++) expect(lr.pick((e) => e !== ejected)?.address).toBe('ok');
    expect(lr.pick(() => false)?.address).toBe('ejected'); // panic: fewest in flight of all
  });

  it('draws `choices` endpoints', () => {
    const items = [endpoint('a', 3), endpoint('b', 2), endpoint('c', 1), endpoint('d', 0)];
    // With 4 choices of 4 endpoints, every one is compared: always the least loaded.
    const lr = new LeastRequest(items, 4);
    for (let i = 0; i < 10; i++) expect(lr.pick()?.address).toBe('d');
  });

  it('has nothing to pick from an empty list', () => {
    expect(new LeastRequest([]).pick()).toBeUndefined();
  });
});

describe('distinctPositions', () => {
  it('terminates and stays distinct whatever the random source returns', () => {
    expect(distinctPositions(5, 2, () => 0)).toEqual([0, 1]);
    expect(distinctPositions(5, 3, () => 0.99)).toEqual([4, 0, 1]);
    expect(distinctPositions(2, 4, () => 0.5)).toEqual([0, 1]);
  });
});
