import { describe, expect, it } from 'vitest';
import type { ServicePolicy } from '@weft/schema';
import { EndpointState } from '../../routing/endpoint-registry.ts';
import { RoundRobin } from '../../routing/round-robin.ts';
import { ServiceBreaker } from './breakers.ts';
import type { AttemptOutcome } from './endpoint-outlier.ts';
import { DEFAULT_OUTLIER_SETTINGS, MAX_EJECTION_MS } from './outlier-settings.ts';

const ok: AttemptOutcome = { kind: 'response', status: 200 };
const s500: AttemptOutcome = { kind: 'response', status: 500 };
const s503: AttemptOutcome = { kind: 'response', status: 503 };
const refused: AttemptOutcome = { kind: 'local-failure', failure: 'connect' };

function peers(n: number) {
  return Array.from({ length: n }, (_, i) => ({ state: new EndpointState(`10.0.0.${i + 1}:15006`) }));
}

function policy(od: NonNullable<ServicePolicy['circuitBreaker']>['outlierDetection']) {
  return { source: 'CircuitBreakerPolicy shop/cb', outlierDetection: od };
}

/** Records `outcome` `times` times on `e` at `now`; the last result. */
function hit(
  b: ServiceBreaker,
  e: EndpointState,
  all: { state: EndpointState }[],
  o: AttemptOutcome,
  times: number,
  now: number,
) {
  let last: ReturnType<ServiceBreaker['record']>;
  for (let i = 0; i < times; i++) last = b.record(e, all, o, now);
  return last;
}

