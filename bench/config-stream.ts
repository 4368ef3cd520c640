/**
 * Config push benchmark: `npm run bench:config` (= `tsx bench/config-stream.ts`). Run on demand, not in `npm test`.
 *
 * Starts the real API in its own process (SQLite in a temp dir), creates one workload token per workload
 * (namespace/service/version), registers N simulated proxies (default 1,000: 50 services × 20 instances in 5
 * namespaces, v1/v2), and holds N config streams open from worker threads of this process
 * (bench/lib/config-fleet*.ts: the proxy's own SSE parser, an ACK for every version). Then writes K
 * TrafficSplit changes through tRPC `policies.upsert`, one at a time, and measures for each the time from the
 * write returning to every proxy holding a new version that contains it. Also the time for all N to connect
 * and get their first snapshot, the API's RSS before connecting, after connecting and at the end, the load
 * threads' event-loop delay and CPU (was the client saturated?) and the load average. See bench/README.md.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PolicyResourceInput, ProxyConfig } from '@weft/schema';
import { trpcMutation } from '../apps/api/test/support/auth.ts';
import { apiAuthEnv, benchAdminPassword, createWorkloadToken, signInAdmin } from './lib/api-auth.ts';
import { interrupted, startBenchRun } from './lib/bench-run.ts';
import { freePort, Supervisor, waitForHttp, type Child } from './lib/children.ts';
import { openFileLimits, type SimProxySpec, type SseParserKind } from './lib/config-fleet.ts';
import { ThreadedFleet } from './lib/config-fleet-threads.ts';
import { percentile, rssKib, RssSampler } from './lib/ingest-load.ts';
import {
  analyseProfile,
  mainThreadProfiles,
  profileMarkdown,
  type TimeWindow,
} from './lib/ingest-profile.ts';
import { LoopProbe, monoMs, type LoopStats } from './lib/loop-probe.ts';
import { BackgroundCpu, clockTicksPerSecond, sampleTree } from './lib/proc.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const API_MAIN = path.join(repoRoot, 'apps/api/src/main.ts');
const TMP_PREFIX = 'weft-bench-config-';
const GOAL_P99_MS = 1000;
const INSTANCES_PER_SERVICE = 20;
const MAX_SERVICES = 50;
const NAMESPACES = 5;

interface Settings {
  proxies: number;
  changes: number;
  connectConcurrency: number;
  ackSockets: number;
  changeTimeoutS: number;
  timeLimitS: number;
  loadThreads: number;
  sseParser: SseParserKind;
  cpuProf: boolean;
}

const USAGE = `Usage: npm run bench:config [-- --proxies N] [--changes K] [--load-threads T] [--cpu-prof] [...]
  --proxies N              simulated proxies, each its own id and config stream (default 1000, 4-10000)
  --changes K              TrafficSplit writes to measure, one at a time (default 20)
  --load-threads T         worker threads the simulated proxies are spread over (default 2, 1-8)
  --sse-parser P           bytes (default: frames events without decoding them) or proxy (the proxy's
                           own SseParser: ~0.9 ms of load-thread CPU per 87 KB event)
  --connect-concurrency C  streams opening at once, each until its first snapshot (default 100)
  --ack-sockets S          keep-alive connections the ACKs share, over all threads (default 64)
  --change-timeout S       give up on one change after S seconds (default 30)
  --time-limit S           stop writing changes after S seconds of the run (default 600)
  --cpu-prof               profile the API (node --cpu-prof): where its main thread spends each change`;

class UsageError extends Error {}

function positiveInt(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number ${min}-${max}`);
  return n;
}

function parseArgs(argv: readonly string[]): Settings {
  const s: Settings = {
    proxies: 1000,
    changes: 20,
    connectConcurrency: 100,
    ackSockets: 64,
    changeTimeoutS: 30,
    timeLimitS: 600,
    loadThreads: 2,
    sseParser: 'bytes',
    cpuProf: false,
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
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--proxies':
        s.proxies = positiveInt(flag, value, 4, 10_000);
        break;
      case '--changes':
        s.changes = positiveInt(flag, value, 1, 1000);
        break;
      case '--connect-concurrency':
        s.connectConcurrency = positiveInt(flag, value, 1, 10_000);
        break;
      case '--ack-sockets':
        s.ackSockets = positiveInt(flag, value, 1, 1024);
        break;
      case '--change-timeout':
        s.changeTimeoutS = positiveInt(flag, value, 1, 600);
        break;
      case '--time-limit':
        s.timeLimitS = positiveInt(flag, value, 10, 3000);
        break;
      case '--load-threads':
        s.loadThreads = positiveInt(flag, value, 1, 8);
        break;
      case '--sse-parser':
        if (value !== 'bytes' && value !== 'proxy')
          throw new UsageError('--sse-parser must be bytes or proxy');
        s.sseParser = value;
        break;
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return s;
}

function log(message: string): void {
  process.stderr.write(`[bench:config] ${message}\n`);
}

interface Workload {
  namespace: string;
  service: string;
  version: string;
}

/** Proxy i: service i mod S, instance ⌊i / S⌋, v1 for even instances and v2 for odd ones. */
function fleetLayout(n: number): { specs: Omit<SimProxySpec, 'token'>[]; services: number } {
  const services = Math.min(MAX_SERVICES, Math.max(2, Math.ceil(n / INSTANCES_PER_SERVICE)));
  const specs = Array.from({ length: n }, (_, i) => {
    const s = i % services;
    const instance = Math.floor(i / services);
    const namespace = `bench-ns${s % NAMESPACES}`;
    const service = `svc-${String(s).padStart(2, '0')}`;
    return {
      index: i,
      proxyId: `sim-${String(i).padStart(5, '0')}.${service}.${namespace}`,
      namespace,
      service,
      version: instance % 2 === 0 ? 'v1' : 'v2',
    };
  });
  return { specs, services };
}

