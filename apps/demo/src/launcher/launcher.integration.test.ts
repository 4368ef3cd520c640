/**
 * The launcher as users run it. Refusals must happen before anything is started; full runs use the real API,
 * proxies, shop and load generator (`--no-console`: no console build), on free ports and a fresh data dir.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPortFree } from '../common/net.ts';
import { allocateWorkloadPorts, portSpan } from './ports.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const tmpDirs: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
};
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
const HOST = '127.0.0.1';

/** The launcher's settings from the environment of whoever runs the tests must not leak in. */
const CLEAN_ENV = {
  WEFT_CONSOLE_PORT: '',
  WEFT_API_PORT: '',
  WEFT_PORT_BASE: '',
  WEFT_DATA_DIR: '',
  WEFT_DEMO_RPS: '',
  WEFT_NO_CONSOLE: '',
};

function runLauncher(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'main.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...CLEAN_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`launcher did not exit: ${stdout}${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function freePort(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return String(port);
}

describe('launcher refusals', () => {
  const blocker = net.createServer();
  let busyPort = 0;
  let free1 = '';
  let free2 = '';
  beforeAll(async () => {
    [free1, free2] = await Promise.all([freePort(), freePort()]);
    await new Promise<void>((r) => blocker.listen(0, HOST, r));
    busyPort = (blocker.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((r) => blocker.close(r)));

  it('prints help', async () => {
    const r = await runLauncher(['--help']);
    expect(r.code).toBe(0);
    for (const s of [
      '--console-port',
      'WEFT_API_PORT',
      '--port-base',
      '--data-dir',
      '--rps',
      '--no-console',
      'WEFT_NO_CONSOLE=1',
      'pids.json',
      'proxy inbound',
    ]) {
      expect(r.stdout).toContain(s);
    }
  });

  it('rejects a bad flag with exit code 2', async () => {
    const r = await runLauncher(['--api-port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--api-port must be a port number 1-65535 (got "abc")');
  });

  it('refuses a busy console port, naming the port and how to change it, and starts nothing', async () => {
    const dataDir = path.join(tempDir('weft-launcher-'), 'data');
    const r = await runLauncher(['--data-dir', dataDir, '--api-port', free1, '--port-base', '1024'], {
      WEFT_CONSOLE_PORT: String(busyPort),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${busyPort} (console) is already in use`);
    expect(r.stderr).toContain('--console-port or WEFT_CONSOLE_PORT');
    expect(r.stderr).toContain('Nothing was started.');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a busy port inside the shop block, pointing at --port-base', async () => {
    const base = busyPort - 1; // busy port = frontend's proxy inbound
    if (base < 1 || base + 63 > 65535) return;
    const r = await runLauncher(['--port-base', String(base), '--console-port', free1, '--api-port', free2]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${busyPort} (proxy inbound of frontend) is already in use`);
    expect(r.stderr).toContain('--port-base or WEFT_PORT_BASE');
  });
});

// ---------------------------------------------------------------------------------------------- full runs

interface Layout {
  apiPort: number;
  portBase: number;
  /** The shop block and the API port: everything a --no-console run binds. */
  ports: number[];
}

/** A shop block and an API port that are all free right now (probed on 127.0.0.1). */
async function freeLayout(): Promise<Layout> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768+), so outgoing connections cannot take these ports meanwhile.
    const portBase = 20_000 + 100 * Math.floor(Math.random() * 120);
    const apiPort = portBase + 91;
    const ports = [apiPort];
    for (let p = portBase; p < portBase + portSpan(); p++) ports.push(p);
    const free = await Promise.all(ports.map((p) => isPortFree(p, HOST)));
    if (free.every(Boolean)) return { apiPort, portBase, ports };
  }
  throw new Error('no free port block found');
}

interface Running {
  layout: Layout;
  dataDir: string;
  apiUrl: string;
  output: () => string;
  /** Exit code, or 'timeout' when the launcher is still running after timeoutMs. */
  exit: (timeoutMs: number) => Promise<number | null | 'timeout'>;
  kill: (signal: NodeJS.Signals) => void;
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
}

const running: Running[] = [];

function pidsOf(dataDir: string): { launcher: number; processes: Record<string, number> } | null {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, 'pids.json'), 'utf8')) as {
      launcher: number;
      processes: Record<string, number>;
    };
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whatever a failed or timed-out test left behind: the launcher, and each child's process group. */
afterEach(async () => {
  for (const run of running.splice(0)) {
    if ((await run.exit(0)) !== 'timeout') continue;
    const pids = pidsOf(run.dataDir);
    run.kill('SIGKILL');
    for (const pid of Object.values(pids?.processes ?? {})) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run.exit(5000);
  }
});

