/**
 * Proxy overhead benchmark: `npm run bench` (= `tsx bench/proxy-overhead.ts`). Run on demand, not in `npm test`.
 *
 * In one run on loopback, against one small fixed upstream (100-byte body):
 *   - direct            load generator → upstream
 *   - Weft proxy        load generator → apps/proxy inbound listener → upstream (metrics + tracing exported to
 *                       a real Weft API, as in production)
 *   - nginx proxy       load generator → nginx reverse proxy → upstream (skipped with a note without nginx)
 * each at 1 and at 64 connections: requests/s, p50/p99 latency, and for the proxies CPU-µs per request
 * (utime+stime from /proc/<pid>/stat before/after, over requests) and peak RSS (VmHWM).
 * Prints a table and ratios and writes it as markdown to bench/results/<timestamp>.md. See bench/README.md.
 *
 * Flags: --duration S (10) --warmup S (2) --load auto|wrk|node (auto) --connections 1,64
 */
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  apiAuthEnv,
  benchAdminPassword,
  createWorkloadToken,
  signInAdmin,
  type Session,
} from './lib/api-auth.ts';
import { interrupted, startBenchRun } from './lib/bench-run.ts';
import { freePorts, Supervisor, waitForHttp, type Child } from './lib/children.ts';
import {
  findWrk,
  nodeGenerator,
  wrkGenerator,
  type LoadGenerator,
  type LoadOptions,
  type LoadResult,
} from './lib/load.ts';
import { findNginx, nginxVersion, reverseProxyConfig, startNginx, upstreamConfig } from './lib/nginx.ts';
import { profileMarkdown, summariseProfile } from './lib/cpu-profile.ts';
import { ApiProbe, telemetryEvidence } from './lib/telemetry.ts';
import { BackgroundCpu, cpuMicros, sampleTree, userShare } from './lib/proc.ts';
import {
  anyErrors,
  BUSY_PERCENT,
  goalChecks,
  ratiosAndGoals,
  resultsTable,
  TARGET_LABEL,
  type Measurement,
  type TargetName,
} from './lib/report.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const PROXY_MAIN = path.join(repoRoot, 'apps/proxy/src/main.ts');
const API_MAIN = path.join(repoRoot, 'apps/api/src/main.ts');
const SERVICE = 'bench-upstream';
const NAMESPACE = 'bench';
const VERSION = 'v1';

interface Settings {
  durationS: number;
  warmupS: number;
  load: 'auto' | 'wrk' | 'node';
  connections: number[];
  targets: TargetName[];
  cpuProf: boolean;
}

const USAGE = `Usage: npm run bench [-- --duration S] [--warmup S] [--load auto|wrk|node] [--connections 1,64]
  --duration S      measured seconds per target and connection count (default 10)
  --warmup S        unmeasured seconds before each measurement (default 2)
  --load KIND       wrk (needs /usr/bin/wrk), node (undici Pool), or auto: wrk when installed (default)
  --connections L   comma-separated connection counts (default 1,64)
  --targets L       comma-separated subset of direct,weft,nginx (default all; weft also starts the Weft API)
  --cpu-prof        also profile the Weft proxy (node --cpu-prof): hot functions go in the report and the
                    .cpuprofile next to it (open in Chrome DevTools); profiling itself costs CPU`;

