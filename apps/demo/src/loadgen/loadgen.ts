/**
 * Open-loop load at a fixed rate with bounded concurrency: a request is due every 1000/rps ms; when
 * `concurrency` requests are already in flight the due request is skipped (counted), so a slow or dead
 * target never piles up work. No trace headers are sent: the frontend's inbound proxy starts each trace.
 * Each request comes from one of a few shoppers' browsers and carries its `session` cookie.
 */
import { Pool } from 'undici';
import { sleep } from '../common/net.ts';

export interface WeightedRoute {
  /** Path, with ":id" replaced by a product id. */
  path: string;
  weight: number;
}

export const DEFAULT_ROUTES: readonly WeightedRoute[] = [
  { path: '/', weight: 40 },
  { path: '/product/:id', weight: 45 },
  { path: '/cart', weight: 15 },
];

export const PRODUCT_IDS = ['1', '2', '3', '4', '5', '6', '7', '8'];
/** A small share of product pages ask for an id that does not exist (404s are part of real traffic). */
export const UNKNOWN_PRODUCT_RATE = 0.02;
export const USERS = ['guest', 'ada', 'grace', 'linus', 'margaret', 'ken'];

/** A browser the load stands for: who is signed in (or guest) and its `session` cookie. */
export interface Shopper {
  user: string;
  session: string;
}

/**
 * Twelve browsers, two per user: each request comes from one of them and carries its `session` cookie, which
 * the frontend hands on to cart (a ring-hash LoadBalancingPolicy keeps each session on one cart replica).
 */
export const SHOPPERS: readonly Shopper[] = Array.from({ length: 2 * USERS.length }, (_, i) => ({
  user: USERS[i % USERS.length]!,
  session: `s${String(i + 1).padStart(2, '0')}-${USERS[i % USERS.length]!}`,
}));

export const SESSION_COOKIE = 'session';

export interface PickedRequest {
  path: string;
  /** The Cookie header: `session=<the shopper's session>`. */
  cookie: string;
}

export function makePicker(
  routes: readonly WeightedRoute[] = DEFAULT_ROUTES,
  random: () => number = Math.random,
) {
  const total = routes.reduce((t, r) => t + r.weight, 0);
  if (routes.length === 0 || !(total > 0))
    throw new Error('at least one route with a positive weight is needed');
  return (): PickedRequest => {
    const shopper = SHOPPERS[Math.floor(random() * SHOPPERS.length)]!;
    let x = random() * total;
    let chosen = routes[routes.length - 1]!;
    for (const r of routes) {
      if (x < r.weight) {
        chosen = r;
        break;
      }
      x -= r.weight;
    }
    let path = chosen.path;
    if (path.includes(':id')) {
      const id =
        random() < UNKNOWN_PRODUCT_RATE ? '999' : PRODUCT_IDS[Math.floor(random() * PRODUCT_IDS.length)]!;
      path = path.replace(':id', id);
    }
    if ((path === '/cart' || path === '/') && shopper.user !== 'guest') path += `?user=${shopper.user}`;
    return { path, cookie: `${SESSION_COOKIE}=${shopper.session}` };
  };
}

export interface LoadOptions {
  /** host:port of the frontend proxy's inbound listener */
  target: string;
  rps: number;
  concurrency: number;
  /** Stop after this many requests were sent. */
  count?: number;
  /** Stop after this long. */
  durationMs?: number;
  timeoutMs?: number;
  routes?: readonly WeightedRoute[];
  random?: () => number;
  signal?: AbortSignal;
  /** Called every reportEveryMs with the stats of that interval. */
  onReport?: (interval: LoadStats, total: LoadStats) => void;
  reportEveryMs?: number;
}

export interface LoadStats {
  sent: number;
  /** Status < 500 */
  ok: number;
  /** Status >= 500 */
  serverErrors: number;
  /** No HTTP answer (refused, reset, timeout) */
  failures: number;
  /** Due while `concurrency` requests were in flight */
  skipped: number;
  byStatus: Record<string, number>;
  latenciesMs: number[];
  firstError?: string;
}

