/**
 * `npm start`: the whole Weft demo in one command.
 *   API (SQLite) → sign in as admin, one workload token per proxy (and an ingest token for the service
 *   outside the mesh) → console build if needed (in parallel) → demo shop and the services outside the mesh
 *   → one proxy per workload → load generator → console; prints the console URL and how to sign in. With --no-console: no console build or server; prints the API URL and curl commands.
 * The admin password: see admin-password.ts. Proxy tokens (and the ingest token, as OTEL_EXPORTER_OTLP_HEADERS)
 * travel in their process's environment only (never in argv, logs or pids.json); each run revokes the tokens of
 * the run before.
 * While running, <data dir>/pids.json lists the pid of every component. Ctrl-C / SIGTERM stops everything it
 * started, in reverse order.
 */
import { setMaxListeners } from 'node:events';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { BOOTSTRAP_ADMIN_USERNAME, TraceSampling } from '@weft/schema';
import { portProblem, sleep } from '../common/net.ts';
import { buildDemoPlan } from '../shop/plan.ts';
import { DEMO_WORKLOADS, ENTRY_WORKLOAD, RECOMMENDATIONS, type DemoWorkload } from '../topology.ts';
import {
  ADMIN_PASSWORD_ENV,
  AdminPasswordError,
  resolveAdminPassword,
  signInLine,
  signInRefusedAdvice,
  type AdminPassword,
} from './admin-password.ts';
import {
  ApiCallError,
  ApiClient,
  createIngestToken,
  createWorkloadTokens,
  revokeDemoTokens,
  SignInRefusedError,
} from './api-client.ts';
import { consoleBuildNeeded, type BuildCheck } from './build.ts';
import { startDemoCluster, type DemoCluster } from './kubernetes.ts';
import { missingEndpoints } from './mesh.ts';
import { parseLauncherArgs, usage, UsageError, type LauncherConfig } from './config.ts';
import { bannerLines } from './output.ts';
import {
  allocateOutsidePorts,
  allocateWorkloadPorts,
  allPortUses,
  busyPortMessage,
  describePortScheme,
  portCollisions,
  portSpan,
  type PortUse,
} from './ports.ts';
import { describeExit, makePrinter, Supervisor, type Child, type ChildSpec } from './supervisor.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const HOST = '127.0.0.1';
const PROXY_FLUSH_INTERVAL_MS = 2000;
const LOADGEN_CONCURRENCY = 16;
const SIGNAL_DEBOUNCE_MS = 1000;

const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
/** The demo's proxies trace every request: a demo is for looking at traces. */
const DEMO_TRACE_SAMPLING_PERCENT = 100;
const print = makePrinter(undefined, color);
const say = (line: string): void => print('weft', line);
const t0 = performance.now();
const supervisor = new Supervisor(print);
/** <data dir>/pids.json once something was started; removed again on exit. */
let pidsFile: string | undefined;
// If the launcher itself dies, take the children with it.
process.on('exit', () => {
  for (const c of supervisor.children) if (!c.exitInfo) c.signalGroup('SIGKILL');
  if (pidsFile) rmSync(pidsFile, { force: true });
});
const elapsed = (): string => `+${((performance.now() - t0) / 1000).toFixed(1)} s`;

