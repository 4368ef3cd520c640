import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProxyConfig } from '@weft/schema';
import { EndpointRegistry } from '../../routing/endpoint-registry.ts';
import { HealthCheckState } from './health-check-state.ts';
import { HealthCheckers } from './health-checkers.ts';

const thresholds = { unhealthyThreshold: 3, healthyThreshold: 2 };

describe('HealthCheckState', () => {
  it('turns unhealthy after unhealthyThreshold failures in a row, healthy after healthyThreshold passes', () => {
    const s = new HealthCheckState();
    expect(s.record('503', thresholds)).toBe(false);
    expect(s.record('503', thresholds)).toBe(false);
    expect(s.record(undefined, thresholds)).toBe(false); // a pass breaks the run
    expect([s.record('503', thresholds), s.record('503', thresholds)]).toEqual([false, false]);
    expect(s.record('timeout', thresholds)).toBe(true);
    expect([s.healthy, s.lastProblem]).toEqual([false, 'timeout']);
    expect(s.record(undefined, thresholds)).toBe(false);
    expect(s.record('503', thresholds)).toBe(false); // a failure breaks the run of passes
    expect(s.record(undefined, thresholds)).toBe(false);
    expect(s.record(undefined, thresholds)).toBe(true);
    expect(s.healthy).toBe(true);
  });
});

describe('HealthCheckers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const config = (addresses: string[], withPolicy = true): ProxyConfig => ({
    version: 'v',
    services: [
      {
        name: 'catalog',
        namespace: 'shop',
        endpoints: addresses.map((address, i) => ({ proxyId: `p${i}`, address, version: 'v1' })),
      },
      {
        name: 'other',
        namespace: 'shop',
        endpoints: [{ proxyId: 'o', address: '10.0.0.9:1', version: 'v1' }],
      },
    ],
    ...(withPolicy
      ? {
          policies: [
            {
              service: 'catalog',
              namespace: 'shop',
              loadBalancing: {
                source: 'LoadBalancingPolicy shop/lb',
                type: 'RoundRobin' as const,
                healthCheck: { path: '/healthz', interval: '1s', timeout: '100ms', ...thresholds },
              },
            },
          ],
        }
      : {}),
  });

  function setup() {
    const registry = new EndpointRegistry();
    const a = registry.acquire('10.0.0.1:15006');
    const b = registry.acquire('10.0.0.2:15006');
    const failing = new Set(['10.0.0.2:15006']);
    const probed: string[] = [];
    const checkers = new HealthCheckers({
      endpoint: (address) => registry.get(address),
      probe: (address, path) => {
        probed.push(`${address}${path}`);
        return Promise.resolve(failing.has(address) ? 'GET /healthz answered 503' : undefined);
      },
      log: { info: () => {}, warn: () => {}, error: () => {} },
      random: () => 0.5,
    });
    return { registry, a, b, failing, probed, checkers };
  }

  it('checks only services with the policy, and holds out an endpoint after its failed checks', async () => {
    const { a, b, probed, checkers } = setup();
    checkers.configure(config([a.address, b.address]));
    await vi.advanceTimersByTimeAsync(500); // first checks at half an interval (jitter 0.5)
    expect(probed.sort()).toEqual(['10.0.0.1:15006/healthz', '10.0.0.2:15006/healthz']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect([a.available(), b.available()]).toEqual([true, false]);
    expect(probed.some((p) => p.startsWith('10.0.0.9'))).toBe(false);
    expect(checkers.results.get('catalog.shop')).toEqual({ passed: 3, failed: 3 });
    checkers.stop();
  });

  it('stops checking endpoints that left the config, and clears health when the policy goes', async () => {
    const { a, b, failing, probed, checkers } = setup();
    checkers.configure(config([a.address, b.address]));
    await vi.advanceTimersByTimeAsync(2_500);
    expect(b.activeHealthy).toBe(false);
    checkers.configure(config([a.address]));
    probed.length = 0;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probed.every((p) => p.startsWith('10.0.0.1'))).toBe(true);
    failing.add(a.address);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(a.activeHealthy).toBe(false);
    checkers.configure(config([a.address], false));
    expect(a.activeHealthy).toBe(true);
    probed.length = 0;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probed).toEqual([]);
    expect(checkers.report()).toEqual([]);
  });
});