function workloadKey(w: Workload): string {
  return `${w.namespace}/${w.service}@${w.version}`;
}

/** A fake but valid advertised address per proxy (nothing connects to it). */
function inboundAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:15006`;
}

async function mapBounded<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !interrupted()) await fn(items[next++] as T);
    }),
  );
}

interface ChangeResult {
  n: number;
  policy: string;
  weights: string;
  writeMs: number;
  /** From the write returning to the first / the median / the last proxy holding it (ms, ≥ 0). */
  firstMs: number;
  medianMs: number;
  allMs: number | undefined;
  /** Proxies that had it before the write's answer arrived (counted as 0 ms). */
  beforeAnswer: number;
  reached: number;
  /** From the write returning to every ACK of it answered 204. */
  ackedMs: number | undefined;
  /** Config events per proxy for this change (1 = no intermediate version). */
  eventsPerProxy: number;
  /** Each load thread's event loop from just before the write until every ACK was answered. */
  load: LoopStats[];
  /** monoMs() of the write, of the last proxy holding the change and of the last ACK answered. */
  atMs: { write: number; allReached: number | undefined; acked: number };
}

function splitResource(namespace: string, service: string, name: string, v1: number): PolicyResourceInput {
  return {
    apiVersion: 'policy.weft.dev/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name, namespace },
    spec: {
      targetRef: { name: service },
      backends: [
        { version: 'v1', weight: v1 },
        { version: 'v2', weight: 100 - v1 },
      ],
    },
  };
}

function hasSplit(config: ProxyConfig, namespace: string, service: string, v1: number): boolean {
  const p = config.policies?.find((x) => x.namespace === namespace && x.service === service);
  const backends = p?.split?.backends;
  if (!backends) return false;
  const w = (v: string): number | undefined => backends.find((b) => b.version === v)?.weight;
  return w('v1') === v1 && w('v2') === 100 - v1;
}

async function measureChange(
  n: number,
  fleet: ThreadedFleet,
  apiUrl: string,
  admin: Awaited<ReturnType<typeof signInAdmin>>,
  target: { namespace: string; service: string; name: string },
  v1: number,
  timeoutMs: number,
): Promise<ChangeResult> {
  const before = fleet.versions();
  const reachedAt: (number | undefined)[] = new Array<number | undefined>(fleet.size).fill(undefined);
  let reached = 0;
  let events = 0;
  let wake: (() => void) | undefined;
  fleet.setListener((proxy, version, config, atMs) => {
    events++;
    if (reachedAt[proxy.index] !== undefined) return;
    if (version === before[proxy.index]) return;
    if (!hasSplit(config, target.namespace, target.service, v1)) return;
    reachedAt[proxy.index] = atMs;
    reached++;
    if (reached === fleet.size) wake?.();
  });
  const allReached = new Promise<void>((resolve) => {
    wake = resolve;
  });
  await fleet.loopStats(true);
  const t0 = monoMs();
  await trpcMutation(
    apiUrl,
    admin,
    'policies.upsert',
    splitResource(target.namespace, target.service, target.name, v1),
  );
  const answered = monoMs();
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    allReached.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  const settled = await fleet.acksSettled(timeoutMs);
  const ackedAt = monoMs();
  const load = await fleet.loopStats(false);
  fleet.setListener(undefined);
  const latencies = reachedAt
    .filter((t): t is number => t !== undefined)
    .map((t) => Math.max(0, t - answered));
  return {
    n,
    policy: `TrafficSplit ${target.namespace}/${target.name}`,
    weights: `${v1}/${100 - v1}`,
    writeMs: answered - t0,
    firstMs: latencies.length ? Math.min(...latencies) : Number.NaN,
    medianMs: percentile(latencies, 0.5),
    allMs: inTime ? Math.max(...latencies) : undefined,
    beforeAnswer: reachedAt.filter((t) => t !== undefined && t < answered).length,
    reached,
    ackedMs: inTime && settled ? ackedAt - answered : undefined,
    eventsPerProxy: events / fleet.size,
    load,
    atMs: {
      write: t0,
      allReached: inTime ? Math.max(...reachedAt.filter((t): t is number => t !== undefined)) : undefined,
      acked: ackedAt,
    },
  };
}

function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  return value < 10 ? fmt(value, 1) : fmt(value);
}

function mib(kib: number): string {
  return `${fmt(kib / 1024)} MiB`;
}

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (c: string, i: number): string =>
    right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0);
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(c, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function cpuPercent(pid: number, fromTicks: number, fromMs: number): number {
  const ticks = sampleTree(pid).cpuTicks - fromTicks;
  const seconds = (performance.now() - fromMs) / 1000;
  return seconds > 0 ? (100 * ticks) / clockTicksPerSecond() / seconds : 0;
}

/** The worst load thread's event-loop delay in one change. */
function loadDelayMax(c: ChangeResult): number {
  return Math.max(0, ...c.load.map((t) => t.delayMaxMs));
}

interface LoadSummary {
  /** Over changes: the p50 and the max of the worst thread's largest delay. */
  delayMaxP50Ms: number;
  delayMaxMs: number;
  /** The largest per-change p99 of any thread. */
  delayP99Ms: number;
  /** The busiest thread's loop utilisation and CPU over all change windows (100% = one core). */
  busyMaxPct: number;
  cpuMaxPct: number;
}

function loadSummary(changes: readonly ChangeResult[]): LoadSummary {
  const threads = Math.max(0, ...changes.map((c) => c.load.length));
  let busyMaxPct = 0;
  let cpuMaxPct = 0;
  for (let t = 0; t < threads; t++) {
    let wall = 0;
    let busy = 0;
    let cpu = 0;
    for (const c of changes) {
      const l = c.load[t];
      if (!l) continue;
      wall += l.wallMs;
      busy += l.utilization * l.wallMs;
      cpu += l.cpuMs;
    }
    if (wall > 0) {
      busyMaxPct = Math.max(busyMaxPct, (100 * busy) / wall);
      cpuMaxPct = Math.max(cpuMaxPct, (100 * cpu) / wall);
    }
  }
  const maxes = changes.map(loadDelayMax);
  return {
    delayMaxP50Ms: percentile(maxes, 0.5),
    delayMaxMs: Math.max(0, ...maxes),
    delayP99Ms: Math.max(0, ...changes.flatMap((c) => c.load.map((t) => t.delayP99Ms))),
    busyMaxPct,
    cpuMaxPct,
  };
}

/**
 * The API's main thread and each load thread during the changes: from each write to the last proxy holding it
 * (the push), and from there to the last ACK answered (the ACK tail).
 */
function profiles(apiDir: string, loadDir: string, changes: readonly ChangeResult[]): string[] {
  const us = (ms: number): number => Math.round(ms * 1000);
  const push = changes
    .filter((c) => c.atMs.allReached !== undefined)
    .map((c) => ({ fromUs: us(c.atMs.write), toUs: us(c.atMs.allReached as number) }));
  const acks = changes
    .filter((c) => c.atMs.allReached !== undefined)
    .map((c) => ({ fromUs: us(c.atMs.allReached as number), toUs: us(c.atMs.acked) }));
  const first = us(Math.min(...changes.map((c) => c.atMs.write)));
  const last = us(Math.max(...changes.map((c) => c.atMs.acked)));
  const windows: TimeWindow[] = [
    { label: 'the push (each write until the last proxy had it)', fromUs: first, toUs: last, spans: push },
    {
      label: 'the ACK tail (last proxy had it until every ACK was answered)',
      fromUs: first,
      toUs: last,
      spans: acks,
    },
  ];
  const api = mainThreadProfiles(apiDir, repoRoot, windows)?.profiles;
  const lines = api
    ? api.flatMap((p) => [`## API CPU profile: ${p.window?.label ?? ''}`, '', ...profileMarkdown(p), ''])
    : ['## API CPU profile', '', 'No profile was written (did the API exit cleanly?).', ''];
  let files: string[] = [];
  try {
    files = readdirSync(loadDir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    // No load profiles: said below.
  }
  if (files.length === 0) lines.push('## Load thread CPU profile', '', 'No profile was written.', '');
  for (const f of files.sort()) {
    const p = analyseProfile(path.join(loadDir, f), repoRoot, windows[0]);
    lines.push(
      `## Load thread CPU profile (${f}): ${p.window?.label ?? ''}`,
      '',
      ...profileMarkdown(p, { thread: 'Load thread', own: 'Repo functions (bench and proxy code)' }),
      '',
    );
  }
  return lines;
}

