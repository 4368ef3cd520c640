import { describe, expect, it } from 'vitest';
import { MAX_RING_POINTS, RingHash } from './ring-hash.ts';

const endpoints = (n: number) => Array.from({ length: n }, (_, i) => ({ address: `10.0.0.${i + 1}:15006` }));
const withHeader = (value: string) => ({ headers: { 'x-user': value } });
const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

function owners(ring: RingHash<{ address: string }>): Map<string, string | undefined> {
  return new Map(KEYS.map((k) => [k, ring.pick(undefined, withHeader(k))?.address]));
}

describe('RingHash', () => {
  it('sends the same key to the same endpoint, whatever the header name case in the policy', () => {
    const ring = new RingHash(endpoints(5), { header: 'X-User' });
    const first = ring.pick(undefined, withHeader('alice'));
    for (let i = 0; i < 100; i++) expect(ring.pick(undefined, withHeader('alice'))).toBe(first);
    // A ring built again from the same endpoints agrees (another proxy, or after a config update).
    const again = new RingHash(endpoints(5), { header: 'x-user' });
    expect(again.pick(undefined, withHeader('alice'))?.address).toBe(first?.address);
  });

  it('spreads keys over the endpoints', () => {
    const counts = new Map<string, number>();
    for (const owner of owners(new RingHash(endpoints(5), { header: 'x-user' })).values())
      counts.set(owner ?? '', (counts.get(owner ?? '') ?? 0) + 1);
    expect(counts.size).toBe(5);
    // 2 000 each on average; 1 024 points per endpoint keep every share within ±15 %.
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(300);
  });

  it('when an endpoint goes, moves only the keys it owned', () => {
    const all = endpoints(10);
    const before = owners(new RingHash(all, { header: 'x-user' }));
    const removed = all[3]?.address;
    const after = owners(
      new RingHash(
        all.filter((e) => e.address !== removed),
        { header: 'x-user' },
      ),
    );
    let moved = 0;
    for (const key of KEYS) {
      if (before.get(key) === removed) {
        expect(after.get(key)).not.toBe(removed);
        moved++;
      } else {
        expect(after.get(key)).toBe(before.get(key));
      }
    }
    expect(moved).toBeGreaterThan(700); // about a tenth of the keys were its
    expect(moved).toBeLessThan(1300);
  });

  it('when an endpoint comes, takes keys only for itself', () => {
    const all = endpoints(10);
    const before = owners(new RingHash(all.slice(0, 9), { header: 'x-user' }));
    const after = owners(new RingHash(all, { header: 'x-user' }));
    const added = all[9]?.address;
    for (const key of KEYS) if (after.get(key) !== added) expect(after.get(key)).toBe(before.get(key));
  });

  it('skips an unusable endpoint clockwise and gives its keys back when it is usable again', () => {
    const all = endpoints(4);
    const ring = new RingHash(all, { header: 'x-user' });
    const down = ring.pick(undefined, withHeader('alice'));
    const usable = (e: { address: string }) => e !== down;
    const elsewhere = ring.pick(usable, withHeader('alice'));
    expect(elsewhere).toBeDefined();
    expect(elsewhere).not.toBe(down);
    expect(ring.pick(usable, withHeader('alice'))).toBe(elsewhere); // still sticky while it is down
    expect(ring.pick(undefined, withHeader('alice'))).toBe(down);
    expect(ring.pick(() => false, withHeader('alice'))).toBe(down); // panic: the owner itself
  });

  it('hashes the cookie when the header is absent', () => {
    const ring = new RingHash(endpoints(8), { header: 'x-user', cookie: 'session' });
    const byCookie = ring.pick(undefined, { headers: { cookie: 'a=1; session=abc' } });
    expect(ring.pick(undefined, { headers: { cookie: 'session=abc' } })).toBe(byCookie);
    expect(ring.pick(undefined, withHeader('abc'))).toBe(byCookie); // same key, same point
  });

  it('sends a request without the key to a random usable endpoint', () => {
    const all = endpoints(3);
    let r = 0;
    const ring = new RingHash(all, { header: 'x-user' }, 64, () => [0.1, 0.5, 0.9][r++ % 3] as number);
    expect([0, 1, 2].map(() => ring.pick(undefined, { headers: {} })?.address)).toEqual(
      all.map((e) => e.address),
    );
    expect(ring.pick((e) => e === all[2], { headers: {} })).toBe(all[2]);
  });

  it('gives every endpoint minRingSize points, within the cap', () => {
    expect(new RingHash(endpoints(3), { header: 'x' }, 1024).size).toBe(3 * 1024);
    expect(new RingHash(endpoints(3), { header: 'x' }, 64).size).toBe(3 * 64);
    expect(new RingHash(endpoints(4), { header: 'x' }, 1 << 20).size).toBe(MAX_RING_POINTS);
    expect(new RingHash([], { header: 'x' }).pick(undefined, withHeader('a'))).toBeUndefined();
  });
});