function spawnLauncher(layout: Layout, dataDir: string, args: string[]): Running {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(here, 'main.ts'),
      '--no-console',
      '--api-port',
      String(layout.apiPort),
      '--port-base',
      String(layout.portBase),
      '--data-dir',
      dataDir,
      ...args,
    ],
    { cwd: repoRoot, env: { ...process.env, ...CLEAN_ENV }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const run: Running = {
    layout,
    dataDir,
    apiUrl: `http://${HOST}:${layout.apiPort}`,
    output: () => out,
    exit: (timeoutMs) =>
      Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs))]),
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitFor: async (text, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`the launcher exited before printing "${text}"; output:\n${out}`);
        if (Date.now() > deadline)
          throw new Error(`"${text}" not seen within ${timeoutMs / 1000} s; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
  running.push(run);
  return run;
}

/**
 * Starts `--no-console` on a probed free layout and waits for the banner's API line. Another test run on the
 * machine may take a probed port before the launcher binds it: the launcher then refuses ("Nothing was
 * started.") and we probe again.
 */
async function startHeadless(args: string[], timeoutMs: number): Promise<Running> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const run = spawnLauncher(await freeLayout(), path.join(tempDir('weft-launcher-'), 'data'), args);
    try {
      await run.waitFor(`Weft API:     ${run.apiUrl}`, Math.max(1000, deadline - Date.now()));
      return run;
    } catch (e) {
      if (attempt < 3 && run.output().includes('Nothing was started.') && Date.now() < deadline) continue;
      throw e;
    }
  }
}

interface Edge {
  source: string;
  target: string;
  traffic: { requests: number };
}

async function graphEdges(apiUrl: string): Promise<Edge[]> {
  const input = encodeURIComponent(JSON.stringify({ window: {} }));
  const res = await fetch(`${apiUrl}/trpc/topology.graph?input=${input}`, {
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) throw new Error(`topology.graph answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { result: { data: { edges: Edge[] } } };
  return body.result.data.edges;
}

/** Polls the API's graph until traffic shows up (proxies flush every 2 s). */
async function waitForTraffic(apiUrl: string, timeoutMs: number): Promise<Edge[]> {
  const deadline = Date.now() + timeoutMs;
  let edges: Edge[] = [];
  while (Date.now() < deadline) {
    edges = await graphEdges(apiUrl).catch(() => []);
    // The load enters at the frontend: wait for its calls, not just any proxy's first flush.
    if (edges.some((e) => e.traffic.requests > 0 && e.source === 'storefront/frontend')) return edges;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no traffic on the graph within ${timeoutMs / 1000} s: ${JSON.stringify(edges)}`);
}

function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

/** After a run: every port free (allowing a moment for the kernel), no process of it left, pids.json gone. */
async function expectAllReleased(run: Running, pids: Record<string, number>): Promise<void> {
  let busy = run.layout.ports;
  for (let i = 0; i < 20 && busy.length > 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 250));
    const free = await Promise.all(busy.map((p) => isPortFree(p, HOST)));
    busy = busy.filter((_, j) => !free[j]);
  }
  expect(busy, 'ports still in use').toEqual([]);
  expect(
    Object.entries(pids).filter(([, pid]) => alive(pid)),
    'processes still alive',
  ).toEqual([]);
  expect(processesMentioning(`${HOST}:${run.layout.portBase + 1}`)).toEqual([]);
  expect(existsSync(path.join(run.dataDir, 'pids.json'))).toBe(false);
}

const LIFECYCLE_TIMEOUT_MS = 90_000;

describe('launcher lifecycle (real API, proxies, shop and load generator; --no-console)', () => {
  it(
    'starts the mesh, shows real traffic on the graph, and on Ctrl-C stops it all and frees every port',
    async () => {
      const run = await startHeadless([], 50_000);
      let pids: Record<string, number> = {};
      try {
        expect(run.output()).toContain('Weft console: off (--no-console)');
        expect(run.output()).not.toContain('starting the console');
        expect(run.output()).not.toContain('building the console');
        expect(existsSync(path.join(run.dataDir, 'logs', 'console.log'))).toBe(false);
        pids = pidsOf(run.dataDir)?.processes ?? {};
        expect(Object.keys(pids).sort()).toEqual(
          [
            'api',
            'loadgen',
            'shop',
            ...allocateWorkloadPorts(1).map((p) => `proxy-${p.workload.name}`),
          ].sort(),
        );

        const edges = await waitForTraffic(run.apiUrl, 25_000);
        const frontend = edges.filter((e) => e.source === 'storefront/frontend' && e.traffic.requests > 0);
        expect(frontend.length, JSON.stringify(edges)).toBeGreaterThan(0);
      } finally {
        run.kill('SIGINT');
      }
      const code = await run.exit(20_000);
      expect(code, run.output()).toBe(0);
      expect(run.output()).toMatch(/stopped 10 processes in [\d.]+ s; all 29 ports are free/);
      await expectAllReleased(run, pids);
    },
    LIFECYCLE_TIMEOUT_MS,
  );

  it(
    'names a child that dies, shows its last lines, stops the rest and exits 1',
    async () => {
      const run = await startHeadless(['--rps', '0'], 50_000);
      const pids = pidsOf(run.dataDir)?.processes ?? {};
      const victim = pids['proxy-ratings'];
      expect(victim, JSON.stringify(pids)).toBeGreaterThan(0);
      process.kill(victim!, 'SIGKILL');

      const code = await run.exit(25_000);
      const out = run.output();
      expect(code, out).toBe(1);
      expect(out).toContain('error: proxy-ratings was killed by SIGKILL unexpectedly');
      const logFile = path.join(run.dataDir, 'logs', 'proxy-ratings.log');
      const tailAt = out.indexOf(`last lines of proxy-ratings (full log: ${logFile}):`);
      expect(tailAt, out).toBeGreaterThan(0);
      const ratingsInbound = allocateWorkloadPorts(run.layout.portBase).find(
        (p) => p.workload.name === 'ratings',
      )!.inbound;
      expect(out.slice(tailAt)).toMatch(
        new RegExp(`proxy-ratings +│ weft-proxy ratings\\.shop@v1 ready: inbound ${HOST}:${ratingsInbound} `),
      );
      expect(out).toMatch(/all 29 ports are free/);
      await expectAllReleased(run, pids);
    },
    LIFECYCLE_TIMEOUT_MS,
  );
});