async function main(): Promise<number> {
  const s = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc: it runs on Linux only');
  // Every stream is a socket in this process and one in the API (which inherits this limit), plus ACK
  // sockets, the database and node's own descriptors.
  const limits = openFileLimits();
  const needed = s.proxies + s.ackSockets + 512;
  if (limits.soft < needed) {
    throw new UsageError(
      `ulimit -n is ${limits.soft} (hard ${limits.hard}); ${s.proxies} streams need about ${needed} open files in this process and in the API: run \`ulimit -n ${Math.min(needed * 2, limits.hard)}\` first${limits.hard < needed ? ' (the hard limit is too low too: raise it as root or in /etc/security/limits.conf)' : ''}`,
    );
  }

  const supervisor = new Supervisor();
  const { tmp, stamp, startedAt, cleanup } = startBenchRun({
    tmpPrefix: TMP_PREFIX,
    log,
    stop: () => supervisor.stopAll(),
    killNow: () => supervisor.killAllNow(),
  });
  let fleet: ThreadedFleet | undefined;
  let api: Child | undefined;
  const loadAvg: { at: string; avg: number[] }[] = [];
  const noteLoad = (at: string): void => {
    loadAvg.push({ at, avg: os.loadavg() });
  };
  try {
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const adminPassword = benchAdminPassword();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...apiAuthEnv(adminPassword),
      WEFT_API_HOST: '127.0.0.1',
      WEFT_API_PORT: String(port),
      WEFT_DATA_DIR: path.join(tmp, 'data'),
      // Registrations must outlive the run: the simulated proxies do not heartbeat.
      WEFT_PROXY_TTL_SECONDS: '3600',
    };
    delete env.DATABASE_URL;
    noteLoad('start');
    log(
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(', ')} (1, 5, 15 min)`,
    );
    const profileDir = path.join(tmp, 'cpu-prof');
    const loadProfileDir = path.join(tmp, 'cpu-prof-load');
    if (s.cpuProf) mkdirSync(loadProfileDir, { recursive: true });
    const apiArgs = ['--import', 'tsx', API_MAIN];
    if (s.cpuProf) apiArgs.unshift('--cpu-prof', '--cpu-prof-dir', profileDir);
    const started = performance.now();
    api = supervisor.start('Weft API', process.execPath, apiArgs, { cwd: repoRoot, env });
    await waitForHttp(`${apiUrl}/healthz`, api, 120_000);
    const apiReadyS = (performance.now() - started) / 1000;
    const rssReady = rssKib(api.pid);
    log(`Weft API on ${apiUrl} (SQLite), ready in ${apiReadyS.toFixed(1)} s, RSS ${mib(rssReady)}`);
    const rssMax = new RssSampler(api.pid);
    rssMax.start();

    const admin = await signInAdmin(apiUrl, adminPassword);
    const layout = fleetLayout(s.proxies);
    const workloads = new Map<string, Workload>();
    for (const p of layout.specs) workloads.set(workloadKey(p), p);
    const namespaces = new Set(layout.specs.map((p) => p.namespace)).size;
    let t = performance.now();
    const tokens = new Map<string, string>();
    await mapBounded([...workloads.entries()], 4, async ([key, w]) => {
      tokens.set(key, await createWorkloadToken(apiUrl, admin, w));
    });
    const tokensS = (performance.now() - t) / 1000;
    log(`${tokens.size} workload tokens in ${tokensS.toFixed(1)} s`);
    const specs: SimProxySpec[] = layout.specs.map((p) => ({
      ...p,
      token: tokens.get(workloadKey(p)) as string,
    }));

    t = performance.now();
    let registered = 0;
    await mapBounded(specs, 16, async (p) => {
      const res = await fetch(`${apiUrl}/v1/proxies/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          proxyId: p.proxyId,
          service: p.service,
          namespace: p.namespace,
          version: p.version,
          inboundAddress: inboundAddress(p.index),
          adminAddress: '127.0.0.1:15000',
        }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`registering ${p.proxyId}: HTTP ${res.status} ${text}`);
      registered++;
    });
    if (interrupted()) return 130;
    const registerS = (performance.now() - t) / 1000;
    log(
      `${registered} proxies registered in ${registerS.toFixed(1)} s (${layout.services} services, ${namespaces} namespaces)`,
    );
    // Let the registry settle (the config is cached up to 1 s) before the streams open.
    await new Promise((r) => setTimeout(r, 1500));
    const rssBeforeConnect = rssKib(api.pid);

    fleet = new ThreadedFleet(
      apiUrl,
      specs,
      s.ackSockets,
      s.loadThreads,
      s.sseParser,
      s.cpuProf ? loadProfileDir : undefined,
    );
    const connectFrom = monoMs();
    const connectFromPerf = performance.now();
    const cpuFrom = sampleTree(api.pid).cpuTicks;
    await fleet.connectAll(s.connectConcurrency, 180_000);
    const firstTimes = fleet.firstSnapshotTimes().map((x) => (x ?? Number.NaN) - connectFrom);
    const connectS = Math.max(...firstTimes) / 1000;
    const connectCpu = cpuPercent(api.pid, cpuFrom, connectFromPerf);
    await fleet.acksSettled(30_000);
    const initialVersions = new Set(fleet.versions());
    log(
      `${fleet.size} streams connected, all with a first snapshot in ${connectS.toFixed(2)} s (${initialVersions.size} distinct version(s))`,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfterConnect = rssKib(api.pid);
    log(`API RSS: before connecting ${mib(rssBeforeConnect)}, after connecting ${mib(rssAfterConnect)}`);

    // Changes: even ones flip split A (svc-00) between 90/10 and 10/90, odd ones split B (svc-01) the other
    // way round; the first write of each creates the split.
    const targets = [
      { namespace: 'bench-ns0', service: 'svc-00', name: 'svc-00-split' },
      { namespace: 'bench-ns1', service: 'svc-01', name: 'svc-01-split' },
    ] as const;
    const changes: ChangeResult[] = [];
    noteLoad('changes');
    log(
      `${fleet.threads} load thread(s); load average before the changes ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(', ')}`,
    );
    const mainLoop = new LoopProbe();
    const changesFrom = performance.now();
    const changesCpuFrom = sampleTree(api.pid).cpuTicks;
    const benchCpuFrom = process.cpuUsage();
    const background = new BackgroundCpu();
    background.start();
    for (let k = 0; k < s.changes; k++) {
      if (interrupted()) break;
      if ((Date.now() - startedAt) / 1000 > s.timeLimitS) {
        log(`time limit of ${s.timeLimitS} s reached after ${k} changes`);
        break;
      }
      const target = targets[k % 2] as (typeof targets)[number];
      const round = Math.floor(k / 2);
      const v1 = (round % 2 === 0) === (k % 2 === 0) ? 90 : 10;
      const result = await measureChange(k + 1, fleet, apiUrl, admin, target, v1, s.changeTimeoutS * 1000);
      changes.push(result);
      log(
        `change ${k + 1}/${s.changes} ${result.policy} ${result.weights}: write ${ms(result.writeMs)} ms, first proxy ${ms(result.firstMs)} ms, all ${result.reached}/${fleet.size} proxies in ${ms(result.allMs)} ms, all ACKed in ${ms(result.ackedMs)} ms; load loop delay max ${ms(loadDelayMax(result))} ms`,
      );
      if (fleet.fatal) throw fleet.fatal;
      await new Promise((r) => setTimeout(r, 250));
    }
    const changesCpu = cpuPercent(api.pid, changesCpuFrom, changesFrom);
    const benchCpuUsed = process.cpuUsage(benchCpuFrom);
    const benchCpu = (benchCpuUsed.user + benchCpuUsed.system) / 10 / (performance.now() - changesFrom);
    const otherCpu = background.stop();
    const mainStats = mainLoop.read();
    mainLoop.stop();
    noteLoad('end');
    const rssEnd = rssKib(api.pid);
    const rssPeak = rssMax.stop();
    const counters = fleet.counters;
    const apiPeak = sampleTree(api.pid).peakRssKib;
    await fleet.close();
    if (api.exited()) throw new Error(`the API exited during the run:\n${api.output()}`);
    const apiErrors = api
      .output()
      .split('\n')
      .filter((l) => /error|failed|warn/i.test(l))
      .slice(-10);
    await api.stop(15_000);

    // The API writes its profile when it exits.
    const profileLines = s.cpuProf ? profiles(profileDir, loadProfileDir, changes) : [];

    // Report.
    const all = changes.map((c) => c.allMs ?? Number.POSITIVE_INFINITY);
    const complete = changes.filter((c) => c.allMs !== undefined).length;
    const p50 = percentile(all, 0.5);
    const p99 = percentile(all, 0.99);
    const max = Math.max(...all);
    const firsts = changes.map((c) => c.firstMs);
    const verdict = complete === changes.length && p99 < GOAL_P99_MS ? 'PASS' : 'MISS';
    const load = loadSummary(changes);
    const avg = (at: string): string =>
      loadAvg
        .find((l) => l.at === at)
        ?.avg.slice(0, 1)
        .map((x) => x.toFixed(2))
        .join('') ?? '—';
    const changeRows = changes.map((c) => [
      String(c.n),
      c.policy,
      c.weights,
      ms(c.writeMs),
      ms(c.firstMs),
      ms(c.medianMs),
      c.allMs === undefined ? `timeout (${c.reached}/${fleet?.size ?? 0})` : ms(c.allMs),
      ms(c.ackedMs),
      fmt(c.eventsPerProxy, 2),
      ms(loadDelayMax(c)),
      `${fmt(Math.max(...c.load.map((t) => t.utilization * 100)))}%`,
    ]);
    const changeTable = table(
      [
        '#',
        'policy written',
        'v1/v2',
        'write ms',
        'first proxy ms',
        'median proxy ms',
        `all ${s.proxies} ms`,
        'all ACKed ms',
        'events/proxy',
        'load loop delay max ms',
        'load loop busy',
      ],
      changeRows,
      [true, false, false, true, true, true, true, true, true, true, true],
    );
    const summaryTable = table(
      [
        'proxies',
        'changes',
        'propagation p50 ms',
        'p99 ms',
        'max ms',
        'first proxy p50 / max ms',
        'goal p99',
        'load threads: loop delay p99 / max ms',
        'load avg 1 min: start / changes / end',
        'connect all s',
        'API RSS before / after connect / end',
        'API peak RSS',
      ],
      [
        [
          fmt(s.proxies),
          `${complete}/${changes.length}`,
          ms(p50),
          ms(p99),
          ms(max),
          `${ms(percentile(firsts, 0.5))} / ${ms(Math.max(...firsts))}`,
          `< ${fmt(GOAL_P99_MS)} ms: ${verdict}`,
          `${fleet.threads}: ${ms(load.delayP99Ms)} / ${ms(load.delayMaxMs)}`,
          `${avg('start')} / ${avg('changes')} / ${avg('end')}`,
          fmt(connectS, 2),
          `${mib(rssBeforeConnect)} / ${mib(rssAfterConnect)} / ${mib(rssEnd)}`,
          mib(Math.max(rssPeak, apiPeak)),
        ],
      ],
      [true, true, true, true, true, true, false, true, false, true, false, true],
    );
    const perProxy = changes.flatMap((c) => [c.medianMs]);
    const failures = (m: Map<string, number>): string =>
      m.size === 0 ? 'none' : [...m].map(([k, v]) => `${v}× ${k}`).join(', ');
    const notes = [
      `Layout: ${s.proxies} proxies, ${layout.services} services × ~${Math.ceil(s.proxies / layout.services)} instances (v1/v2 alternating) in ${namespaces} namespaces; ${tokens.size} workload tokens (one per namespace/service/version) made in ${tokensS.toFixed(1)} s; registration of all ${registered} in ${registerS.toFixed(1)} s (16 at a time), before any stream opened.`,
      `Connect: ${s.connectConcurrency} streams opening at once; the last of ${s.proxies} had its first snapshot ${connectS.toFixed(2)} s after the first opened (per stream p50 ${fmt(percentile(firstTimes, 0.5))} ms since start); API CPU during it ${fmt(connectCpu)}% of a core.`,
      `Propagation = from the \`policies.upsert\` answer arriving to a proxy's stream delivering a config event with a version different from the one it held before the write and holding the new split weights; "all" is the last proxy (p99 over ${changes.length} changes is ${changes.length < 100 ? 'their maximum' : 'the 99th percentile'}). Proxies that got it before the write's answer count as 0 ms (${changes.reduce((a, c) => a + c.beforeAnswer, 0)} such events over all changes).`,
      `Median per-proxy propagation over changes: p50 ${ms(percentile(perProxy, 0.5))} ms, max ${ms(Math.max(...perProxy))} ms.`,
      `Load: the simulated proxies ran in ${fleet.threads} worker thread(s) of this process, each with its own event loop; per change (from just before the write until every ACK was answered) the worst thread's event-loop delay was p50 ${ms(load.delayMaxP50Ms)} ms / max ${ms(load.delayMaxMs)} ms over changes (p99 of its 10 ms timer ${ms(load.delayP99Ms)} ms), its loop busy ${fmt(load.busyMaxPct)}% of the change and its CPU ${fmt(load.cpuMaxPct)}% of a core. A loop delay that is a large part of the propagation time means the client, not the API, set the pace. Main thread (writes, bookkeeping) over the changes: loop delay max ${ms(mainStats.delayMaxMs)} ms, busy ${fmt(mainStats.utilization * 100)}%.`,
      `CPU while writing changes (100% = one core): API ${fmt(changesCpu)}% (includes the Programmed-condition writes after the ACKs), this load process ${fmt(benchCpu)}% (all threads), other processes on the machine ${fmt(otherCpu)}% (the machine's busy time minus this process tree; ${fmt(background.softirqPercent)}% of it soft interrupts, which include this bench's own loopback TCP); API RSS when ready ${mib(rssReady)}, sampled max ${mib(rssPeak)}, VmHWM ${mib(apiPeak)}.`,
      `Load average (1, 5, 15 min): ${loadAvg.map((l) => `${l.at} ${l.avg.map((x) => x.toFixed(2)).join(', ')}`).join('; ')}.`,
      `Fleet: ${fmt(counters.events)} config events, ${fmt(counters.heartbeats)} heartbeats, ${fmt(counters.acksOk)}/${fmt(counters.acksSent)} ACKs answered 204 (failures: ${failures(counters.ackFailures)}), ${counters.streamDrops} stream drops / ${counters.reconnects} reconnects (${failures(counters.connectFailures)}); the load threads parsed ${counters.parsedVersions} config versions (each thread parses each distinct version once and checks every event against it).`,
      `Machine: ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; API and the load process (this one) share the cores; ulimit -n ${limits.soft}.`,
      ...(apiErrors.length ? [`API log lines with error/warn: ${apiErrors.join(' ⏎ ')}`] : []),
    ];
    const command = `npm run bench:config${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
    const markdown = [
      `# Config push to ${fmt(s.proxies)} proxies — ${new Date(startedAt).toISOString()}`,
      '',
      `Command: \`${command}\``,
      '',
      '## Summary',
      '',
      summaryTable,
      '',
      '## Per change',
      '',
      changeTable,
      '',
      '## Notes',
      '',
      ...notes.map((n) => `- ${n}`),
      '',
      ...profileLines,
    ].join('\n');
    const resultsDir = path.join(repoRoot, 'bench/results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `config-stream-${stamp}.md`);
    writeFileSync(file, markdown);
    writeFileSync(
      file.replace(/\.md$/, '.json'),
      `${JSON.stringify(
        {
          startedAt: new Date(startedAt).toISOString(),
          settings: s,
          services: layout.services,
          tokens: tokens.size,
          registerS,
          connectS,
          propagationMs: { p50, p99, max, goalP99: GOAL_P99_MS, verdict },
          firstProxyMs: { p50: percentile(firsts, 0.5), max: Math.max(...firsts) },
          loadAverage: loadAvg,
          loadThreads: { threads: fleet.threads, ...load, main: mainStats },
          rssKib: {
            ready: rssReady,
            beforeConnect: rssBeforeConnect,
            afterConnect: rssAfterConnect,
            end: rssEnd,
            peak: Math.max(rssPeak, apiPeak),
          },
          cpuPercent: {
            apiConnect: connectCpu,
            apiChanges: changesCpu,
            loadChanges: benchCpu,
            other: otherCpu,
          },
          changes,
          fleet: {
            ...counters,
            ackFailures: Object.fromEntries(counters.ackFailures),
            connectFailures: Object.fromEntries(counters.connectFailures),
          },
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\n${markdown}`);
    console.log(`Written to ${path.relative(process.cwd(), file)} (and .json)`);
    return complete === changes.length && changes.length > 0 ? 0 : 1;
  } finally {
    await fleet?.close();
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (interrupted()) process.exit(130);
    if (err instanceof UsageError) {
      console.error(`bench:config: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`bench:config failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