function parseArgs(argv: readonly string[]): Settings {
  const settings: Settings = {
    durationS: 10,
    warmupS: 2,
    load: 'auto',
    connections: [1, 64],
    targets: ['direct', 'weft', 'nginx'],
    cpuProf: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (flag === '--cpu-prof') {
      settings.cpuProf = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--duration':
      case '--warmup': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < (flag === '--duration' ? 1 : 0) || n > 600) {
          throw new UsageError(
            `${flag} must be a whole number of seconds (${flag === '--duration' ? 1 : 0}-600)`,
          );
        }
        if (flag === '--duration') settings.durationS = n;
        else settings.warmupS = n;
        break;
      }
      case '--load':
        if (value !== 'auto' && value !== 'wrk' && value !== 'node')
          throw new UsageError('--load must be auto, wrk or node');
        settings.load = value;
        break;
      case '--targets': {
        const list = value.split(',');
        const known: readonly string[] = ['direct', 'weft', 'nginx'];
        if (list.some((t) => !known.includes(t))) {
          throw new UsageError('--targets must be a comma-separated subset of direct,weft,nginx');
        }
        settings.targets = (['direct', 'weft', 'nginx'] as const).filter((t) => list.includes(t));
        break;
      }
      case '--connections': {
        const list = value.split(',').map(Number);
        if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 1024)) {
          throw new UsageError('--connections must be a comma-separated list of 1-1024, e.g. 1,64');
        }
        settings.connections = list;
        break;
      }
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return settings;
}

class UsageError extends Error {}

const TMP_PREFIX = 'weft-bench-';

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function machineFacts(nginxBinary: string | undefined, generator: LoadGenerator): string[] {
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  let wrk = 'not used';
  if (generator.name.startsWith('wrk')) {
    try {
      execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // `wrk -v` prints its version and exits 1.
      const out = (err as { stdout?: unknown }).stdout;
      wrk = typeof out === 'string' ? (out.split('\n')[0]?.trim() ?? 'wrk') : 'wrk';
    }
  }
  return [
    `- CPU: ${os.availableParallelism()} cores (${cpuModel}), ${Math.round(os.totalmem() / 2 ** 30)} GiB; kernel ${os.release()}`,
    `- Node ${process.version}; ${nginxBinary ? nginxVersion(nginxBinary) : 'nginx not installed'}; load: ${generator.name}${wrk !== 'not used' ? ` — ${wrk}` : ''}`,
    `- Load generator, proxy, upstream and the Weft API share all cores: nothing is pinned.`,
  ];
}

interface Target {
  name: TargetName;
  url: string;
  /** Root of the process tree whose CPU and memory are the proxy's. */
  proxy?: Child;
}

