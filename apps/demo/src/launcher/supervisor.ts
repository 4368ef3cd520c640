/**
 * Child processes of the launcher: each in its own process group (so a group signal also reaches whatever
 * it spawned, and the terminal's Ctrl-C reaches only the launcher), output to a log file, warnings/errors to
 * the terminal with a name prefix, the last lines kept for post-mortems.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import readline from 'node:readline';
import { sleep } from '../common/net.ts';
import { colorFor, isNoteworthy, LineBudget, Tail } from './output.ts';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** An exit is part of the plan (e.g. a build); it does not count as a crash. */
  expectExit?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export type Printer = (name: string, line: string) => void;

export function makePrinter(
  write: (s: string) => void = (s) => process.stdout.write(s),
  color = false,
  width = 16,
): Printer {
  return (name, line) => {
    const c = colorFor(name, color);
    write(`${c(name.padEnd(width))} │ ${line}\n`);
  };
}

export class Child {
  readonly proc: ChildProcess;
  readonly tail = new Tail(40);
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | null = null;
  stopping = false;
  private readonly log: WriteStream;
  private readonly budget = new LineBudget(20, 10_000);

  constructor(
    readonly spec: ChildSpec,
    private readonly print: Printer,
    onExit: (child: Child, info: ExitInfo) => void,
  ) {
    this.log = createWriteStream(spec.logFile, { flags: 'w' });
    this.log.on('error', () => undefined);
    this.log.write(`# ${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
    this.proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true, // own process group
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const streamsDone: Promise<void>[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = this.proc[stream];
      if (!s) continue;
      const rl = readline.createInterface({ input: s, crlfDelay: Infinity });
      rl.on('line', (line) => this.onLine(line, stream));
      streamsDone.push(new Promise((resolve) => rl.once('close', resolve)));
    }
    this.exited = new Promise((resolve) => {
      let settled = false;
      const finish = (info: ExitInfo): void => {
        if (settled) return;
        settled = true;
        // Give the pipes a moment to drain so the last lines are in the tail.
        void Promise.race([Promise.all(streamsDone), sleep(500)]).then(() => {
          this.exitInfo = info;
          this.log.write(
            `# exited: code=${info.code} signal=${info.signal}${info.error ? ` error=${info.error.message}` : ''}\n`,
          );
          this.log.end();
          onExit(this, info);
          resolve(info);
        });
      };
      this.proc.once('exit', (code, signal) => finish({ code, signal }));
      this.proc.once('error', (error) => finish({ code: null, signal: null, error }));
    });
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  private onLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.log.write(stream === 'stderr' ? `[stderr] ${line}\n` : `${line}\n`);
    this.tail.push(line);
    if (!isNoteworthy(line, stream)) return;
    const { show, droppedBefore } = this.budget.take(Date.now());
    if (droppedBefore > 0) this.print(this.name, `… ${droppedBefore} more lines in ${this.spec.logFile}`);
    if (show) this.print(this.name, line);
  }

  /** True while any process of the child's group is alive. */
  groupAlive(): boolean {
    if (this.proc.pid === undefined) return false;
    try {
      process.kill(-this.proc.pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  signalGroup(signal: NodeJS.Signals): void {
    if (this.proc.pid === undefined) return;
    try {
      process.kill(-this.proc.pid, signal);
    } catch {
      // group already gone
    }
  }

  /** SIGTERM the group, wait up to graceMs for it to disappear, then SIGKILL. Resolves when gone. */
  async stop(graceMs = 5000): Promise<'exited' | 'terminated' | 'killed'> {
    this.stopping = true;
    if (this.exitInfo && !this.groupAlive()) return 'exited';
    this.signalGroup('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (this.exitInfo && !this.groupAlive()) return 'terminated';
      await sleep(50);
    }
    this.signalGroup('SIGKILL');
    const killDeadline = Date.now() + 3000;
    while (Date.now() < killDeadline && (this.groupAlive() || !this.exitInfo)) await sleep(50);
    return 'killed';
  }
}

export class Supervisor {
  readonly children: Child[] = [];
  onUnexpectedExit: (child: Child, info: ExitInfo) => void = () => undefined;

  constructor(readonly print: Printer) {}

  start(spec: ChildSpec): Child {
    const child = new Child(spec, this.print, (c, info) => {
      if (!c.stopping && !c.spec.expectExit) this.onUnexpectedExit(c, info);
    });
    this.children.push(child);
    return child;
  }

  /** Last resort (second Ctrl-C, launcher crash): SIGKILL every group now. */
  killAllNow(): void {
    for (const c of this.children) {
      c.stopping = true;
      c.signalGroup('SIGKILL');
    }
  }
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `could not be started: ${info.error.message}`;
  if (info.signal) return `was killed by ${info.signal}`;
  return `exited with code ${info.code}`;
}
