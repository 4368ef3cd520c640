import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_WORKLOADS } from '../topology.ts';
import { buildDemoPlan, decide, defaultBehaviour, loadPlanArgument, parsePlan, PlanError } from './plan.ts';

const tmpDirs: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
};
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const demo = () =>
  buildDemoPlan((w) => {
    const i = DEMO_WORKLOADS.indexOf(w);
    return { app: `127.0.0.1:${15000 + 10 * i}`, outbound: `127.0.0.1:${15002 + 10 * i}` };
  });

/** Deterministic "random" sequence. */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('shop plan', () => {
  it('has at least 6 services in 2+ namespaces, and two versions of reviews', () => {
    const plan = demo();
    expect(new Set(plan.instances.map((i) => i.service)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(plan.instances.map((i) => i.namespace)).size).toBeGreaterThanOrEqual(2);
    expect(plan.instances.filter((i) => i.service === 'reviews').map((i) => i.version)).toEqual(['v1', 'v2']);
  });

  it('gives the demo its personality: a flaky ratings replica, pricing slow sometimes, a catalog tail', () => {
    const ratings = demo().instances.filter((i) => i.service === 'ratings');
    expect(ratings.map((i) => [i.name, i.behaviour.failureRate, i.behaviour.failureStatus])).toEqual([
      ['ratings', 0, 500],
      ['ratings-2', 0.15, 503],
    ]);
    expect(defaultBehaviour('pricing')).toMatchObject({ slowRate: 0.1, slowMs: [200, 600], failureRate: 0 });
    expect(defaultBehaviour('catalog')).toMatchObject({
      failureRate: 0,
      slowRate: 0.02,
      slowMs: [2200, 2600],
    });
    expect(defaultBehaviour('cart')).toMatchObject({ failureRate: 0, slowRate: 0 });
  });

  it('survives a JSON round trip through parsePlan unchanged', () => {
    const plan = demo();
    expect(parsePlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it('applies overrides per service kind', () => {
    const plan = buildDemoPlan(() => ({ app: '127.0.0.1:0', outbound: '127.0.0.1:1' }), {
      ratings: { failureRate: 1 },
    });
    expect(plan.instances.find((i) => i.service === 'ratings')!.behaviour.failureRate).toBe(1);
    expect(plan.instances.find((i) => i.service === 'pricing')!.behaviour.slowRate).toBe(0.1);
  });

  it('fills defaults for a minimal instance', () => {
    const plan = parsePlan({
      instances: [{ service: 'pricing', namespace: 'shop', listen: '127.0.0.1:0', outbound: '127.0.0.1:9' }],
    });
    expect(plan.instances[0]).toMatchObject({
      name: 'pricing',
      version: 'v1',
      behaviour: defaultBehaviour('pricing'),
    });
    expect(plan.upstreamTimeoutMs).toBe(3000);
  });

  it('lists every problem with its path', () => {
    let err: unknown;
    try {
      parsePlan({
        upstreamTimeoutMs: -1,
        instances: [
          { service: 'nope', namespace: 'Bad_NS', listen: 'nowhere', outbound: '127.0.0.1:1' },
          {
            service: 'ratings',
            namespace: 'shop',
            listen: '127.0.0.1:0',
            outbound: '127.0.0.1:1',
            behaviour: { failureRate: 2, failureStatus: 404, workMs: [5, 1], extra: 1 },
          },
          {
            name: 'ratings',
            service: 'ratings',
            namespace: 'shop',
            listen: '127.0.0.1:0',
            outbound: '127.0.0.1:1',
          },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    const problems = (err as PlanError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'upstreamTimeoutMs: must be an integer 1..600000',
        expect.stringMatching(/^instances\[0\]\.service: "nope" is not one of/),
        'instances[0].namespace: "Bad_NS" is not a DNS label',
        'instances[0].listen: "nowhere" is not host:port',
        'instances[1].behaviour.failureRate: must be a number 0..1',
        'instances[1].behaviour.failureStatus: must be an HTTP status 500..599',
        expect.stringMatching(/^instances\[1\]\.behaviour\.workMs: must be \[min, max\]/),
        'instances[1].behaviour.extra: unknown field',
        'instances[2].name: "ratings" is used twice',
      ]),
    );
  });

  it('carries the addresses of the services outside the mesh, and refuses unknown names or bad addresses', () => {
    const instances = [
      { service: 'pricing', namespace: 'shop', listen: '127.0.0.1:0', outbound: '127.0.0.1:9' },
    ];
    expect(parsePlan({ instances }).outside).toEqual({});
    expect(
      parsePlan({
        instances,
        outside: { recommendations: '127.0.0.1:15008', 'payments-gateway': '127.0.0.1:15009' },
      }).outside,
    ).toEqual({ recommendations: '127.0.0.1:15008', 'payments-gateway': '127.0.0.1:15009' });
    let err: unknown;
    try {
      parsePlan({
        instances,
        outside: { ads: '127.0.0.1:1', recommendations: 'nowhere', 'payments-gateway': 5 },
      });
    } catch (e) {
      err = e;
    }
    expect((err as PlanError).problems).toEqual([
      'outside.ads: unknown service (known: recommendations, payments-gateway)',
      'outside.recommendations: "nowhere" is not host:port',
      'outside.payments-gateway: must be "host:port"',
    ]);
    expect(() => parsePlan({ instances, outside: [] })).toThrow(/outside: must be an object/);
  });

  it('rejects a plan without instances', () => {
    expect(() => parsePlan({ instances: [] })).toThrow(/instances: must be a non-empty array/);
    expect(() => parsePlan(null)).toThrow(PlanError);
  });

  it('loads inline JSON or a file', () => {
    const plan = demo();
    expect(loadPlanArgument(JSON.stringify(plan))).toEqual(plan);
    const dir = tempDir('weft-plan-');
    const file = path.join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    expect(loadPlanArgument(file)).toEqual(plan);
    expect(() => loadPlanArgument(path.join(dir, 'missing.json'))).toThrow(/cannot read plan file/);
    expect(() => loadPlanArgument('{nope')).toThrow(/not valid JSON/);
  });
});

describe('behaviour decisions', () => {
  const b = {
    failureRate: 0.08,
    failureStatus: 500,
    slowRate: 0.1,
    slowMs: [200, 600] as [number, number],
    workMs: [2, 6] as [number, number],
  };

  it('never fails or slows down at rate 0, always at rate 1', () => {
    const quiet = { ...b, failureRate: 0, slowRate: 0 };
    for (let i = 0; i < 200; i++) expect(decide(quiet)).toMatchObject({ fail: false, slow: false });
    const loud = { ...b, failureRate: 1, slowRate: 1 };
    for (let i = 0; i < 200; i++) {
      const d = decide(loud);
      expect(d).toMatchObject({ fail: true, slow: true });
      expect(d.delayMs).toBeGreaterThanOrEqual(202);
      expect(d.delayMs).toBeLessThanOrEqual(606);
    }
  });

  it('uses the random source for each choice', () => {
    // slow? (0.05 < 0.1 yes), fail? (0.5 < 0.08 no), work 0 → 2 ms, slow 0.5 → 400 ms
    expect(decide(b, seq(0.05, 0.5, 0, 0.5))).toEqual({ slow: true, fail: false, delayMs: 402 });
    expect(decide(b, seq(0.9, 0.01, 1))).toEqual({ slow: false, fail: true, delayMs: 6 });
  });

  it('hits roughly the configured rates', () => {
    let fails = 0;
    for (let i = 0; i < 20_000; i++) if (decide(b).fail) fails++;
    expect(fails / 20_000).toBeGreaterThan(0.06);
    expect(fails / 20_000).toBeLessThan(0.1);
  });
});
