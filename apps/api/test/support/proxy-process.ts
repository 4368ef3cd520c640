/** Runs the real proxy (apps/proxy) as a child process, the way a sidecar runs. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, waitFor } from './ports.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

export interface ProxyProcess {
  service: string;
  inbound: string;
  outbound: string;
  admin: string;
  output: () => string;
  stop(): Promise<void>;
}

export async function startProxy(opts: {
  service: string;
  namespace: string;
  version?: string;
  app: string;
  controlPlane: string;
  /** Workload token for WEFT_PROXY_TOKEN. */
  token?: string;
  flushIntervalMs?: number;
  /** More environment for the proxy (WEFT_ZONE, …). */
  env?: Record<string, string>;
}): Promise<ProxyProcess> {
  const [inboundPort, outboundPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const inbound = `127.0.0.1:${inboundPort}`;
  const outbound = `127.0.0.1:${outboundPort}`;
  const admin = `127.0.0.1:${adminPort}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(repoRoot, 'apps/proxy/src/main.ts'),
      '--service',
      opts.service,
      '--namespace',
      opts.namespace,
      '--version',
      opts.version ?? 'v1',
      '--app',
      opts.app,
      '--inbound',
      inbound,
      '--outbound',
      outbound,
      '--admin',
      admin,
      '--control-plane',
      opts.controlPlane,
      '--flush-interval-ms',
      String(opts.flushIntervalMs ?? 300),
      '--config-poll-ms',
      '200',
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        // Tests check the spans of every request; the proxies' default samples 1 % of new traces.
        WEFT_TRACE_SAMPLING_PERCENT: '100',
        ...(opts.token ? { WEFT_PROXY_TOKEN: opts.token } : {}),
        ...opts.env,
      },
    },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  try {
    await waitFor(`proxy ${opts.service} to be ready`, async () => {
      if (exited) throw new Error(`proxy exited:\n${log}`);
      const res = await fetch(`http://${admin}/ready`);
      return res.status === 200;
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- proxy output ---\n${log}`);
  }
  return {
    service: opts.service,
    inbound,
    outbound,
    admin,
    output: () => log,
    async stop() {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}
