/** The launcher's refusals: they must happen before anything is started. */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPortFree } from '../common/net.ts';
import { allocateWorkloadPorts, portSpan } from './ports.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const tmpDirs: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
};
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

function runLauncher(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'main.ts'), ...args], {
      cwd: repoRoot,
      env: {
        ...process.env,
        WEFT_CONSOLE_PORT: '',
        WEFT_API_PORT: '',
        WEFT_PORT_BASE: '',
        WEFT_DATA_DIR: '',
        ...env,
      },
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
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
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
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
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

const fixtures = path.resolve(repoRoot, 'apps/demo/test/fixtures');

/** A console port, an API port and a shop block that are all free right now. */
async function freeLayout(): Promise<{ consolePort: number; apiPort: number; portBase: number }> {
  for (let attempt = 0; attempt < 30; attempt++) {
    // Below Linux's ephemeral range (32768+), so outgoing connections cannot take these ports meanwhile.
    const portBase = 20_000 + 100 * Math.floor(Math.random() * 100);
    const ports = [portBase + 90, portBase + 91];
    for (let p = portBase; p < portBase + portSpan(); p++) ports.push(p);
    const free = await Promise.all(ports.map((p) => isPortFree(p)));
    if (free.every(Boolean)) return { consolePort: portBase + 90, apiPort: portBase + 91, portBase };
  }
  throw new Error('no free port block found');
}

interface Running {
  output: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
}

function startLauncher(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'main.ts'), ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      WEFT_DEMO_API_ENTRY: path.join(fixtures, 'fake-api.ts'),
      WEFT_DEMO_PROXY_ENTRY: path.join(fixtures, 'fake-proxy.ts'),
      WEFT_DEMO_CONSOLE_ENTRY: path.join(fixtures, 'fake-console.ts'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    output: () => out,
    exited,
    kill: (signal) => child.kill(signal),
    waitFor: async (text, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`"${text}" not seen; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

describe('launcher lifecycle (stand-in API, proxies and console)', () => {
  it('starts everything, prints the console URL, and on Ctrl-C stops it all and frees every port', async () => {
    const layout = await freeLayout();
    const dataDir = path.join(tempDir('weft-launcher-'), 'data');
    const mesh = Object.fromEntries(
      allocateWorkloadPorts(layout.portBase).map((p) => [
        `${p.workload.service}.${p.workload.namespace}`,
        `127.0.0.1:${p.inbound}`,
      ]),
    );
    const run = startLauncher(
      [
        '--console-port',
        String(layout.consolePort),
        '--api-port',
        String(layout.apiPort),
        '--port-base',
        String(layout.portBase),
        '--data-dir',
        dataDir,
      ],
      { FAKE_MESH: JSON.stringify(mesh) },
    );
    try {
      await run.waitFor(`Weft console: http://127.0.0.1:${layout.consolePort}`, 60_000);
      expect(run.output()).toContain(`Weft API:     http://127.0.0.1:${layout.apiPort}`);
      // The whole chain answers through the stand-in proxies.
      const frontendInbound = layout.portBase + 1;
      const res = await fetch(`http://127.0.0.1:${frontendInbound}/product/1`);
      expect(res.status).toBe(200);
      for (const name of ['api', 'shop', 'proxy-frontend', 'proxy-ratings', 'loadgen', 'console']) {
        expect(existsSync(path.join(dataDir, 'logs', `${name}.log`)), name).toBe(true);
      }
      expect(processesMentioning(`127.0.0.1:${frontendInbound}`).length).toBeGreaterThan(0);
    } finally {
      run.kill('SIGINT');
    }
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/all 30 ports are free/);
    const ports = [layout.consolePort, layout.apiPort];
    for (let p = layout.portBase; p < layout.portBase + portSpan(); p++) ports.push(p);
    expect((await Promise.all(ports.map((p) => isPortFree(p)))).every(Boolean)).toBe(true);
    expect(processesMentioning(`127.0.0.1:${layout.portBase + 1}`)).toEqual([]);
  });

  it('names a child that dies, shows its last lines, stops the rest and exits 1', async () => {
    const layout = await freeLayout();
    const dataDir = path.join(tempDir('weft-launcher-'), 'data');
    const run = startLauncher(
      [
        '--console-port',
        String(layout.consolePort),
        '--api-port',
        String(layout.apiPort),
        '--port-base',
        String(layout.portBase),
        '--data-dir',
        dataDir,
        '--rps',
        '0',
      ],
      { FAKE_PROXY_CRASH_SERVICE: 'ratings' },
    );
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))]);
    if (code === 'timeout') run.kill('SIGKILL');
    expect(code).toBe(1);
    expect(run.output()).toContain('proxy-ratings exited with code 3 unexpectedly');
    expect(run.output()).toContain('boom (simulated crash)');
    expect(run.output()).toMatch(/all 30 ports are free/);
    expect(processesMentioning(`127.0.0.1:${layout.portBase + 1}`)).toEqual([]);
  });
});