describe('outlier detection', () => {
  it('by default ejects after 5 gateway errors in a row (connect failures included) for 30 s', () => {
    const all = peers(2);
    const [a] = all.map((p) => p.state) as [EndpointState];
    const b = new ServiceBreaker('catalog', 'shop', undefined);
    expect(b.outlier).toBe(DEFAULT_OUTLIER_SETTINGS);
    expect(hit(b, a, all, refused, 4, 0)).toBeUndefined();
    expect(a.available(0)).toBe(true);
    expect(b.record(a, all, s503, 1)).toEqual({ reason: 'consecutive-gateway-errors', durationMs: 30_000 });
    expect(a.available(1)).toBe(false);
    expect(a.available(30_000)).toBe(false);
    expect(a.available(30_001)).toBe(true);
  });

  it('a success or a plain 500 breaks a run of gateway errors', () => {
    const all = peers(2);
    const a = all[0]!.state;
    const b = new ServiceBreaker('catalog', 'shop', undefined);
    hit(b, a, all, s503, 4, 0);
    b.record(a, all, ok, 0);
    expect(hit(b, a, all, s503, 4, 0)).toBeUndefined();
    b.record(a, all, s500, 0);
    expect(hit(b, a, all, s503, 4, 0)).toBeUndefined();
    expect(a.available(0)).toBe(true);
  });

  it('counts consecutive 5xx of any kind when the policy asks', () => {
    const all = peers(2);
    const a = all[0]!.state;
    const b = new ServiceBreaker(
      'catalog',
      'shop',
      policy({ consecutive5xx: 3, baseEjectionTime: '10s', maxEjectionPercent: 50 }),
    );
    hit(b, a, all, s500, 2, 0);
    // A policy replaces the default: gateway errors alone count only as 5xx here.
    expect(b.record(a, all, s503, 0)).toEqual({ reason: 'consecutive-5xx', durationMs: 10_000 });
  });

  it('ejects on failure percentage over an interval once it has the minimum of requests', () => {
    const all = peers(2);
    const a = all[0]!.state;
    const b = new ServiceBreaker(
      'catalog',
      'shop',
      policy({
        failurePercentage: { threshold: 50, minimumRequests: 10, interval: '10s' },
        baseEjectionTime: '1s',
        maxEjectionPercent: 50,
      }),
    );
    // 4 of 9 failed: below the minimum of requests, then 40 %.
    hit(b, a, all, s500, 4, 0);
    hit(b, a, all, ok, 5, 100);
    expect(b.record(a, all, ok, 200)).toBeUndefined();
    // A new window: its first 4 failures and 5 successes do not eject; the 10th request (a failure) does.
    hit(b, a, all, ok, 5, 10_000);
    hit(b, a, all, s500, 4, 10_100);
    expect(b.record(a, all, s500, 10_200)).toEqual({ reason: 'failure-percentage', durationMs: 1000 });
  });

  it('ejects for longer each time in a row, and forgets one ejection per base time spent healthy', () => {
    const all = peers(2);
    const a = all[0]!.state;
    const b = new ServiceBreaker(
      'catalog',
      'shop',
      policy({ consecutiveGatewayErrors: 1, baseEjectionTime: '10s', maxEjectionPercent: 50 }),
    );
    expect(b.record(a, all, s503, 0)?.durationMs).toBe(10_000);
    // Outcomes of requests sent before the ejection do not count while it lasts.
    expect(b.record(a, all, s503, 5_000)).toBeUndefined();
    expect(b.record(a, all, s503, 10_000)?.durationMs).toBe(20_000);
    expect(b.record(a, all, s503, 30_000)?.durationMs).toBe(30_000);
    // Healthy for 2 base times after the ejection that ended at 60 s: back to 1, so the next lasts 2 × 10 s.
    expect(b.record(a, all, s503, 80_000)?.durationMs).toBe(20_000);
    // Capped at Envoy's max_ejection_time.
    for (let t = 100_000, i = 0; i < 40; i++) t += b.record(a, all, s503, t)?.durationMs ?? 0;
    expect(b.record(a, all, s503, a.ejectedUntil)?.durationMs).toBe(MAX_EJECTION_MS);
  });

  it('never ejects more than maxEjectionPercent of the service (Envoy: else not at all)', () => {
    const all = peers(4);
    const [a, c, d] = all.map((p) => p.state) as [EndpointState, EndpointState, EndpointState];
    const b = new ServiceBreaker(
      'catalog',
      'shop',
      policy({ consecutiveGatewayErrors: 1, baseEjectionTime: '10s', maxEjectionPercent: 50 }),
    );
    expect(b.record(a, all, s503, 0)).toBeDefined();
    expect(b.record(c, all, s503, 0)).toBeDefined();
    expect(b.record(d, all, s503, 0)).toBeUndefined();
    expect(d.available(0)).toBe(true);
    expect(b.ejectionsRefused).toBe(1);
    // Once one comes back, another may go.
    expect(b.record(d, all, s503, 10_000)).toBeDefined();
    const none = new ServiceBreaker(
      'catalog',
      'shop',
      policy({ consecutiveGatewayErrors: 1, baseEjectionTime: '10s', maxEjectionPercent: 0 }),
    );
    expect(none.record(all[3]!.state, all, s503, 0)).toBeUndefined();
  });

  it('balancers skip ejected endpoints and use them all when none is left (panic mode)', () => {
    const all = peers(3);
    const rr = new RoundRobin(all, 0);
    const usable = (now: number) => (p: { state: EndpointState }) => p.state.available(now);
    all[1]!.state.outlier.eject('consecutive-5xx', 10_000, 0);
    const picks = Array.from({ length: 4 }, () => rr.pick(usable(1))?.state.address);
    expect(picks).toEqual(['10.0.0.1:15006', '10.0.0.3:15006', '10.0.0.1:15006', '10.0.0.3:15006']);
    all[0]!.state.activeHealthy = false;
    all[2]!.state.outlier.eject('consecutive-5xx', 10_000, 0);
    const panic = Array.from({ length: 3 }, () => rr.pick(usable(1))?.state.address);
    expect(new Set(panic).size).toBe(3);
    expect(rr.pick(usable(10_000))?.state.address).toBeDefined();
  });
});
