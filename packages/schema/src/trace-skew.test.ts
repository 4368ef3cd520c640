import { describe, expect, it } from 'vitest';
import { adjustClockSkew, hostKeyOf, type SkewSpan } from './trace-skew.ts';

function span(
  spanId: string,
  parentSpanId: string | null,
  startUs: number,
  durationUs: number,
  hostKey: string,
): SkewSpan {
  return { spanId, parentSpanId, startUs, durationUs, hostKey };
}

/** Where each span ends up: [start, end] after adjustment. */
function placed(spans: SkewSpan[]): Record<string, [number, number]> {
  const { adjustmentUs } = adjustClockSkew(spans);
  return Object.fromEntries(
    spans.map((s) => {
      const start = s.startUs + (adjustmentUs.get(s.spanId) ?? 0);
      return [s.spanId, [start, start + s.durationUs]];
    }),
  );
}

describe('adjustClockSkew', () => {
  it('moves a server child that starts before its client parent into the middle of the latency gap', () => {
    // Client 1000..1100 on host a; server recorded 900..960 on host b (its clock 150 µs behind).
    const spans = [span('client', null, 1000, 100, 'a'), span('server', 'client', 900, 60, 'b')];
    const { adjustmentUs, longerThanParent } = adjustClockSkew(spans);
    // Gap 40 µs: 20 before, 20 after → the server starts at 1020.
    expect(adjustmentUs.get('server')).toBe(120);
    expect(adjustmentUs.has('client')).toBe(false);
    expect(longerThanParent.size).toBe(0);
    expect(placed(spans).server).toEqual([1020, 1080]);
  });

  it('moves a child that ends after its parent back inside it', () => {
    const spans = [span('client', null, 1000, 100, 'a'), span('server', 'client', 1090, 50, 'b')];
    expect(adjustClockSkew(spans).adjustmentUs.get('server')).toBe(-65);
    expect(placed(spans).server).toEqual([1025, 1075]);
  });

  it('leaves a child that already fits, and a child on the same host, where they are', () => {
    const fits = [span('client', null, 1000, 100, 'a'), span('server', 'client', 1010, 50, 'b')];
    expect(adjustClockSkew(fits).adjustmentUs.size).toBe(0);
    // Same clock: a child outside its parent is a real timing, not skew.
    const sameHost = [span('server', null, 1000, 100, 'a'), span('internal', 'server', 1090, 50, 'a')];
    expect(adjustClockSkew(sameHost).adjustmentUs.size).toBe(0);
  });

  it('does not move a child longer than its parent, and flags it', () => {
    // A 179 ms server span under a 64 ms client span: no clock explains that.
    const spans = [span('client', null, 0, 64_000, 'a'), span('server', 'client', 10_000, 179_000, 'b')];
    const { adjustmentUs, longerThanParent } = adjustClockSkew(spans);
    expect(adjustmentUs.size).toBe(0);
    expect([...longerThanParent]).toEqual(['server']);
  });

  it('moves the child’s own subtree with it, and corrects a further host against the moved span', () => {
    const spans = [
      span('client', null, 1000, 1000, 'a'),
      // Host b runs 5000 µs behind: recorded at 0..800 instead of 1100..1900.
      span('server', 'client', 0, 800, 'b'),
      span('b-internal', 'server', 100, 200, 'b'),
      span('b-client', 'b-internal', 150, 100, 'b'),
      // Host c's clock is right: 1300..1350 real.
      span('c-server', 'b-client', 1300, 50, 'c'),
    ];
    const { adjustmentUs } = adjustClockSkew(spans);
    // server: gap 200 → starts at 1100, moved by +1100; its same-host descendants move by the same.
    expect(adjustmentUs.get('server')).toBe(1100);
    expect(adjustmentUs.get('b-internal')).toBe(1100);
    expect(adjustmentUs.get('b-client')).toBe(1100);
    // b-client now at 1250..1350; c-server 1300..1350 fits inside it: not moved.
    expect(adjustmentUs.has('c-server')).toBe(false);
    const at = placed(spans);
    expect(at['b-client']).toEqual([1250, 1350]);
    expect(at['c-server']![0]).toBeGreaterThanOrEqual(at['b-client']![0]);
  });

  it('treats an unknown host as another host, and survives a parent cycle', () => {
    const unknown = [span('p', null, 1000, 100, ''), span('c', 'p', 900, 50, '')];
    expect(adjustClockSkew(unknown).adjustmentUs.get('c')).toBe(125);
    const cycle = [span('x', 'y', 0, 10, 'a'), span('y', 'x', 50, 10, 'b')];
    expect(adjustClockSkew(cycle).adjustmentUs.size).toBe(0);
  });
});

describe('hostKeyOf', () => {
  it('names the host when the resource does, else the process instance, else the service', () => {
    expect(hostKeyOf({ 'host.name': 'node-1', 'service.instance.id': 'p1' }, 'shop', 'cart')).toBe(
      'host.name=node-1',
    );
    expect(hostKeyOf({ 'service.instance.id': 'p1' }, 'shop', 'cart')).toBe('service.instance.id=p1');
    expect(hostKeyOf({}, 'shop', 'cart')).toBe('service=shop/cart');
  });
});
