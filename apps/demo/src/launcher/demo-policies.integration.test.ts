/**
 * Every example policy in examples/policies/ has the effect its README row promises, in the demo as `npm start`
 * runs it (one headless run: real API, proxies, shop and load generator). Each effect is checked where a user
 * would look: a service's golden signals, the graph's edges (the callers' view), traces, per-version rates
 * (`weft stat`), the shop's answers and the proxy's x-weft-cache header. Policies are applied through the API
 * as the admin, like `npx weft policy apply -f`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import {
  Attr,
  type GoldenSignals,
  type GraphEdge,
  type ServiceVersionStats,
  type SignalPoint,
  type TraceDetail,
  type TraceSummary,
} from '@weft/schema';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { allocateWorkloadPorts } from './ports.ts';
import {
  HOST,
  removeTempDirs,
  repoRoot,
  signIn,
  startHeadless,
  stopLeftoverLaunchers,
  waitForTraffic,
} from './test-helpers.ts';

afterEach(stopLeftoverLaunchers);
afterAll(removeTempDirs);

const EXAMPLES = path.join(repoRoot, 'examples/policies');
const example = (file: string): { kind: string; metadata: { name: string; namespace: string } } =>
  parseYaml(readFileSync(path.join(EXAMPLES, file), 'utf8')) as never;

/** Config reaches every proxy well within this after a write (SSE push); requests after it see the policy. */
const PROPAGATION_MS = 2000;
/** Proxies flush every 2 s and signal steps are 10 s: an effect shows in a whole step within ~25 s. */
const EFFECT_TIMEOUT_MS = 45_000;
const POLL = { timeout: EFFECT_TIMEOUT_MS, interval: 1000 };

interface Session {
  status: number;
  instance: string | undefined;
}

