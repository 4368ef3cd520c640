/**
 * Policy cost benchmark: `npm run bench:policy-cost` (= `tsx bench/policy-cost.ts`). Run on demand, not in
 * `npm test`. What the policy layers cost when they are in force but do not fire.
 *
 * One app behind its own inbound proxy, called through a caller proxy's outbound listener by a closed-loop
 * client (`--connections`, `--duration`), twice: with no policy, and with a RetryPolicy + CircuitBreakerPolicy
 * (caller side) and a RateLimitPolicy with a limit far above the load (app side) in force. For each it prints
 * requests/s, p50/p99 and the CPU-µs per request and RSS of both proxies (from /proc), and the ratio: goal
 * ≤ +10 % CPU per request with the layers on. Proxies run from static `--config-file`s, without a control plane.
 *
 * Flags: --duration S (15) --warmup S (3) --connections N (16)
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'undici';
import { startBenchRun } from './lib/bench-run.ts';
import { freePorts, Supervisor, waitForHttp } from './lib/children.ts';
import { cpuMicros, sampleTree } from './lib/proc.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const PROXY_MAIN = path.join(repoRoot, 'apps/proxy/src/main.ts');
const UPSTREAM_MAIN = path.join(repoRoot, 'bench/lib/upstream-server.ts');
const NAMESPACE = 'bench';
const SERVICE = 'backend';

interface Settings {
  durationS: number;
  warmupS: number;
  connections: number;
}

function parseArgs(argv: string[]): Settings {
  const settings: Settings = { durationS: 15, warmupS: 3, connections: 16 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const n = Number(argv[i + 1]);
    if (flag === '--help' || flag === '-h') {
      console.log('usage: npm run bench:policy-cost -- [--duration S] [--warmup S] [--connections N]');
      process.exit(0);
    }
    if (!Number.isFinite(n) || n < 0 || n > 3600) throw new Error(`${flag} needs a number (try --help)`);
    if (flag === '--duration') settings.durationS = Math.max(1, n);
    else if (flag === '--warmup') settings.warmupS = n;
    else if (flag === '--connections') settings.connections = Math.max(1, Math.min(256, Math.round(n)));
    else throw new Error(`unknown flag ${flag} (try --help)`);
    i++;
  }
  return settings;
}

const CALLER_POLICIES = [
  {
    namespace: NAMESPACE,
    service: SERVICE,
    retry: {
      source: 'RetryPolicy bench/backend-retry',
      attempts: 3,
      perTryTimeout: '1s',
      backoff: { base: '25ms', max: '250ms', jitter: 0.5 },
      retryOn: ['connect-failure', 'reset', 'gateway-error'],
      nonIdempotent: false,
      budget: { ratio: 0.2, minPerSecond: 10 },
    },
    circuitBreaker: {
      source: 'CircuitBreakerPolicy bench/backend-breaker',
      outlierDetection: { consecutive5xx: 5, baseEjectionTime: '30s', maxEjectionPercent: 50 },
      limits: { maxRequests: 100_000, maxPendingRequests: 100_000 },
    },
  },
];

/** The app's own proxy enforces the rate limit: far above the load, so it never fires. */
const APP_POLICIES = [
  {
    namespace: NAMESPACE,
    service: SERVICE,
    rateLimit: {
      source: 'RateLimitPolicy bench/backend-rate-limit',
      rules: [{ name: 'all', limit: { requests: 1_000_000, interval: '1s', burst: 0 }, perClient: true }],
      concurrency: { maxInFlight: 100_000 },
    },
  },
];

interface Measurement {
  label: string;
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  callerCpuUs: number;
  appProxyCpuUs: number;
  callerRssMib: number;
  appProxyRssMib: number;
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const log = (message: string): void => console.log(`[policy-cost] ${message}`);
  const supervisor = new Supervisor();
  const run = startBenchRun({
    tmpPrefix: 'weft-bench-policy-cost-',
    log,
    stop: () => supervisor.stopAll(),
    killNow: () => supervisor.killAllNow(),
  });
  const results: Measurement[] = [];
  try {
    for (const on of [false, true]) results.push(await measure(on, settings, supervisor, run.tmp, log));
  } finally {
    await run.cleanup();
  }
  console.log('');
  console.log(
    `closed loop, ${settings.connections} connections, ${settings.durationS} s after ${settings.warmupS} s warm-up; client → caller proxy (outbound) → app proxy (inbound) → app`,
  );
  console.log(
    '| policies | requests | errors | req/s | p50 | p99 | caller CPU-µs/req | app proxy CPU-µs/req | caller RSS | app proxy RSS |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of results) {
    console.log(
      `| ${m.label} | ${m.requests} | ${m.errors} | ${m.rps.toFixed(0)} | ${m.p50Ms.toFixed(2)} ms | ${m.p99Ms.toFixed(2)} ms | ${m.callerCpuUs.toFixed(1)} | ${m.appProxyCpuUs.toFixed(1)} | ${m.callerRssMib.toFixed(0)} MiB | ${m.appProxyRssMib.toFixed(0)} MiB |`,
    );
  }
  const [off, on] = results;
  if (off && on) {
    const before = off.callerCpuUs + off.appProxyCpuUs;
    const after = on.callerCpuUs + on.appProxyCpuUs;
    console.log(
      `\nboth proxies together: ${before.toFixed(1)} → ${after.toFixed(1)} CPU-µs per request (${(((after - before) / before) * 100).toFixed(1)} %; goal ≤ +10 %)`,
    );
  }
}

