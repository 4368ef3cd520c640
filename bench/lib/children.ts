/**
 * Child processes of the bench: every one is started through a Supervisor, which stops them all (SIGTERM,
 * then SIGKILL after a grace period) on success, on failure and on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const OUTPUT_TAIL_CHARS = 16_000;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last characters the child wrote on stdout and stderr. */
  output(): string;
  exited(): boolean;
  /** Resolves with the exit code (or the signal name) when the child has exited. */
  readonly done: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class Supervisor {
  readonly #children = new Set<Child>();

  start(name: string, command: string, args: readonly string[], options: StartOptions = {}): Child {
    const proc = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (proc.pid === undefined) throw new Error(`could not start ${name} (${command}): no pid`);
    let tail = '';
    const append = (chunk: Buffer): void => {
      tail += chunk.toString();
      if (tail.length > OUTPUT_TAIL_CHARS * 2) tail = tail.slice(-OUTPUT_TAIL_CHARS);
    };
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    let hasExited = false;
    const done = new Promise<number | string>((resolve) => {
      proc.once('exit', (code, signal) => {
        hasExited = true;
        resolve(code ?? signal ?? 'unknown');
      });
      proc.once('error', (err) => {
        hasExited = true;
        append(Buffer.from(`\n[bench] ${name} failed to start: ${err.message}\n`));
        resolve('spawn-error');
      });
    });
    const pid = proc.pid;
    const child: Child = {
      name,
      pid,
      process: proc,
      output: () => tail.slice(-OUTPUT_TAIL_CHARS),
      exited: () => hasExited,
      done,
      stop: async (graceMs = 5000) => {
        if (!hasExited) {
          proc.kill('SIGTERM');
          const timer = setTimeout(() => {
            if (!hasExited) proc.kill('SIGKILL');
          }, graceMs);
          await done;
          clearTimeout(timer);
        }
        this.#children.delete(child);
      },
    };
    this.#children.add(child);
    void done.then(() => this.#children.delete(child));
    return child;
  }

  /** Stops every child still running, most recently started first. */
  async stopAll(): Promise<void> {
    const running = [...this.#children].reverse();
    for (const child of running) await child.stop();
  }

  /** Last resort from a synchronous 'exit' handler: SIGKILL whatever is left. */
  killAllNow(): void {
    for (const child of this.#children) {
      if (!child.exited()) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    this.#children.clear();
  }
}

export { freePort } from '../../apps/api/test/support/ports.ts';

/** Distinct free ports (asked all at once, so the OS does not hand out the same one twice). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * Polls `url` until it answers `status`, failing early (with the child's output) when the child exits.
 */
export async function waitForHttp(
  url: string,
  child: Child | undefined,
  timeoutMs: number,
  status = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child?.exited()) {
      throw new Error(`${child.name} exited before ${url} answered ${status}:\n${child.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const output = child ? `\n--- ${child.name} output ---\n${child.output()}` : '';
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${url} to answer ${status} (last: ${last})${output}`,
  );
}
