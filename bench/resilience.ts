/**
 * Resilience benchmark: `npm run bench:resilience` (= `tsx bench/resilience.ts`). Run on demand, not in `npm test`.
 *
 * Three replicas of one service (`backend.bench`), each its own app behind its own inbound proxy, called through
 * one caller proxy's outbound listener at a steady rate. Every `--kill-every` seconds one replica (its app and its
 * proxy, SIGKILL) is killed and started again at once, in turn, for `--duration` seconds. Run twice:
 *   - off: the caller has no policy (round robin over the three endpoints the static config lists)
 *   - on:  RetryPolicy (3 attempts on connect failures, resets and gateway errors; the default budget) and
 *          CircuitBreakerPolicy (eject after 3 consecutive gateway errors, 5 s base ejection)
 * and prints the success rate of the (idempotent, GET) requests in each: goal ≥ 99.9 % with the policies on.
 *
 * The proxies run without a control plane (`--config-file`), so what is measured is the data plane alone: the
 * caller keeps listing the killed endpoint, as it would until the registry's TTL expires.
 *
 * Flags: --duration S (120) --rps N (100) --kill-every S (10) --modes off,on
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'undici';
import { startBenchRun } from './lib/bench-run.ts';
import { freePorts, Supervisor, waitForHttp, type Child } from './lib/children.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const PROXY_MAIN = path.join(repoRoot, 'apps/proxy/src/main.ts');
const UPSTREAM_MAIN = path.join(repoRoot, 'bench/lib/upstream-server.ts');
const SERVICE = 'backend';
const NAMESPACE = 'bench';
const REPLICAS = 3;

type Mode = 'off' | 'on';

interface Settings {
  durationS: number;
  rps: number;
  killEveryS: number;
  modes: Mode[];
}

function parseArgs(argv: string[]): Settings {
  const settings: Settings = { durationS: 120, rps: 100, killEveryS: 10, modes: ['off', 'on'] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const number = (min: number, max: number): number => {
      const n = Number(value);
      if (!Number.isFinite(n) || n < min || n > max)
        throw new Error(`${flag} must be a number in ${min}..${max}`);
      i++;
      return n;
    };
    if (flag === '--duration') settings.durationS = number(10, 1800);
    else if (flag === '--rps') settings.rps = number(1, 2000);
    else if (flag === '--kill-every') settings.killEveryS = number(2, 600);
    else if (flag === '--modes') {
      const modes = (value ?? '').split(',').filter(Boolean);
      if (modes.length === 0 || modes.some((m) => m !== 'off' && m !== 'on'))
        throw new Error('--modes takes off, on or off,on');
      settings.modes = modes as Mode[];
      i++;
    } else if (flag === '--help' || flag === '-h') {
      console.log(
        'usage: npm run bench:resilience -- [--duration S] [--rps N] [--kill-every S] [--modes off,on]',
      );
      process.exit(0);
    } else throw new Error(`unknown flag ${flag} (try --help)`);
  }
  return settings;
}

const POLICIES = [
  {
    namespace: NAMESPACE,
    service: SERVICE,
    retry: {
      source: 'RetryPolicy bench/backend-retry',
      attempts: 3,
      perTryTimeout: '1s',
      backoff: { base: '10ms', max: '100ms', jitter: 0.5 },
      retryOn: ['connect-failure', 'reset', 'gateway-error'],
      nonIdempotent: false,
      budget: { ratio: 0.2, minPerSecond: 10 },
    },
    circuitBreaker: {
      source: 'CircuitBreakerPolicy bench/backend-breaker',
      outlierDetection: { consecutiveGatewayErrors: 3, baseEjectionTime: '5s', maxEjectionPercent: 50 },
    },
  },
];

interface Replica {
  appPort: number;
  inbound: number;
  outbound: number;
  admin: number;
  app?: Child;
  proxy?: Child;
}

interface ModeResult {
  mode: Mode;
  sent: number;
  ok: number;
  byStatus: Map<string, number>;
  kills: number;
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const log = (message: string): void => console.log(`[resilience] ${message}`);
  const supervisor = new Supervisor();
  const run = startBenchRun({
    tmpPrefix: 'weft-bench-resilience-',
    log,
    stop: () => supervisor.stopAll(),
    killNow: () => supervisor.killAllNow(),
  });
  const results: ModeResult[] = [];
  try {
    for (const mode of settings.modes) results.push(await runMode(mode, settings, supervisor, run.tmp, log));
  } finally {
    await run.cleanup();
  }

  console.log('');
  console.log(
    `${REPLICAS} replicas, one killed and restarted every ${settings.killEveryS} s for ${settings.durationS} s, ${settings.rps} GET/s through the caller's proxy`,
  );
  console.log('| policies | requests | succeeded | success rate | failures by status | kills |');
  console.log('| --- | ---: | ---: | ---: | --- | ---: |');
  for (const r of results) {
    const failures = [...r.byStatus]
      .filter(([status]) => !status.startsWith('2'))
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ');
    const rate = r.sent === 0 ? 0 : (r.ok / r.sent) * 100;
    console.log(
      `| ${r.mode === 'on' ? 'retry + outlier detection' : 'none'} | ${r.sent} | ${r.ok} | ${rate.toFixed(3)} % | ${failures || '–'} | ${r.kills} |`,
    );
  }
}

async function runMode(
  mode: Mode,
  settings: Settings,
  supervisor: Supervisor,
  tmp: string,
  log: (message: string) => void,
): Promise<ModeResult> {
  const ports = await freePorts(REPLICAS * 4 + 3);
  const replicas: Replica[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    const [appPort, inbound, outbound, admin] = ports.slice(i * 4, i * 4 + 4) as [
      number,
      number,
      number,
      number,
    ];
    replicas.push({ appPort, inbound, outbound, admin });
  }
  const [callerInbound, callerOutbound, callerAdmin] = ports.slice(REPLICAS * 4) as [number, number, number];

  const emptyConfig = path.join(tmp, `empty-${mode}.json`);
  writeFileSync(emptyConfig, JSON.stringify({ version: 'static', services: [] }));
  const callerConfig = path.join(tmp, `caller-${mode}.json`);
  writeFileSync(
    callerConfig,
    JSON.stringify({
      version: `static-${mode}`,
      services: [
        {
          name: SERVICE,
          namespace: NAMESPACE,
          endpoints: replicas.map((r, i) => ({
            proxyId: `backend-${i}.bench`,
            address: `127.0.0.1:${r.inbound}`,
            version: 'v1',
          })),
        },
      ],
      ...(mode === 'on' ? { policies: POLICIES } : {}),
    }),
  );

  const startReplica = async (r: Replica, i: number): Promise<void> => {
    r.app = supervisor.start(
      `app ${i}`,
      process.execPath,
      ['--import', 'tsx', UPSTREAM_MAIN, String(r.appPort)],
      {
        cwd: repoRoot,
      },
    );
    r.proxy = supervisor.start(
      `proxy ${i}`,
      process.execPath,
      [
        '--import',
        'tsx',
        PROXY_MAIN,
        ...['--service', SERVICE, '--namespace', NAMESPACE, '--version', 'v1'],
        ...['--proxy-id', `backend-${i}.bench`, '--app', `127.0.0.1:${r.appPort}`],
        ...['--inbound', `127.0.0.1:${r.inbound}`, '--outbound', `127.0.0.1:${r.outbound}`],
        ...['--admin', `127.0.0.1:${r.admin}`, '--config-file', emptyConfig],
      ],
      { cwd: repoRoot },
    );
    await waitForHttp(`http://127.0.0.1:${r.appPort}/`, r.app, 30_000);
    await waitForHttp(`http://127.0.0.1:${r.admin}/live`, r.proxy, 30_000);
  };
  const killReplica = (r: Replica): void => {
    for (const child of [r.app, r.proxy]) {
      if (child && !child.exited()) child.process.kill('SIGKILL');
    }
  };

  log(`mode ${mode}: starting ${REPLICAS} replicas and the caller's proxy`);
  await Promise.all(replicas.map((r, i) => startReplica(r, i)));
  const caller = supervisor.start(
    'caller proxy',
    process.execPath,
    [
      '--import',
      'tsx',
      PROXY_MAIN,
      ...['--service', 'caller', '--namespace', NAMESPACE, '--version', 'v1'],
      ...['--app', `127.0.0.1:${replicas[0]!.appPort}`],
      ...['--inbound', `127.0.0.1:${callerInbound}`, '--outbound', `127.0.0.1:${callerOutbound}`],
      ...['--admin', `127.0.0.1:${callerAdmin}`, '--config-file', callerConfig],
    ],
    { cwd: repoRoot },
  );
  await waitForHttp(`http://127.0.0.1:${callerAdmin}/ready`, caller, 30_000);

  const pool = new Pool(`http://127.0.0.1:${callerOutbound}`, { connections: 32 });
  const result: ModeResult = { mode, sent: 0, ok: 0, byStatus: new Map(), kills: 0 };
  const count = (status: string): void => {
    result.byStatus.set(status, (result.byStatus.get(status) ?? 0) + 1);
  };
  const inFlight = new Set<Promise<void>>();
  const send = (): void => {
    result.sent++;
    const request = pool
      .request({
        method: 'GET',
        path: '/',
        headers: { host: `${SERVICE}.${NAMESPACE}` },
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      })
      .then(async (res) => {
        await res.body.dump();
        count(String(res.statusCode));
        if (res.statusCode >= 200 && res.statusCode < 300) result.ok++;
      })
      .catch((err: unknown) => count(`error ${(err as { code?: string }).code ?? 'unknown'}`));
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  };

  // Chaos: one replica at a time, killed and started again at once.
  const startedAt = Date.now();
  const endsAt = startedAt + settings.durationS * 1000;
  let next = 0;
  const chaos = (async () => {
    for (let at = startedAt + settings.killEveryS * 1000; at < endsAt; at += settings.killEveryS * 1000) {
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      const i = next++ % REPLICAS;
      const replica = replicas[i]!;
      killReplica(replica);
      result.kills++;
      await Promise.all([replica.app, replica.proxy].map((child) => child?.done ?? Promise.resolve()));
      await startReplica(replica, i);
      log(
        `mode ${mode}: replica ${i} killed and restarted (${Math.round((Date.now() - startedAt) / 1000)} s)`,
      );
    }
  })();

  // Steady load, paced by the clock (not by responses), bounded by --duration.
  const intervalMs = 1000 / settings.rps;
  let due = startedAt;
  while (Date.now() < endsAt) {
    while (due <= Date.now() && due < endsAt) {
      send();
      due += intervalMs;
    }
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(20, due - Date.now()))));
  }
  await chaos;
  await Promise.all(inFlight);
  await pool.close();
  for (const r of replicas) killReplica(r);
  await caller.stop();
  await Promise.all(
    replicas.flatMap((r) => [r.app, r.proxy]).map((child) => child?.done ?? Promise.resolve()),
  );
  log(`mode ${mode}: ${result.ok}/${result.sent} succeeded`);
  return result;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