describe('the example policies in the demo (launcher --no-console, load on)', () => {
  it('each has a visible effect: signals, edges, traces, per-version rates, answers and headers', async () => {
    // Generous: on a machine busy with other runs the API alone can take most of a minute to start.
    const run = await startHeadless([], 90_000);
    try {
      await waitForTraffic(run, 30_000);
      const { api, session } = await signIn(run);
      const ports = allocateWorkloadPorts(run.layout.portBase);
      const frontend = ports.find((p) => p.workload.name === 'frontend')!;

      const signals = async (service: string, fromMs: number): Promise<SignalPoint[]> => {
        const s = await api.query<GoldenSignals>(session, 'signals.service', {
          namespace: 'shop',
          service,
          window: { fromMs: fromMs - 10_000 },
        });
        // Whole steps that started after `fromMs` only: what happened since.
        return s.points.filter((p) => p.t >= fromMs);
      };
      const edge = async (source: string, target: string, fromMs: number): Promise<GraphEdge> => {
        const graph = await api.query<{ edges: GraphEdge[] }>(session, 'topology.graph', {
          window: { fromMs },
        });
        const e = graph.edges.find((x) => x.source === source && x.target === target);
        if (!e) throw new Error(`no edge ${source} → ${target} since ${fromMs}`);
        return e;
      };
      const versions = (fromMs: number) =>
        api.query<ServiceVersionStats[]>(session, 'services.versions', {
          window: { fromMs },
          namespace: 'shop',
        });
      const rps = (rows: ServiceVersionStats[], service: string, version: string): number =>
        rows.find((r) => r.service === service && r.version === version)?.traffic.rps ?? 0;
      const slowTraces = (fromMs: number, minDurationMs: number) =>
        api.query<TraceSummary[]>(session, 'traces.search', {
          window: { fromMs },
          minDurationMs,
          limit: 100,
        });
      /**
       * The frontend's calls to catalog that took longer than `minDurationMs`, read from the traces' CLIENT
       * spans as the waterfall shows them (a whole trace also holds the frontend's later call to cart).
       */
      const slowCatalogCalls = async (fromMs: number, minDurationMs: number): Promise<number[]> => {
        const slow: number[] = [];
        for (const t of await slowTraces(fromMs, minDurationMs)) {
          const trace = await api.query<TraceDetail>(session, 'traces.get', { traceId: t.traceId });
          for (const span of trace.spans) {
            const toCatalog = span.kind === 'client' && span.attributes[Attr.peerService] === 'catalog';
            if (span.service === 'frontend' && toCatalog && span.durationUs > minDurationMs * 1000)
              slow.push(span.durationUs / 1000);
          }
        }
        return slow;
      };
      /** Applies examples through the API; returns when requests start seeing them. */
      const apply = async (...files: string[]): Promise<number> => {
        for (const f of files) await api.mutate(session, 'policies.upsert', example(f));
        return Date.now() + PROPAGATION_MS;
      };
      const remove = async (...files: string[]): Promise<void> => {
        for (const f of files) {
          const { kind, metadata } = example(f);
          await api.mutate(session, 'policies.delete', { kind, ...metadata });
        }
      };
      /** A shopper's home page: which cart replica served its cart badge. */
      const home = async (sessionId: string): Promise<Session> => {
        const res = await request(`http://${HOST}:${frontend.inbound}/?user=ada`, {
          headers: { cookie: `session=${sessionId}` },
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        const body = (await res.body.json()) as { cart?: { instance?: string } | null };
        return { status: res.statusCode, instance: body.cart?.instance };
      };
      const cartReplicas = async (sessionId: string, n: number): Promise<Set<string>> => {
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const r = await home(sessionId);
          if (r.status === 200 && r.instance !== undefined) seen.add(r.instance);
        }
        return seen;
      };
      /** The product list as the frontend's proxy serves it to the frontend: its x-weft-cache header. */
      const productListCache = async (): Promise<string | undefined> => {
        const res = await request(`http://${HOST}:${frontend.outbound}/products`, {
          headers: { host: 'catalog.shop' },
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        await res.body.dump();
        const h = res.headers['x-weft-cache'];
        return typeof h === 'string' ? h : undefined;
      };

      // ---- Without policies: the flaky ratings replica, round-robin carts, a slow catalog tail, no cache.
      const started = Date.now() - 60_000;
      await Promise.all([
        vi.waitFor(async () => {
          const points = (await signals('ratings', started)).filter((p) => p.requests >= 20);
          // ratings-2 answers 503 to 15% of its half: ~92%, not a broken demo.
          expect(points.some((p) => p.successRate! >= 0.8 && p.successRate! <= 0.98)).toBe(true);
        }, POLL),
        vi.waitFor(async () => expect(await slowTraces(started, 2200)).not.toEqual([]), POLL),
        (async () => {
          // Round robin over three replicas: one session's requests land on several of them.
          expect((await cartReplicas('probe-0', 9)).size).toBeGreaterThanOrEqual(2);
          expect(await productListCache()).toBeUndefined();
        })(),
      ]);

      // ---- Rate limit, retries, mirroring.
      const a = await apply('pricing-rate-limit.yaml', 'ratings-retry.yaml', 'reviews-mirror-v2.yaml');
      await Promise.all([
        // pricing-rate-limit: 429s in pricing's signals.
        vi.waitFor(async () => {
          expect((await signals('pricing', a)).some((p) => p.rateLimited > 0)).toBe(true);
        }, POLL),
        // ratings-retry: reviews (the caller) gets ~all of its ratings while ratings still sheds some.
        vi.waitFor(async () => {
          const e = await edge('shop/reviews', 'shop/ratings', a);
          expect(e.traffic.requests).toBeGreaterThanOrEqual(50);
          expect(e.traffic.successRate).toBeGreaterThanOrEqual(0.99);
          // And ratings' signals count the retries, where the API reports them.
          const points = await signals('ratings', a);
          if (points.some((p) => 'retries' in p)) expect(points.some((p) => p.retries > 0)).toBe(true);
        }, POLL),
        // reviews-mirror-v2: v2 serves its half plus copies of 20% of all requests (~1.4 × v1).
        vi.waitFor(async () => {
          const rows = await versions(a);
          expect(rps(rows, 'reviews', 'v1')).toBeGreaterThan(0);
          expect(rps(rows, 'reviews', 'v2')).toBeGreaterThan(1.2 * rps(rows, 'reviews', 'v1'));
        }, POLL),
      ]);
      await remove('pricing-rate-limit.yaml', 'reviews-mirror-v2.yaml');

      // ---- Balancing, caching, breaker, split, timeout, faults.
      const b = await apply(
        'cart-load-balancing.yaml',
        'catalog-cache.yaml',
        'ratings-circuit-breaker.yaml',
        'reviews-to-v2.yaml',
        'catalog-timeout.yaml',
        'ratings-fault-injection.yaml',
      );
      await Promise.all([
        // cart-load-balancing: a session sticks to one replica, in the frontend's zone (cart or cart-2).
        vi.waitFor(async () => {
          const all = new Set<string>();
          for (const id of ['probe-1', 'probe-2', 'probe-3', 'probe-4']) {
            const seen = await cartReplicas(id, 5);
            expect([...seen], `session ${id}`).toHaveLength(1);
            all.add([...seen][0]!);
          }
          expect(
            [...all].every((i) => i === 'cart' || i === 'cart-2'),
            [...all].join(),
          ).toBe(true);
        }, POLL),
        // catalog-cache: the second read of the product list is served by the frontend's proxy.
        vi.waitFor(async () => {
          await productListCache();
          expect(await productListCache()).toMatch(/^(HIT|STALE)$/);
        }, POLL),
        // ratings-circuit-breaker: ratings-2 ejected, ratings' success rate back at ~100%.
        vi.waitFor(async () => {
          // Enough requests per step that a step without a failure by chance (7.5% each) is unlikely.
          const points = (await signals('ratings', b)).filter((p) => p.requests >= 40);
          expect(points.some((p) => p.successRate! >= 0.99)).toBe(true);
          if (points.some((p) => 'ejections' in p))
            expect((await signals('ratings', b - 10_000)).some((p) => p.ejections > 0)).toBe(true);
        }, POLL),
        // reviews-to-v2: v1 idle, v2 serving.
        vi.waitFor(async () => {
          const rows = await versions(b);
          expect(rps(rows, 'reviews', 'v2')).toBeGreaterThan(0);
          expect(rps(rows, 'reviews', 'v1')).toBe(0);
        }, POLL),
        // catalog-timeout: slow catalog calls end in a 504 at 2 s; no trace is slower than that any more.
        vi.waitFor(async () => {
          const e = await edge('storefront/frontend', 'shop/catalog', b);
          expect(e.traffic.errors).toBeGreaterThan(0);
          expect(await slowCatalogCalls(b, 2200)).toEqual([]);
        }, POLL),
        // ratings-fault-injection: 503s on the reviews → ratings edge, 300 ms more in reviews' p99.
        vi.waitFor(async () => {
          expect((await edge('shop/reviews', 'shop/ratings', b)).traffic.errors).toBeGreaterThan(0);
          const points = (await signals('reviews', b)).filter((p) => p.requests >= 20);
          expect(points.some((p) => p.p99! >= 300)).toBe(true);
        }, POLL),
      ]);
    } finally {
      run.kill('SIGINT');
    }
    expect(await run.exit(20_000), run.output()).toBe(0);
  }, 300_000);
});
