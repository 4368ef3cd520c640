/** The real command line: `node --import tsx apps/proxy/src/main.ts ...` as other engineers start it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LOOPBACK, closedPort, send, startApp, startServer, writeConfig } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

function flags(overrides: Record<string, string> = {}, drop: string[] = []): string[] {
  const all: Record<string, string> = {
    service: 'catalog',
    namespace: 'shop',
    version: 'v1',
    app: `${LOOPBACK}:9`,
    inbound: `${LOOPBACK}:0`,
    outbound: `${LOOPBACK}:0`,
    admin: `${LOOPBACK}:0`,
    'control-plane': `http://${LOOPBACK}:9`,
    ...overrides,
  };
  return Object.entries(all)
    .filter(([k]) => !drop.includes(k))
    .flatMap(([k, v]) => [`--${k}`, v]);
}

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('weft-proxy command line', () => {
  it('exits 2 with a clear message for an unknown flag', async () => {
    const r = run([...flags(), '--verbose', 'yes']);
    expect(await r.exited).toBe(2);
    expect(r.stderr()).toBe('weft-proxy: unknown flag --verbose\nRun with --help for the list of flags.\n');
  });

  it('exits 2 naming the missing flags and a malformed address', async () => {
    const missing = run(flags({}, ['app', 'admin']));
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('missing required flags: --app, --admin');

    const bad = run(flags({ outbound: '127.0.0.1' }));
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--outbound: "127.0.0.1" is not HOST:PORT');
  });

  it('exits 2 for a --config-file that is not a valid ProxyConfig', async () => {
    const r = run([
      ...flags({}, ['control-plane']),
      '--config-file',
      writeConfig({ version: '', services: [] }),
    ]);
    expect(await r.exited).toBe(2);
    expect(r.stderr()).toMatch(/--config-file .*: not a valid ProxyConfig: version:/);
    expectNoStackTrace(r.stderr());
  });

  it('says which address and flag is taken when a port is in use, without a stack trace', async () => {
    const squatter = await startServer((_req, res) => res.end());
    try {
      const r = run(flags({ admin: squatter.hostPort }));
      expect(await r.exited).toBe(1);
      expect(r.stderr()).toContain(
        `weft-proxy: cannot listen on ${squatter.hostPort} (--admin): address already in use`,
      );
      expectNoStackTrace(r.stderr());
    } finally {
      await squatter.close();
    }
  });

  it('prints the ready line, serves, and exits 0 on SIGTERM', async () => {
    const app = await startApp('catalog');
    const configFile = writeConfig({ version: 'static-1', services: [] });
    try {
      const r = run([
        ...flags({
          app: app.hostPort,
          'control-plane': `http://${LOOPBACK}:${await closedPort()}`,
          'config-file': configFile,
        }),
      ]);
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          if (r.stdout().includes('\n')) {
            clearInterval(timer);
            resolve(r.stdout().trim());
          } else if (r.child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`exited early: ${r.stderr()}`));
          }
        }, 20);
      });
      const match =
        /^weft-proxy catalog\.shop@v1 ready: inbound 127\.0\.0\.1:(\d+) -> app (\S+), outbound 127\.0\.0\.1:(\d+), admin 127\.0\.0\.1:(\d+)$/.exec(
          line,
        );
      expect(match, line).not.toBeNull();
      const [, inbound, appAddress, , admin] = match as unknown as [string, string, string, string, string];
      expect(appAddress).toBe(app.hostPort);

      const at = (port: string) => ({ host: LOOPBACK, port: Number(port) });
      expect((await send(at(admin), { target: '/live' })).status).toBe(200);
      expect((await send(at(admin), { target: '/ready' })).text).toBe('ready\n');
      expect(JSON.parse((await send(at(admin), { target: '/config' })).text)).toEqual({
        version: 'static-1',
        services: [],
        refused: [],
      });
      const res = await send(at(inbound), { target: '/hello', headers: { 'x-weft-source': 'web.shop@v1' } });
      expect(res.status).toBe(200);
      expect(app.seen[0]?.headers['x-weft-source']).toBeUndefined();

      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
      expect(r.stderr()).toContain('SIGTERM: draining, flushing telemetry, deregistering');
    } finally {
      await app.close();
    }
  });

  it('is not ready before a control plane answers with a config', async () => {
    const r = run(flags({ 'control-plane': `http://${LOOPBACK}:${await closedPort()}` }));
    const admin = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /admin 127\.0\.0\.1:(\d+)/.exec(r.stdout());
        if (m) {
          clearInterval(timer);
          resolve(Number(m[1]));
        } else if (r.child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(r.stderr()));
        }
      }, 20);
    });
    const ready = await send({ host: LOOPBACK, port: admin }, { target: '/ready' });
    expect(ready.status).toBe(503);
    expect(ready.text).toMatch(/^not ready: no config loaded yet/);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
  });
});