export function emptyStats(): LoadStats {
  return { sent: 0, ok: 0, serverErrors: 0, failures: 0, skipped: 0, byStatus: {}, latenciesMs: [] };
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function formatStats(s: LoadStats, seconds: number): string {
  const lat = [...s.latenciesMs].sort((a, b) => a - b);
  const f = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)}ms`);
  const statuses = Object.entries(s.byStatus)
    .sort()
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
  return (
    `sent=${s.sent} (${(s.sent / Math.max(seconds, 0.001)).toFixed(1)} rps) ok=${s.ok} 5xx=${s.serverErrors} ` +
    `no-answer=${s.failures} skipped=${s.skipped} p50=${f(percentile(lat, 50))} p95=${f(percentile(lat, 95))} ` +
    `p99=${f(percentile(lat, 99))} [${statuses}]`
  );
}

const MAX_KEPT_LATENCIES = 100_000;

export async function runLoad(opts: LoadOptions): Promise<LoadStats> {
  if (!(opts.rps > 0)) throw new Error('rps must be > 0');
  if (!(opts.concurrency >= 1)) throw new Error('concurrency must be >= 1');
  const pick = makePicker(opts.routes, opts.random);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const pool = new Pool(`http://${opts.target}`, {
    connections: opts.concurrency,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 4000,
  });
  const total = emptyStats();
  let interval = emptyStats();
  const record = (fn: (s: LoadStats) => void): void => {
    fn(total);
    fn(interval);
  };
  const inFlight = new Set<Promise<void>>();
  const intervalMs = 1000 / opts.rps;
  const started = performance.now();
  const deadline = opts.durationMs === undefined ? Infinity : started + opts.durationMs;
  const reportEvery = opts.reportEveryMs ?? 30_000;
  let lastReport = started;

  const fire = (): void => {
    const { path, cookie } = pick();
    const t0 = performance.now();
    record((s) => s.sent++);
    const p = pool
      .request({
        method: 'GET',
        path,
        headers: { 'user-agent': 'weft-demo-loadgen/1', accept: 'application/json', cookie },
        signal: AbortSignal.timeout(timeoutMs),
      })
      .then(async (res) => {
        await res.body.dump();
        const ms = performance.now() - t0;
        const code = String(res.statusCode);
        record((s) => {
          s.byStatus[code] = (s.byStatus[code] ?? 0) + 1;
          if (res.statusCode >= 500) {
            s.serverErrors++;
            s.firstError ??= `${path} answered ${res.statusCode}`;
          } else s.ok++;
          if (s.latenciesMs.length < MAX_KEPT_LATENCIES) s.latenciesMs.push(ms);
        });
      })
      .catch((e: unknown) => {
        const err = e as Error & { code?: string };
        const reason = err.name === 'TimeoutError' ? 'timeout' : (err.code ?? err.message);
        record((s) => {
          s.failures++;
          s.firstError ??= `${path}: ${reason}`;
        });
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  let next = started;
  try {
    while (!opts.signal?.aborted) {
      if (opts.count !== undefined && total.sent >= opts.count) break;
      const now = performance.now();
      if (now >= deadline) break;
      if (next > now) {
        await sleep(Math.min(next - now, deadline - now), opts.signal);
        continue;
      }
      // Fell far behind (e.g. the machine was busy): do not burst to catch up.
      if (now - next > 1000) next = now;
      next += intervalMs;
      if (inFlight.size >= opts.concurrency) record((s) => s.skipped++);
      else fire();
      if (opts.onReport && now - lastReport >= reportEvery) {
        opts.onReport(interval, total);
        interval = emptyStats();
        lastReport = now;
      }
    }
    // Let in-flight requests finish (bounded by their own timeout), unless we were told to stop.
    if (!opts.signal?.aborted) await Promise.allSettled([...inFlight]);
  } finally {
    await pool.destroy();
  }
  return total;
}
