import { describe, expect, it } from 'vitest';
import { QueryLimits, stepForWindow } from './limits.ts';
import {
  servicesDetailInputSchema,
  signalsEdgeInputSchema,
  signalsServiceInputSchema,
  topologyGraphInputSchema,
  tracesSearchInputSchema,
} from './queries.ts';
import { resolveWindow, windowInputSchema } from './window.ts';

const DAY = 24 * 3600 * 1000;

function issues(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) {
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('time window input', () => {
  it('accepts windows up to the limit and resolves them against now', () => {
    const parsed = windowInputSchema.parse({ lastMs: QueryLimits.maxWindowMs });
    expect(resolveWindow(parsed, 10 * QueryLimits.maxWindowMs)).toEqual({
      fromMs: 9 * QueryLimits.maxWindowMs,
      toMs: 10 * QueryLimits.maxWindowMs,
    });
    expect(windowInputSchema.parse({ fromMs: 1000, toMs: 1000 + QueryLimits.maxWindowMs })).toEqual({
      fromMs: 1000,
      toMs: 1000 + QueryLimits.maxWindowMs,
    });
    expect(resolveWindow(windowInputSchema.parse(undefined), 600_000)).toEqual({
      fromMs: 300_000,
      toMs: 600_000,
    });
  });

  it('refuses a window from the epoch to now, naming the limit', () => {
    expect(issues(windowInputSchema.safeParse({ fromMs: 0 }))).toEqual([
      {
        path: 'fromMs',
        message: expect.stringMatching(
          /^the window from fromMs to now is \d+ ms \([\d.]+ days\) long; a query covers at most 90 days \(QueryLimits\.maxWindowMs = 7776000000 ms\)$/,
        ) as string,
      },
    ]);
  });

  it('refuses lastMs and absolute windows one millisecond over the limit', () => {
    expect(issues(windowInputSchema.safeParse({ lastMs: QueryLimits.maxWindowMs + 1 }))).toEqual([
      {
        path: 'lastMs',
        message:
          'lastMs must be at most 7776000000: a query covers at most 90 days (QueryLimits.maxWindowMs = 7776000000 ms)',
      },
    ]);
    expect(issues(windowInputSchema.safeParse({ fromMs: 0, toMs: QueryLimits.maxWindowMs + 1 }))).toEqual([
      {
        path: 'fromMs',
        message:
          'the window from fromMs to toMs is 7776000001 ms (90 days) long; a query covers at most 90 days (QueryLimits.maxWindowMs = 7776000000 ms)',
      },
    ]);
  });

  it('refuses reversed, negative and far-future windows', () => {
    expect(issues(windowInputSchema.safeParse({ fromMs: 5000, toMs: 5000 }))).toEqual([
      { path: 'fromMs', message: 'fromMs must be before toMs' },
    ]);
    expect(issues(windowInputSchema.safeParse({ fromMs: -1 }))[0]).toEqual({
      path: 'fromMs',
      message: 'fromMs must not be negative',
    });
    expect(issues(windowInputSchema.safeParse({ toMs: 1e20 }))[0]?.path).toBe('toMs');
  });
});

describe('signals input', () => {
  const ref = { namespace: 'shop', service: 'catalog' };

  it('refuses a step that gives more points than a series may hold, with the smallest step allowed', () => {
    const result = signalsServiceInputSchema.safeParse({ ...ref, window: { lastMs: 7 * DAY }, stepMs: 1000 });
    expect(issues(result)).toEqual([
      {
        path: 'stepMs',
        message:
          'stepMs 1000 would give 604800 points over a window of 7 days; a series has at most 720 points ' +
          '(QueryLimits.maxPointsPerSeries): use stepMs 840000 or more, or leave stepMs out',
      },
    ]);
    expect(
      signalsServiceInputSchema.safeParse({ ...ref, window: { lastMs: 7 * DAY }, stepMs: 840_000 }).success,
    ).toBe(true);
    expect(
      signalsServiceInputSchema.safeParse({ ...ref, window: { lastMs: 7 * DAY }, stepMs: 839_000 }).success,
    ).toBe(false);
  });

  it('accepts any window without a step; the API picks one within the point limit', () => {
    expect(signalsServiceInputSchema.parse({ ...ref, window: { lastMs: 90 * DAY } }).stepMs).toBeUndefined();
    expect(stepForWindow(90 * DAY)).toBe(3 * 3600 * 1000);
    expect(stepForWindow(5 * 60_000)).toBe(1000);
    expect(stepForWindow(5 * 60_000, 10_000)).toBe(10_000);
  });

  it('keeps every window within the point limit with the step stepForWindow picks', () => {
    for (const windowMs of [1, 999, 1000, 720_001, 3_600_000, 7 * DAY + 1, 90 * DAY - 7, 90 * DAY]) {
      const step = stepForWindow(windowMs);
      expect(Math.ceil(windowMs / step)).toBeLessThanOrEqual(QueryLimits.maxPointsPerSeries);
      expect(step % 1000).toBe(0);
    }
  });

  it('bounds service and namespace names', () => {
    const long = 'a'.repeat(QueryLimits.maxNameLength + 1);
    expect(issues(servicesDetailInputSchema.safeParse({ namespace: long, service: 'x' }))).toEqual([
      { path: 'namespace', message: 'namespace must be at most 253 characters (QueryLimits.maxNameLength)' },
    ]);
  });
});

describe('trace search and topology inputs', () => {
  it('refuses a trace limit above the maximum and defaults to 50', () => {
    expect(issues(tracesSearchInputSchema.safeParse({ limit: QueryLimits.maxTraceResults + 1 }))).toEqual([
      { path: 'limit', message: 'limit must be at most 500 traces (QueryLimits.maxTraceResults)' },
    ]);
    expect(tracesSearchInputSchema.parse({}).limit).toBe(50);
    expect(tracesSearchInputSchema.parse({ limit: 500 }).limit).toBe(500);
  });

  it('refuses more namespaces than the filter allows', () => {
    const namespaces = Array.from({ length: QueryLimits.maxNamespacesFilter + 1 }, (_, i) => `ns-${i}`);
    expect(issues(topologyGraphInputSchema.safeParse({ namespaces }))).toEqual([
      {
        path: 'namespaces',
        message: 'namespaces may list at most 100 namespaces (QueryLimits.maxNamespacesFilter)',
      },
    ]);
    expect(topologyGraphInputSchema.parse({ namespaces: namespaces.slice(1) }).namespaces).toHaveLength(100);
  });
});

describe('versioned graph and edge signal inputs', () => {
  it('defaults the graph to one node per service, and takes the version granularity', () => {
    expect(topologyGraphInputSchema.parse({}).granularity).toBe('service');
    expect(topologyGraphInputSchema.parse({ granularity: 'version' }).granularity).toBe('version');
    expect(topologyGraphInputSchema.safeParse({ granularity: 'pod' }).success).toBe(false);
  });

  it('takes a version of a service for its signals, checked like versions elsewhere', () => {
    const ref = { namespace: 'shop', service: 'reviews' };
    expect(signalsServiceInputSchema.parse({ ...ref, version: 'v2' }).version).toBe('v2');
    expect(issues(signalsServiceInputSchema.safeParse({ ...ref, version: 'v2!' }))).toEqual([
      {
        path: 'version',
        message: 'must be letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
      },
    ]);
  });

  it('takes an edge between services or versions, from outside the mesh too, bounded like a series', () => {
    const destination = { namespace: 'shop', service: 'reviews', version: 'v2' };
    expect(
      signalsEdgeInputSchema.parse({ source: { namespace: '', service: 'unknown' }, destination }).source,
    ).toEqual({ namespace: '', service: 'unknown' });
    expect(
      issues(
        signalsEdgeInputSchema.safeParse({
          source: { namespace: 'shop', service: 'catalog' },
          destination: { ...destination, namespace: '' },
          window: { lastMs: 7 * DAY },
          stepMs: 60_000,
        }),
      ),
    ).toEqual([
      { path: 'destination.namespace', message: 'namespace must not be empty' },
      {
        path: 'stepMs',
        message: expect.stringContaining('a series has at most 720 points') as unknown,
      },
    ]);
  });
});