class StartupError extends Error {
  constructor(
    message: string,
    readonly child?: Child,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------- checks

async function findBusyPorts(uses: readonly PortUse[]): Promise<PortUse[]> {
  const problems = await Promise.all(uses.map((u) => portProblem(u.port, HOST)));
  return uses.flatMap((u, i) => (problems[i] === null ? [] : [{ ...u, problem: problems[i] }]));
}

/** Entry points of the other components, relative to the repository root. */
const ENTRIES = {
  api: 'apps/api/src/main.ts',
  proxy: 'apps/proxy/src/main.ts',
  shop: 'apps/demo/src/shop/main.ts',
  outside: 'apps/demo/src/outside/main.ts',
  loadgen: 'apps/demo/src/loadgen/main.ts',
  console: 'apps/web/package.json',
};

function requireFiles(withConsole: boolean): void {
  const needed = [ENTRIES.api, ENTRIES.proxy, ENTRIES.shop, ENTRIES.outside, ENTRIES.loadgen];
  if (withConsole) needed.push(ENTRIES.console);
  const missing = needed.filter((f) => !existsSync(path.resolve(REPO_ROOT, f)));
  if (missing.length > 0) {
    console.error(
      `error: missing ${missing.join(', ')} under ${REPO_ROOT}. Is the checkout complete (and npm ci done)?`,
    );
    process.exit(1);
  }
}

function nextCommand(): { command: string; args: string[] } {
  try {
    const req = createRequire(path.join(REPO_ROOT, ENTRIES.console));
    return { command: process.execPath, args: [req.resolve('next/dist/bin/next')] };
  } catch {
    return { command: 'npx', args: ['--no-install', 'next'] };
  }
}

// ---------------------------------------------------------------------------------------------- waiting

async function httpStatus(url: string, signal: AbortSignal): Promise<number | null> {
  try {
    const res = await request(url, {
      method: 'GET',
      headersTimeout: 3000,
      bodyTimeout: 3000,
      signal,
    });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return null;
  }
}

async function waitForHttp(
  what: string,
  url: string,
  opts: { timeoutMs: number; signal: AbortSignal; accept?: (status: number) => boolean; child?: Child },
): Promise<void> {
  const accept = opts.accept ?? ((s) => s === 200);
  const deadline = Date.now() + opts.timeoutMs;
  let last: number | null = null;
  let delay = 100;
  while (!opts.signal.aborted) {
    last = await httpStatus(url, opts.signal);
    if (last !== null && accept(last)) return;
    if (Date.now() > deadline) {
      throw new StartupError(
        `${what} did not become ready within ${opts.timeoutMs / 1000} s (${url} ${last === null ? 'did not answer' : `answered ${last}`})`,
        opts.child,
      );
    }
    await sleep(delay, opts.signal);
    delay = Math.min(delay * 1.5, 500);
  }
  throw new StartupError('stopped');
}

const proxyIdOf = (w: DemoWorkload): string => `${w.name}.${w.namespace}`;

interface DemoTokens {
  /** Workload tokens by proxy id. */
  workloads: Map<string, string>;
  /** The ingest token of the service outside the mesh that sends OTLP itself (recommendations). */
  ingest: string;
}

/**
 * Signs in as admin, revokes the demo tokens of earlier runs and creates one workload token per demo workload
 * and the ingest token of recommendations. Throws StartupError with advice when the API refuses the password.
 */
async function issueDemoTokens(
  apiUrl: string,
  admin: AdminPassword,
  dataDir: string,
  signal: AbortSignal,
): Promise<DemoTokens> {
  const api = new ApiClient(apiUrl, { signal });
  let session;
  try {
    session = await api.loginWithRetries(BOOTSTRAP_ADMIN_USERNAME, admin.password);
  } catch (e) {
    if (e instanceof SignInRefusedError)
      throw new StartupError(signInRefusedAdvice(e.reason, admin, dataDir, e.retryAfterSeconds));
    throw e;
  }
  try {
    const revoked = await revokeDemoTokens(api, session);
    const tokens = await createWorkloadTokens(
      api,
      session,
      DEMO_WORKLOADS.map((w) => ({
        proxyId: proxyIdOf(w),
        namespace: w.namespace,
        service: w.service,
        version: w.version,
      })),
    );
    const ingest = await createIngestToken(api, session, RECOMMENDATIONS.identity);
    say(
      `signed in as ${BOOTSTRAP_ADMIN_USERNAME}; created ${tokens.size} workload tokens and 1 ingest token` +
        (revoked > 0 ? `, revoked ${revoked} of an earlier run` : ''),
    );
    return { workloads: tokens, ingest };
  } finally {
    await api.logout(session);
  }
}

/** Waits (bounded) until every proxy's config lists every workload; see mesh.ts. Never fails the start. */
async function waitForMesh(
  adminPorts: readonly number[],
  signal: AbortSignal,
  timeoutMs = 10_000,
): Promise<boolean> {
  const expected = DEMO_WORKLOADS.map((w) => ({
    service: w.service,
    namespace: w.namespace,
    proxyId: proxyIdOf(w),
  }));
  const deadline = Date.now() + timeoutMs;
  let missing: string[] = [];
  while (!signal.aborted) {
    missing = [];
    for (const port of adminPorts) {
      try {
        const res = await request(`http://${HOST}:${port}/config`, {
          headersTimeout: 2000,
          bodyTimeout: 2000,
          signal,
        });
        if (res.statusCode === 404) {
          await res.body.dump();
          continue; // a proxy without /config: nothing to wait for
        }
        const text = await res.body.text();
        if (res.statusCode !== 200) {
          missing.push(`${port}: no config yet`);
          continue;
        }
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          continue; // not the shared format: nothing to wait for
        }
        const m = missingEndpoints(body, expected);
        if (m === 'unreadable') continue;
        missing.push(...m.map((x) => `${port}: ${x}`));
      } catch {
        missing.push(`${port}: admin did not answer`);
      }
    }
    if (missing.length === 0) return true;
    if (Date.now() > deadline) {
      say(
        `warning: proxies still do not see every workload after ${timeoutMs / 1000} s (e.g. admin ${missing[0]}); starting the load anyway`,
      );
      return false;
    }
    await sleep(250, signal);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  let config: LauncherConfig;
  try {
    const parsed = parseLauncherArgs(process.argv.slice(2));
    if (parsed.help) {
      console.log(usage(describePortScheme()));
      return 0;
    }
    config = parsed.config;
  } catch (e) {
    if (e instanceof UsageError || e instanceof RangeError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }

  let uses: PortUse[];
  try {
    uses = allPortUses(config);
  } catch (e) {
    console.error(`error: ${(e as Error).message} (--port-base or WEFT_PORT_BASE)`);
    return 2;
  }
  const collisions = portCollisions(uses);
  if (collisions.length > 0) {
    for (const c of collisions) console.error(`error: ${c}`);
    return 2;
  }
  const busy = await findBusyPorts(uses);
  if (busy.length > 0) {
    console.error(busyPortMessage(busy, config));
    return 1;
  }
  requireFiles(!config.noConsole);

  const logDir = path.join(config.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  let admin: AdminPassword;
  try {
    admin = resolveAdminPassword(config.dataDir);
  } catch (e) {
    if (e instanceof AdminPasswordError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const ports = allocateWorkloadPorts(config.portBase);
  const apiUrl = `http://${HOST}:${config.apiPort}`;
  const consoleUrl = `http://${HOST}:${config.consolePort}`;
  const kubeUrl = `http://${HOST}:${config.kubePort}`;
  const kubeconfigPath = path.join(config.dataDir, 'kubeconfig');
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', NEXT_TELEMETRY_DISABLED: '1' };
  delete baseEnv.FORCE_COLOR;
  // Secrets go only to the child that needs them.
  delete baseEnv[ADMIN_PASSWORD_ENV];
  delete baseEnv.WEFT_PROXY_TOKEN;
  // The API's platform is the launcher's choice (set per run below), not whatever the shell had.
  delete baseEnv.WEFT_PLATFORM;
  delete baseEnv.WEFT_KUBECONFIG;
  const node = (file: string, args: string[] = []): { command: string; args: string[] } => ({
    command: process.execPath,
    args: ['--import', 'tsx', path.resolve(REPO_ROOT, file), ...args],
  });

  const stopCtl = new AbortController();
  // Every readiness wait listens on it (a shop service and a proxy per workload + build at once): not a leak.
  setMaxListeners(100, stopCtl.signal);
  let failure: string | null = null;
  let signals = 0;

  const fail = (message: string, child?: Child): void => {
    if (stopCtl.signal.aborted) return;
    failure = message;
    console.error('');
    say(`error: ${message}`);
    if (child) {
      const lines = child.tail.get().slice(-15);
      if (lines.length > 0) {
        say(`last lines of ${child.name} (full log: ${child.spec.logFile}):`);
        for (const l of lines) print(child.name, l);
      } else say(`${child.name} printed nothing (log: ${child.spec.logFile})`);
    }
    stopCtl.abort();
  };
  supervisor.onUnexpectedExit = (child, info) =>
    fail(`${child.name} ${describeExit(info)} unexpectedly`, child);

  // Under `npm start` one Ctrl-C reaches us more than once (the terminal signals the whole foreground group,
  // and npm / the tsx CLI relay it again), so only a signal well after the first one means "kill now".
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      firstSignalAt = Date.now();
      console.log('');
      say(
        `${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping everything (press Ctrl-C again to kill at once)…`,
      );
      stopCtl.abort();
    } else if (Date.now() - firstSignalAt > SIGNAL_DEBOUNCE_MS) {
      say('killing every process now');
      supervisor.killAllNow();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const logFile = (name: string): string => path.join(logDir, `${name}.log`);
  // <data dir>/pids.json: {"launcher": pid, "processes": {"api": pid, "proxy-ratings": pid, …}}, for users
  // (profilers, kill -STOP a proxy to see the console react) and the launcher's own tests.
  pidsFile = path.join(config.dataDir, 'pids.json');
  const writePids = (): void => {
    const processes: Record<string, number> = {};
    for (const c of supervisor.children) if (!c.exitInfo && c.pid !== undefined) processes[c.name] = c.pid;
    const tmp = `${pidsFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify({ launcher: process.pid, processes }, null, 2)}\n`);
      renameSync(tmp, pidsFile!);
    } catch (e) {
      say(`warning: could not write ${pidsFile}: ${(e as Error).message}`);
    }
  };
  const start = (spec: ChildSpec): Child => {
    const child = supervisor.start(spec);
    writePids();
    return child;
  };
  let api: Child | undefined;
  let build: Child | undefined;
  let shop: Child | undefined;
  /** The services outside the mesh (recommendations with its OpenTelemetry SDK, the payments gateway). */
  let outside: Child | undefined;
  let consoleChild: Child | undefined;
  let loadgen: Child | undefined;
  /** --platform kubernetes: the in-process Kubernetes API server (not a child process). */
  let cluster: DemoCluster | undefined;
  const proxies: Child[] = [];
  const timeline: Record<string, string> = {};

  const startup = async (): Promise<void> => {
    const signal = stopCtl.signal;
    // 0. Kubernetes mode: the API server and the shop's objects, before the API's informers list them
    const platformEnv: NodeJS.ProcessEnv = { WEFT_PLATFORM: config.platform };
    if (config.platform === 'kubernetes') {
      say(`starting the Kubernetes API server on ${kubeUrl} (in process, no controllers)…`);
      try {
        cluster = await startDemoCluster({
          repoRoot: REPO_ROOT,
          port: config.kubePort,
          kubeconfigPath,
          instances: ports.map((p) => ({
            workload: p.workload,
            proxyId: proxyIdOf(p.workload),
            host: HOST,
            inboundPort: p.inbound,
          })),
        });
      } catch (e) {
        throw new StartupError(`the Kubernetes API server on ${kubeUrl}: ${(e as Error).message}`);
      }
      platformEnv.WEFT_KUBECONFIG = kubeconfigPath;
      timeline.kube = elapsed();
      say(
        `Kubernetes API server ready, ${cluster.objectCount} shop objects and the CRDs written (${timeline.kube}); kubeconfig ${kubeconfigPath}`,
      );
    }
    // 1. API
    say(
      `starting the API on ${apiUrl} (SQLite in ${config.dataDir}${config.platform === 'kubernetes' ? '; Kubernetes mode' : ''})…`,
    );
    api = start({
      name: 'api',
      ...node(ENTRIES.api),
      cwd: REPO_ROOT,
      env: {
        ...baseEnv,
        ...platformEnv,
        WEFT_API_HOST: HOST,
        WEFT_API_PORT: String(config.apiPort),
        WEFT_DATA_DIR: config.dataDir,
        DATABASE_URL: `file:${path.join(config.dataDir, 'weft.db')}`,
        [ADMIN_PASSWORD_ENV]: admin.password,
      },
      logFile: logFile('api'),
    });
    await waitForHttp('the API', `${apiUrl}/healthz`, { timeoutMs: 90_000, signal, child: api });
    timeline.api = elapsed();
    say(`API ready (${timeline.api})`);
    const a = api;
    const tokens = await issueDemoTokens(apiUrl, admin, config.dataDir, signal).catch((e: unknown) => {
      if (e instanceof StartupError || signal.aborted) throw e;
      if (e instanceof ApiCallError) throw new StartupError(`preparing the proxies' tokens: ${e.message}`, a);
      throw e;
    });

    // 2. console build, in parallel with the rest
    let buildDone: Promise<void> = Promise.resolve();
    const check: BuildCheck = config.noConsole ? { needed: false } : consoleBuildNeeded(REPO_ROOT);
    if (check.needed) {
      say(`building the console (first run takes ~30 s)… [${check.reason}]`);
      const next = nextCommand();
      const buildStarted = performance.now();
      build = start({
        name: 'console-build',
        command: next.command,
        args: [...next.args, 'build'],
        cwd: path.join(REPO_ROOT, 'apps/web'),
        env: baseEnv,
        logFile: logFile('console-build'),
        expectExit: true,
      });
      const b = build;
      buildDone = b.exited.then((info) => {
        if (stopCtl.signal.aborted) return;
        writePids();
        if (info.code !== 0) throw new StartupError(`the console build ${describeExit(info)}`, b);
        say(`console built (${((performance.now() - buildStarted) / 1000).toFixed(1)} s)`);
      });
      // Surface a failed build at once, even while we are waiting on something else.
      buildDone.catch((e: unknown) => fail((e as Error).message, (e as StartupError).child));
    }

    // 3. shop, and the services outside the mesh that it calls through its proxies (egress)
    const outsideAt = Object.fromEntries(
      allocateOutsidePorts(config.portBase).map((o) => [o.service.name, `${HOST}:${o.port}`]),
    );
    const plan = buildDemoPlan(
      (w) => {
        const p = ports.find((x) => x.workload.name === w.name)!;
        return { app: `${HOST}:${p.app}`, outbound: `${HOST}:${p.outbound}` };
      },
      {},
      outsideAt,
    );
    outside = start({
      name: 'outside',
      ...node(ENTRIES.outside, [
        '--recommendations',
        outsideAt.recommendations!,
        '--payments-gateway',
        outsideAt['payments-gateway']!,
      ]),
      cwd: REPO_ROOT,
      // The standard OpenTelemetry SDK variables, as a user would set them (README); the shell's own OTEL_*
      // (a signal-specific endpoint would win over ours) stay out.
      env: {
        ...Object.fromEntries(Object.entries(baseEnv).filter(([k]) => !k.startsWith('OTEL_'))),
        OTEL_EXPORTER_OTLP_ENDPOINT: apiUrl,
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${tokens.ingest}`,
      },
      logFile: logFile('outside'),
    });
    const o = outside;
    const outsideReady = Promise.all(
      Object.entries(outsideAt).map(([name, address]) =>
        waitForHttp(name, `http://${address}/healthz`, { timeoutMs: 30_000, signal, child: o }),
      ),
    );
    say(
      `starting the demo shop: ${DEMO_WORKLOADS.length} workloads on ${HOST}:${config.portBase}-${config.portBase + portSpan() - 1}…`,
    );
    shop = start({
      name: 'shop',
      ...node(ENTRIES.shop, ['--plan', JSON.stringify(plan)]),
      cwd: REPO_ROOT,
      env: baseEnv,
      logFile: logFile('shop'),
    });
    const s = shop;
    const shopReady = Promise.all(
      ports.map((p) =>
        waitForHttp(`shop service ${p.workload.name}`, `http://${HOST}:${p.app}/healthz`, {
          timeoutMs: 30_000,
          signal,
          child: s,
        }),
      ),
    ).then(() => {
      timeline.shop = elapsed();
    });

    // 4. proxies (started while the shop comes up: they only need the API to become ready)
    say(`starting ${ports.length} proxies…`);
    for (const p of ports) {
      const w = p.workload;
      proxies.push(
        start({
          name: `proxy-${w.name}`,
          ...node(ENTRIES.proxy, [
            '--service',
            w.service,
            '--namespace',
            w.namespace,
            '--version',
            w.version,
            '--app',
            `${HOST}:${p.app}`,
            '--inbound',
            `${HOST}:${p.inbound}`,
            '--outbound',
            `${HOST}:${p.outbound}`,
            '--admin',
            `${HOST}:${p.admin}`,
            '--control-plane',
            apiUrl,
            '--proxy-id',
            proxyIdOf(w),
            '--flush-interval-ms',
            String(PROXY_FLUSH_INTERVAL_MS),
            // The shop answers /healthz: a shop instance that stops answering leaves the endpoints in seconds.
            '--app-ready-path',
            '/healthz',
            // Two zones of one region (topology.ts): locality-aware balancing prefers the caller's zone.
            '--zone',
            w.zone,
            '--region',
            w.region,
            // Every trace, like Istio's demo profile (production proxies default to 1%); the environment's
            // own setting wins.
            ...(process.env[TraceSampling.percentEnv] === undefined
              ? [`--${TraceSampling.percentFlag}`, String(DEMO_TRACE_SAMPLING_PERCENT)]
              : []),
          ]),
          cwd: REPO_ROOT,
          env: { ...baseEnv, WEFT_PROXY_TOKEN: tokens.workloads.get(proxyIdOf(w)) },
          logFile: logFile(`proxy-${w.name}`),
        }),
      );
    }
    await Promise.all([
      shopReady,
      outsideReady,
      ...ports.map((p, i) =>
        waitForHttp(`the proxy of ${p.workload.name}`, `http://${HOST}:${p.admin}/ready`, {
          timeoutMs: 60_000,
          signal,
          child: proxies[i],
        }),
      ),
    ]);
    timeline.proxies = elapsed();
    say(`shop and ${proxies.length} proxies ready (${timeline.proxies})`);
    if (
      await waitForMesh(
        ports.map((p) => p.admin),
        signal,
      )
    ) {
      timeline.mesh = elapsed();
      say(`every proxy sees all ${DEMO_WORKLOADS.length} workloads (${timeline.mesh})`);
    }

    // 5. load
    const entry = ports.find((p) => p.workload.name === ENTRY_WORKLOAD)!;
    if (config.rps > 0) {
      loadgen = start({
        name: 'loadgen',
        ...node(ENTRIES.loadgen, [
          '--target',
          `${HOST}:${entry.inbound}`,
          '--rps',
          String(config.rps),
          '--concurrency',
          String(LOADGEN_CONCURRENCY),
          '--report-every-ms',
          '10000',
        ]),
        cwd: REPO_ROOT,
        env: baseEnv,
        logFile: logFile('loadgen'),
      });
      timeline.load = elapsed();
      say(`load generator: ${config.rps} rps → frontend (${HOST}:${entry.inbound})`);
    } else say('load generator off (--rps 0)');

    // 6. console
    if (config.noConsole) say('console off (--no-console)');
    else {
      if (build) say('waiting for the console build…');
      await buildDone;
      if (signal.aborted) throw new StartupError('stopped');
      const next = nextCommand();
      say(`starting the console on ${consoleUrl}…`);
      consoleChild = start({
        name: 'console',
        command: next.command,
        args: [...next.args, 'start', '-H', HOST, '-p', String(config.consolePort)],
        cwd: path.join(REPO_ROOT, 'apps/web'),
        env: { ...baseEnv, WEFT_API_URL: apiUrl, NODE_ENV: 'production' },
        logFile: logFile('console'),
      });
      await waitForHttp('the console', `${consoleUrl}/`, {
        timeoutMs: 60_000,
        signal,
        accept: (st) => st < 500,
        child: consoleChild,
      });
      timeline.console = elapsed();
    }
    timeline.ready = elapsed();

    const banner = bannerLines({
      consoleUrl: config.noConsole ? null : consoleUrl,
      apiUrl,
      signIn: signInLine(admin),
      username: BOOTSTRAP_ADMIN_USERNAME,
      password: admin.source === 'env' ? null : admin.password,
      passwordEnv: ADMIN_PASSWORD_ENV,
      shop:
        `${DEMO_WORKLOADS.length} workloads in namespaces ${[...new Set(DEMO_WORKLOADS.map((w) => w.namespace))].join(', ')}, ` +
        `entry ${HOST}:${entry.inbound}, load ${config.rps} rps; outside the mesh: recommendations ` +
        `(OpenTelemetry SDK) ${outsideAt.recommendations}, payments gateway ${outsideAt['payments-gateway']}`,
      logDir,
      pidsFile: pidsFile!,
      kubernetes: cluster ? { server: cluster.server.url, kubeconfig: cluster.kubeconfigPath } : null,
      readyAfter: timeline.ready,
    });
    console.log(['', ...banner, ''].join('\n'));
  };

  try {
    await startup();
  } catch (e) {
    if (!stopCtl.signal.aborted) {
      if (e instanceof StartupError) fail(e.message, e.child);
      else fail(`launcher error: ${(e as Error).stack ?? String(e)}`);
    }
  }
  if (!stopCtl.signal.aborted)
    await new Promise((resolve) => stopCtl.signal.addEventListener('abort', resolve, { once: true }));

  // Shut down: load → proxies → shop → console → API.
  const stopStarted = performance.now();
  const stopOne = async (c: Child | undefined): Promise<void> => {
    if (!c) return;
    const how = await c.stop(5000);
    if (how === 'killed') say(`${c.name} did not stop within 5 s: killed`);
  };
  await stopOne(loadgen);
  await Promise.all(proxies.map((p) => stopOne(p)));
  await stopOne(shop);
  await stopOne(outside);
  await stopOne(build);
  await stopOne(consoleChild);
  await stopOne(api);
  await cluster?.close();

  rmSync(pidsFile, { force: true });
  pidsFile = undefined;

  let stillBusy = await findBusyPorts(uses);
  for (let i = 0; i < 20 && stillBusy.length > 0; i++) {
    await sleep(150);
    stillBusy = await findBusyPorts(stillBusy);
  }
  if (stillBusy.length > 0) {
    say(`warning: still in use after stopping: ${stillBusy.map((u) => `${u.port} (${u.owner})`).join(', ')}`);
  } else {
    say(
      `stopped ${supervisor.children.length} processes in ${((performance.now() - stopStarted) / 1000).toFixed(1)} s; all ${uses.length} ports are free`,
    );
  }
  return failure !== null || stillBusy.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('weft: launcher crashed:', err);
    process.exit(1);
  },
);