async function measure(
  on: boolean,
  settings: Settings,
  supervisor: Supervisor,
  tmp: string,
  log: (message: string) => void,
): Promise<Measurement> {
  const label = on ? 'rate limit + retry + breaker' : 'none';
  const [appPort, appIn, appOut, appAdmin, callerIn, callerOut, callerAdmin] = await freePorts(7);
  const write = (name: string, config: object): string => {
    const file = path.join(tmp, `${name}-${on ? 'on' : 'off'}.json`);
    writeFileSync(file, JSON.stringify(config));
    return file;
  };
  const appConfig = write('app', {
    version: on ? 'on' : 'off',
    services: [],
    ...(on ? { policies: APP_POLICIES } : {}),
  });
  const callerConfig = write('caller', {
    version: on ? 'on' : 'off',
    services: [
      {
        name: SERVICE,
        namespace: NAMESPACE,
        endpoints: [{ proxyId: 'backend-0.bench', address: `127.0.0.1:${appIn}`, version: 'v1' }],
      },
    ],
    ...(on ? { policies: CALLER_POLICIES } : {}),
  });
  const proxy = (name: string, service: string, ports: number[], config: string) =>
    supervisor.start(
      name,
      process.execPath,
      [
        '--import',
        'tsx',
        PROXY_MAIN,
        ...['--service', service, '--namespace', NAMESPACE, '--version', 'v1'],
        ...['--app', `127.0.0.1:${appPort}`],
        ...['--inbound', `127.0.0.1:${ports[0]}`, '--outbound', `127.0.0.1:${ports[1]}`],
        ...['--admin', `127.0.0.1:${ports[2]}`, '--config-file', config],
      ],
      { cwd: repoRoot },
    );
  const app = supervisor.start('app', process.execPath, ['--import', 'tsx', UPSTREAM_MAIN, String(appPort)], {
    cwd: repoRoot,
  });
  const appProxy = proxy('app proxy', SERVICE, [appIn!, appOut!, appAdmin!], appConfig);
  const caller = proxy('caller proxy', 'caller', [callerIn!, callerOut!, callerAdmin!], callerConfig);
  await waitForHttp(`http://127.0.0.1:${appPort}/`, app, 30_000);
  await waitForHttp(`http://127.0.0.1:${appAdmin}/ready`, appProxy, 30_000);
  await waitForHttp(`http://127.0.0.1:${callerAdmin}/ready`, caller, 30_000);

  const pool = new Pool(`http://127.0.0.1:${callerOut}`, { connections: settings.connections });
  const loop = async (seconds: number, record: (ms: number, ok: boolean) => void): Promise<void> => {
    const until = performance.now() + seconds * 1000;
    const worker = async (): Promise<void> => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          const res = await pool.request({
            method: 'GET',
            path: '/',
            headers: { host: `${SERVICE}.${NAMESPACE}` },
            headersTimeout: 10_000,
            bodyTimeout: 10_000,
          });
          await res.body.dump();
          record(performance.now() - t0, res.statusCode === 200);
        } catch {
          record(performance.now() - t0, false);
        }
      }
    };
    await Promise.all(Array.from({ length: settings.connections }, worker));
  };

  log(`${label}: warming up for ${settings.warmupS} s`);
  await loop(settings.warmupS, () => undefined);
  const latencies: number[] = [];
  let errors = 0;
  const callerBefore = sampleTree(caller.pid);
  const appBefore = sampleTree(appProxy.pid);
  const started = performance.now();
  await loop(settings.durationS, (ms, ok) => {
    latencies.push(ms);
    if (!ok) errors++;
  });
  const seconds = (performance.now() - started) / 1000;
  const callerAfter = sampleTree(caller.pid);
  const appAfter = sampleTree(appProxy.pid);
  await pool.close();
  await Promise.all([caller.stop(), appProxy.stop(), app.stop()]);

  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const requests = latencies.length;
  log(`${label}: ${requests} requests, ${errors} errors`);
  return {
    label,
    requests,
    errors,
    rps: requests / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    callerCpuUs: cpuMicros(callerBefore, callerAfter) / Math.max(1, requests),
    appProxyCpuUs: cpuMicros(appBefore, appAfter) / Math.max(1, requests),
    callerRssMib: callerAfter.rssKib / 1024,
    appProxyRssMib: appAfter.rssKib / 1024,
  };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