async function main(): Promise<number> {
  const settings = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux' || !existsSync('/proc/self/stat')) {
    throw new Error('this benchmark reads /proc for CPU time and memory: it runs on Linux only');
  }
  const withWeft = settings.targets.includes('weft');
  for (const [what, file] of [
    ['Weft proxy', PROXY_MAIN],
    ['Weft API', API_MAIN],
  ] as const) {
    if (withWeft && !existsSync(file))
      throw new Error(`${what} entry point ${path.relative(repoRoot, file)} does not exist yet`);
  }

  const supervisor = new Supervisor();
  let loadChild: ChildProcess | undefined;
  const { tmp, stamp, startedAt, cleanup } = startBenchRun({
    tmpPrefix: TMP_PREFIX,
    log,
    stop: async () => {
      loadChild?.kill('SIGKILL');
      await supervisor.stopAll();
    },
    killNow: () => {
      supervisor.killAllNow();
      loadChild?.kill('SIGKILL');
    },
  });
  // nginx workers run as `nobody` under a root master: they must be able to enter their prefix.
  chmodSync(tmp, 0o755);

  try {
    const nginx = findNginx();
    const wrkBinary = findWrk();
    if (settings.load === 'wrk' && !wrkBinary)
      throw new Error('--load wrk: wrk is not installed (apt-get install wrk)');
    const generator = settings.load !== 'node' && wrkBinary ? wrkGenerator(wrkBinary, tmp) : nodeGenerator();
    const notes: string[] = [];
    // A busy machine makes every number here noisy: say so up front.
    const quiet = new BackgroundCpu();
    quiet.start();
    await new Promise((r) => setTimeout(r, 1000));
    const backgroundBefore = quiet.stop();
    if (backgroundBefore > BUSY_PERCENT) {
      log(
        `warning: other processes use ${backgroundBefore.toFixed(0)}% of a core before the run: numbers will be noisy`,
      );
    }
    notes.push(
      `Before the run, other processes used ${backgroundBefore.toFixed(0)}% of one core (of ${os.availableParallelism() * 100}%).`,
    );
    if (!wrkBinary && settings.load !== 'node')
      notes.push(
        'wrk is not installed: the Node load generator was used (it tops out far below wrk; apt-get install wrk).',
      );
    if (!nginx)
      notes.push(
        'nginx is not installed: the nginx reverse-proxy rows are skipped and the upstream is a minimal node:http server (apt-get install nginx).',
      );

    const [upstreamPort, nginxProxyPort, apiPort, inboundPort, outboundPort, adminPort] = (await freePorts(
      6,
    )) as [number, number, number, number, number, number];

    // 1. The upstream.
    let upstreamKind: string;
    if (nginx) {
      await startNginx(
        supervisor,
        nginx,
        'upstream (nginx)',
        path.join(tmp, 'nginx-upstream'),
        upstreamConfig(path.join(tmp, 'nginx-upstream'), upstreamPort),
        upstreamPort,
      );
      upstreamKind = 'nginx `return 200` with a 100-byte body (1 worker)';
    } else {
      const child = supervisor.start(
        'upstream (node:http)',
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'bench/lib/upstream-server.ts'), String(upstreamPort)],
        { cwd: repoRoot },
      );
      await waitForHttp(`http://127.0.0.1:${upstreamPort}/`, child, 20_000);
      upstreamKind = 'node:http server with a 100-byte body';
    }
    log(`upstream on 127.0.0.1:${upstreamPort}: ${upstreamKind}`);

    // 2. The Weft API (control plane + telemetry ingest on SQLite in the temp dir).
    let api: Child | undefined;
    let weftReadyRssMib = 0;
    const profileDir = path.join(tmp, 'cpu-prof');
    let weft: Child | undefined;
    let session: Session | undefined;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    if (withWeft) {
      const adminPassword = benchAdminPassword();
      const apiEnv: NodeJS.ProcessEnv = {
        ...process.env,
        ...apiAuthEnv(adminPassword),
        WEFT_API_HOST: '127.0.0.1',
        WEFT_API_PORT: String(apiPort),
        WEFT_DATA_DIR: path.join(tmp, 'api-data'),
      };
      delete apiEnv.DATABASE_URL;
      api = supervisor.start('Weft API', process.execPath, ['--import', 'tsx', API_MAIN], {
        cwd: repoRoot,
        env: apiEnv,
      });
      await waitForHttp(`${apiUrl}/healthz`, api, 60_000);
      log(`Weft API on ${apiUrl}`);
      // Sign in as the bootstrap admin (tRPC reads need a session) and create the proxy's workload token.
      session = await signInAdmin(apiUrl, adminPassword);
      const proxyToken = await createWorkloadToken(apiUrl, session, {
        namespace: NAMESPACE,
        service: SERVICE,
        version: VERSION,
      });

      // 3. The Weft proxy: one sidecar, the inbound listener in front of the upstream, telemetry to the API.
      const proxyArgs = [
        '--import',
        'tsx',
        PROXY_MAIN,
        '--service',
        SERVICE,
        '--namespace',
        NAMESPACE,
        '--version',
        VERSION,
        '--app',
        `127.0.0.1:${upstreamPort}`,
        '--inbound',
        `127.0.0.1:${inboundPort}`,
        '--outbound',
        `127.0.0.1:${outboundPort}`,
        '--admin',
        `127.0.0.1:${adminPort}`,
        '--control-plane',
        apiUrl,
      ];
      const proxyEnv: NodeJS.ProcessEnv = { ...process.env, WEFT_PROXY_TOKEN: proxyToken };
      if (settings.cpuProf) proxyArgs.unshift('--cpu-prof', '--cpu-prof-dir', profileDir);
      weft = supervisor.start('Weft proxy', process.execPath, proxyArgs, {
        cwd: repoRoot,
        env: proxyEnv,
      });
      await waitForHttp(`http://127.0.0.1:${adminPort}/ready`, weft, 60_000);
      // One request through it before measuring, so a broken path fails here with its output rather than as errors.
      await waitForHttp(`http://127.0.0.1:${inboundPort}/`, weft, 10_000);
      weftReadyRssMib = sampleTree(weft.pid).rssKib / 1024;
      log(`Weft proxy ready: inbound 127.0.0.1:${inboundPort}, admin 127.0.0.1:${adminPort}`);
    }

    // 4. nginx as the reference reverse proxy.
    let nginxProxy: Child | undefined;
    if (nginx && settings.targets.includes('nginx')) {
      const prefix = path.join(tmp, 'nginx-proxy');
      nginxProxy = await startNginx(
        supervisor,
        nginx,
        'nginx proxy',
        prefix,
        reverseProxyConfig(prefix, nginxProxyPort, upstreamPort),
        nginxProxyPort,
      );
      log(`nginx proxy on 127.0.0.1:${nginxProxyPort}`);
    }

    const targets: Target[] = [];
    if (settings.targets.includes('direct')) {
      targets.push({ name: 'direct', url: `http://127.0.0.1:${upstreamPort}/` });
    }
    if (weft) targets.push({ name: 'weft', url: `http://127.0.0.1:${inboundPort}/`, proxy: weft });
    if (nginxProxy) {
      targets.push({ name: 'nginx', url: `http://127.0.0.1:${nginxProxyPort}/`, proxy: nginxProxy });
    }

    // 5. Measure.
    const results: Measurement[] = [];
    const track = (child: ChildProcess | undefined): void => {
      loadChild = child;
    };
    let apiCpuDuringWeft = 0;
    const apiProbe = new ApiProbe(apiUrl);
    /** The Weft proxy's own CPU while it carries no traffic (during the direct runs): its fixed background cost. */
    let weftIdleMicros = 0;
    let weftIdleSeconds = 0;
    let weftRequestsSent = 0;
    const total = targets.length * settings.connections.length;
    let index = 0;
    for (const target of targets) {
      for (const connections of settings.connections) {
        index++;
        log(
          `[${index}/${total}] ${TARGET_LABEL[target.name]}, ${connections} conn: warm-up ${settings.warmupS} s, then ${settings.durationS} s`,
        );
        const options = { url: target.url, connections, timeoutS: 2 };
        if (settings.warmupS > 0) {
          const warm = await runLoad(generator, { ...options, durationS: settings.warmupS }, track, [
            target.proxy,
            api,
          ]);
          if (target.name === 'weft') weftRequestsSent += warm.requests;
        }
        for (const child of [target.proxy, api]) {
          if (child?.exited()) throw new Error(`${child.name} exited during the run:\n${child.output()}`);
        }
        const before = target.proxy ? sampleTree(target.proxy.pid) : undefined;
        const idleBefore = target.name === 'direct' && weft ? sampleTree(weft.pid) : undefined;
        const apiBefore = api ? sampleTree(api.pid) : undefined;
        const background = new BackgroundCpu();
        background.start();
        if (target.name === 'weft') apiProbe.start();
        const load = await runLoad(generator, { ...options, durationS: settings.durationS }, track, [
          target.proxy,
          api,
        ]);
        apiProbe.stop();
        const otherCpuPercent = background.stop();
        const after = target.proxy ? sampleTree(target.proxy.pid) : undefined;
        if (idleBefore && weft) {
          weftIdleMicros += cpuMicros(idleBefore, sampleTree(weft.pid));
          weftIdleSeconds += load.durationS;
        }
        const apiAfter = api ? sampleTree(api.pid) : undefined;
        const measurement: Measurement = { target: target.name, connections, load, otherCpuPercent };
        if (before && after) {
          const micros = cpuMicros(before, after);
          measurement.proxy = {
            cpuMicros: micros,
            cpuMicrosPerRequest: load.requests > 0 ? micros / load.requests : Number.NaN,
            cpuPercent: (100 * micros) / (load.durationS * 1e6),
            userShare: userShare(before, after),
            peakRssMib: after.peakRssKib / 1024,
            processes: after.pids.length,
          };
        }
        if (target.name === 'weft') {
          if (apiBefore && apiAfter) apiCpuDuringWeft += cpuMicros(apiBefore, apiAfter);
          weftRequestsSent += load.requests;
        }
        results.push(measurement);
        log(
          `    ${Math.round(load.requestsPerS)} req/s, p50 ${Math.round(load.p50Us)} µs, p99 ${Math.round(load.p99Us)} µs` +
            (measurement.proxy ? `, ${measurement.proxy.cpuMicrosPerRequest.toFixed(1)} CPU-µs/req` : ''),
        );
      }
    }

    // 6. Telemetry really flowed: what the API stored, and what the proxy says about its exports.
    const telemetry =
      weft && session
        ? await telemetryEvidence({
            apiUrl,
            session,
            adminUrl: `http://127.0.0.1:${adminPort}`,
            namespace: NAMESPACE,
            service: SERVICE,
            startedAt,
            sent: weftRequestsSent,
            waitMs: 20_000,
          })
        : [];
    const apiProbeSummary = apiProbe.summary();
    const weftWarnings = (weft?.output() ?? '').split('\n').filter((l) => / (warn|error) /.test(l));

    // The profile is written when the proxy exits.
    let profileSection: string[] = [];
    if (weft && settings.cpuProf) {
      await weft.stop();
      const file = existsSync(profileDir)
        ? // One file per thread (the tsx loader runs in a worker); the main thread's is written first.
          readdirSync(profileDir)
            .filter((f) => f.endsWith('.cpuprofile'))
            .sort()[0]
        : undefined;
      if (file) {
        const resultsDir = path.join(repoRoot, 'bench/results');
        mkdirSync(resultsDir, { recursive: true });
        const kept = path.join(resultsDir, `${stamp}-weft-proxy.cpuprofile`);
        copyFileSync(path.join(profileDir, file), kept);
        profileSection = [
          '## Weft proxy CPU profile (--cpu-prof)',
          '',
          `Whole proxy lifetime (start-up, warm-ups and measurements); profile: \`${path.relative(repoRoot, kept)}\`. The sampling itself costs CPU, so this run's CPU-µs/request are a little high.`,
          '',
          ...profileMarkdown(summariseProfile(path.join(profileDir, file), repoRoot)),
          '',
        ];
      } else {
        profileSection = [
          '## Weft proxy CPU profile',
          '',
          'No .cpuprofile was written (did the proxy exit cleanly?).',
          '',
        ];
      }
    }

    // 7. Report.
    const command = [
      'npm run bench',
      ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
    ].join(' ');
    const facts = machineFacts(nginx, generator);
    const table = resultsTable(results);
    const ratios = ratiosAndGoals(results, settings.connections);
    const goals = goalChecks(results, settings.connections);
    const weftRows = results.filter((m) => m.target === 'weft');
    const weftMeasured = weftRows.reduce((n, m) => n + m.load.requests, 0);
    const weftNotes = weft
      ? [
          `Weft proxy: \`node --import tsx apps/proxy/src/main.ts\` (inbound listener → upstream, default flush and config-poll intervals, a workload token for ${SERVICE}.${NAMESPACE}@${VERSION} in WEFT_PROXY_TOKEN); control plane and telemetry sink: the Weft API (\`apps/api/src/main.ts\`) on SQLite in a temp dir.`,
          `Weft API CPU during the Weft measurements (telemetry ingest, not part of the proxy's cost): ${(apiCpuDuringWeft / 1000).toFixed(0)} CPU-ms = ${weftMeasured > 0 ? (apiCpuDuringWeft / weftMeasured).toFixed(1) : '?'} µs per measured request.`,
          `Weft proxy RSS when ready, before any load: ${weftReadyRssMib.toFixed(1)} MiB (Node + tsx + the proxy's modules).`,
          ...(weftIdleSeconds > 0
            ? [
                `Weft proxy CPU with no traffic (during the direct runs; telemetry/config timers): ${((100 * weftIdleMicros) / (weftIdleSeconds * 1e6)).toFixed(1)}% of a core.`,
              ]
            : []),
          ...telemetry,
          ...(apiProbeSummary ? [apiProbeSummary] : []),
          weftWarnings.length > 0
            ? `Weft proxy wrote ${weftWarnings.length} warn/error line(s): ${[
                ...new Set(weftWarnings.map((l) => l.replace(/^\S+ /, '').slice(0, 240))),
              ]
                .slice(0, 3)
                .map((l) => `\`${l}\``)
                .join('; ')}`
            : 'Weft proxy wrote no warn/error lines.',
        ]
      : ['The Weft proxy was not measured (--targets).'];
    const notesOut = [
      ...notes,
      `Upstream: ${upstreamKind}.`,
      ...weftNotes,
      ...(nginxProxy
        ? [
            'nginx proxy: 1 worker, HTTP/1.1 keep-alive pool to the upstream, access_log off. Its CPU and RSS are master + worker (RSS summed, shared pages counted twice).',
          ]
        : []),
      `Each measurement: ${settings.warmupS} s warm-up (not counted), then ${settings.durationS} s. CPU-µs/request = proxy utime+stime over the measured window / requests completed; it includes the proxy's background work (telemetry export, config polls). "proxy CPU" is that time over wall time (100% = one core). "other procs CPU" is what processes outside this bench used meanwhile (100% = one core): above ~10% the machine was not quiet and the numbers are noisy.`,
      `Proxy CPU split user/kernel: ${results
        .filter((m) => m.proxy)
        .map(
          (m) =>
            `${TARGET_LABEL[m.target]} ${m.connections} conn ${Math.round(100 * (m.proxy?.userShare ?? 0))}/${100 - Math.round(100 * (m.proxy?.userShare ?? 0))}`,
        )
        .join(', ')}.`,
      `Response size (${generator.name.startsWith('wrk') ? 'headers + body' : 'body only'}): ${results
        .filter((m) => m.connections === settings.connections[0])
        .map((m) => `${TARGET_LABEL[m.target]} ${m.load.bytesPerResponse.toFixed(0)} B`)
        .join(', ')}.`,
    ];
    if (anyErrors(results))
      notesOut.push('**Some measurements had errors (see the errors column): their numbers are suspect.**');

    const markdown = [
      `# Proxy overhead — ${new Date(startedAt).toISOString()}`,
      '',
      `Command: \`${command}\``,
      '',
      ...facts,
      '',
      table,
      '',
      '## Ratios',
      '',
      ...ratios,
      '',
      '## Goals (shared PRODUCT.md)',
      '',
      ...(goals.length > 0 ? goals : ['- (the Weft proxy was not measured)']),
      '',
      ...profileSection,
      '## Notes',
      '',
      ...notesOut.map((n) => `- ${n}`),
      '',
    ].join('\n');

    const resultsDir = path.join(repoRoot, 'bench/results');
    mkdirSync(resultsDir, { recursive: true });
    const resultsFile = path.join(resultsDir, `${stamp}.md`);
    writeFileSync(resultsFile, markdown);

    console.log(`\n${markdown}`);
    console.log(`Written to ${path.relative(process.cwd(), resultsFile)}`);
    return 0;
  } finally {
    await cleanup();
  }
}

/** Runs the load; when it fails, says whether a process under test died and shows what it printed. */
async function runLoad(
  generator: LoadGenerator,
  options: LoadOptions,
  track: (child: ChildProcess | undefined) => void,
  watched: readonly (Child | undefined)[],
): Promise<LoadResult> {
  try {
    return await generator.run(options, track);
  } catch (err) {
    // Give an exit that caused the failure a moment to be noticed.
    await new Promise((r) => setTimeout(r, 200));
    const details = watched
      .filter((c): c is Child => c !== undefined)
      .map((c) =>
        c.exited()
          ? `\n--- ${c.name} has EXITED; its last output ---\n${c.output()}`
          : `\n--- ${c.name} is still running; its last output ---\n${c.output().slice(-3000)}`,
      );
    throw new Error(`${err instanceof Error ? err.message : String(err)}${details.join('')}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (interrupted()) process.exit(130);
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
