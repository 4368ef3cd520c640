/**
 * Running the demo launcher from tests as users run it (`--no-console`, on a probed free port block and a fresh
 * data dir), shared by the launcher's integration tests: start, wait for its banner, sign in, clean up.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { isPortFree } from '../common/net.ts';
import { ApiClient, type ApiSession } from './api-client.ts';
import { portSpan } from './ports.ts';

const tmpDirs: string[] = [];
export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
};
/** For afterAll: removes every directory tempDir made. */
export const removeTempDirs = (): void =>
  tmpDirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../../..');
export const HOST = '127.0.0.1';

/** The launcher's settings from the environment of whoever runs the tests must not leak in. */
export const CLEAN_ENV = {
  WEFT_CONSOLE_PORT: '',
  WEFT_API_PORT: '',
  WEFT_PORT_BASE: '',
  WEFT_DATA_DIR: '',
  WEFT_DEMO_RPS: '',
  WEFT_NO_CONSOLE: '',
  WEFT_ADMIN_PASSWORD: '',
  WEFT_PROXY_TOKEN: '',
  WEFT_PLATFORM: '',
  WEFT_KUBE_PORT: '',
  WEFT_KUBECONFIG: '',
};

export interface Layout {
  apiPort: number;
  portBase: number;
  /** Only bound with --platform kubernetes. */
  kubePort: number;
  /** The shop block, the API port and the Kubernetes API server's: everything a --no-console run binds. */
  ports: number[];
}

/** A shop block and an API port that are all free right now (probed on 127.0.0.1). */
export async function freeLayout(): Promise<Layout> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768+), so outgoing connections cannot take these ports meanwhile.
    const portBase = 20_000 + 100 * Math.floor(Math.random() * 120);
    // After the shop block (portSpan() = 94 ports), within the 100 of this base.
    const apiPort = portBase + portSpan() + 1;
    const kubePort = portBase + portSpan() + 2;
    const ports = [apiPort, kubePort];
    for (let p = portBase; p < portBase + portSpan(); p++) ports.push(p);
    const free = await Promise.all(ports.map((p) => isPortFree(p, HOST)));
    if (free.every(Boolean)) return { apiPort, portBase, kubePort, ports };
  }
  throw new Error('no free port block found');
}

export interface Running {
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

export function pidsOf(dataDir: string): { launcher: number; processes: Record<string, number> } | null {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, 'pids.json'), 'utf8')) as {
      launcher: number;
      processes: Record<string, number>;
    };
  } catch {
    return null;
  }
}

/** For afterEach: whatever a failed or timed-out test left behind: the launcher, and each child's process group. */
export async function stopLeftoverLaunchers(): Promise<void> {
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
}

export function spawnLauncher(
  layout: Layout,
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Running {
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
      '--kube-port',
      String(layout.kubePort),
      '--data-dir',
      dataDir,
      ...args,
    ],
    { cwd: repoRoot, env: { ...process.env, ...CLEAN_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let closed = false;
  child.on('close', () => (closed = true));
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
    // Checked on every chunk of output and when the launcher's output closes (it exited), not on a timer.
    waitFor: (text, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) finish();
          else if (closed)
            finish(new Error(`the launcher exited before printing "${text}"; output:\n${out}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`"${text}" not seen within ${timeoutMs / 1000} s; output:\n${out}`)),
          timeoutMs,
        );
        const finish = (err?: Error) => {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          child.off('close', check);
          if (err) reject(err);
          else resolve();
        };
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        child.on('close', check);
        check();
      }),
  };
  running.push(run);
  return run;
}

/**
 * Starts `--no-console` on a probed free layout and waits for the end of the banner. Another test run on the
 * machine may take a probed port before the launcher binds it: the launcher then refuses ("Nothing was
 * started.") and we probe again.
 */
export async function startHeadless(
  args: string[],
  timeoutMs: number,
  dataDir = path.join(tempDir('weft-launcher-'), 'data'),
): Promise<Running> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const run = spawnLauncher(await freeLayout(), dataDir, args);
    try {
      await run.waitFor('Press Ctrl-C to stop.', Math.max(1000, deadline - Date.now()));
      return run;
    } catch (e) {
      if (attempt < 3 && run.output().includes('Nothing was started.') && Date.now() < deadline) continue;
      throw e;
    }
  }
}

export interface Edge {
  source: string;
  target: string;
  traffic: { requests: number };
}

export const savedPassword = (dataDir: string): string =>
  readFileSync(path.join(dataDir, 'admin-password'), 'utf8').trim();

/** Signs in as admin with the password the launcher saved, as a user following the banner would. */
export async function signIn(run: Running): Promise<{ api: ApiClient; session: ApiSession }> {
  const api = new ApiClient(run.apiUrl, { timeoutMs: 5000 });
  return { api, session: await api.login('admin', savedPassword(run.dataDir)) };
}

/** Polls the API's graph (with a session) until traffic shows up (proxies flush every 2 s). */
export async function waitForTraffic(run: Running, timeoutMs: number): Promise<Edge[]> {
  const { api, session } = await signIn(run);
  return vi.waitFor(
    async () => {
      const graph = await api.query<{ edges: Edge[] }>(session, 'topology.graph', { window: {} });
      // The load enters at the frontend: wait for its calls, not just any proxy's first flush.
      if (!graph.edges.some((e) => e.traffic.requests > 0 && e.source === 'storefront/frontend'))
        throw new Error(`no traffic from the frontend on the graph yet: ${JSON.stringify(graph.edges)}`);
      return graph.edges;
    },
    { timeout: timeoutMs, interval: 500 },
  );
}
