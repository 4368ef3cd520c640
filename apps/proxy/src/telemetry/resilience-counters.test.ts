import { ResilienceMetric } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { ResilienceCounters } from './resilience-counters.ts';

describe('ResilienceCounters', () => {
  it('drains retries and ejections per service and reason over the window since the last flush', () => {
    const c = new ResilienceCounters(1_000);
    c.retried('catalog', 'shop', '503');
    c.retried('catalog', 'shop', '503');
    c.retried('catalog', 'shop', 'upstream-reset');
    c.retried('pricing', 'shop', '503');
    c.ejected('catalog', 'shop', 'consecutive-5xx');

    const points = c.takeDelta(6_000);
    expect(points).toEqual(
      expect.arrayContaining([
        {
          metric: ResilienceMetric.retries,
          service: 'catalog',
          namespace: 'shop',
          reason: '503',
          startMs: 1_000,
          endMs: 6_000,
          value: 2,
        },
        {
          metric: ResilienceMetric.retries,
          service: 'catalog',
          namespace: 'shop',
          reason: 'upstream-reset',
          startMs: 1_000,
          endMs: 6_000,
          value: 1,
        },
        {
          metric: ResilienceMetric.retries,
          service: 'pricing',
          namespace: 'shop',
          reason: '503',
          startMs: 1_000,
          endMs: 6_000,
          value: 1,
        },
        {
          metric: ResilienceMetric.outlierEjections,
          service: 'catalog',
          namespace: 'shop',
          reason: 'consecutive-5xx',
          startMs: 1_000,
          endMs: 6_000,
          value: 1,
        },
      ]),
    );
    expect(points).toHaveLength(4);

    // The next window starts where the last ended and holds only what happened since.
    c.retried('catalog', 'shop', '503');
    expect(c.takeDelta(11_000)).toEqual([
      {
        metric: ResilienceMetric.retries,
        service: 'catalog',
        namespace: 'shop',
        reason: '503',
        startMs: 6_000,
        endMs: 11_000,
        value: 1,
      },
    ]);
    expect(c.takeDelta(16_000)).toEqual([]);
  });

  it('reports endpoints ejected at flush time as a gauge, only for services with some', () => {
    const c = new ResilienceCounters(0);
    const points = c.takeDelta(5_000, [
      { service: 'ratings', namespace: 'shop', ejected: 1 },
      { service: 'catalog', namespace: 'shop', ejected: 0 },
    ]);
    expect(points).toEqual([
      {
        metric: ResilienceMetric.ejectedEndpoints,
        service: 'ratings',
        namespace: 'shop',
        reason: '',
        startMs: 5_000,
        endMs: 5_000,
        value: 1,
      },
    ]);
  });

  it('never hands out a window that ends before it starts when the clock steps back', () => {
    const c = new ResilienceCounters(10_000);
    c.ejected('ratings', 'shop', 'failure-percentage');
    const [point] = c.takeDelta(9_000);
    expect(point).toMatchObject({ startMs: 10_000, endMs: 10_000, value: 1 });
  });
});
