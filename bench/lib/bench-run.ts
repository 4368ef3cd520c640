/**
 * The scaffolding every bench run shares: a temp dir of its own (with a pid file, so that a later run can remove
 * it when this one was killed outright), a timestamp for the result files, and teardown on success, on failure,
 * on Ctrl-C / SIGTERM (exit code 130) and, as a last resort, on exit.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PID_FILE = 'bench.pid';

export interface BenchRunOptions {
  /** Prefix of the temp dir under os.tmpdir(); each bench has its own. */
  tmpPrefix: string;
  log: (message: string) => void;
  /** Stops what the run started (children, databases); called once, before the temp dir is removed. */
  stop: () => Promise<void>;
  /** Kills what is left, synchronously: run on process exit, in case something threw past the cleanup. */
  killNow: () => void;
}

export interface BenchRun {
  /** The run's temp dir, removed by cleanup() and on exit. */
  tmp: string;
  /** Start time as used in result file names, e.g. 2026-11-25T03-08-17Z. */
  stamp: string;
  /** Date.now() at the start. */
  startedAt: number;
  /** Stops everything and removes the temp dir; idempotent (every call returns the same promise). */
  cleanup: () => Promise<void>;
}

/** Set on Ctrl-C / SIGTERM: the run is being torn down, failures after that are expected. */
let wasInterrupted = false;

/** Whether the run got SIGINT or SIGTERM (one run per process, so this is process-wide). */
export function interrupted(): boolean {
  return wasInterrupted;
}

/**
 * Temp dirs of earlier runs that were killed outright (SIGKILL leaves no chance to clean up): only our own
 * prefix, only with our pid file in it, and only when that process is gone.
 */
function removeStaleTempDirs(prefix: string, log: (message: string) => void): void {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(os.tmpdir(), name);
    let pid: number;
    try {
      pid = Number(readFileSync(path.join(dir, PID_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 0 || existsSync(`/proc/${pid}`)) continue;
    rmSync(dir, { recursive: true, force: true });
    log(`removed ${dir}, left behind by an earlier run that was killed`);
  }
}

/** Removes stale temp dirs, creates this run's and installs the signal and exit handlers. */
export function startBenchRun(options: BenchRunOptions): BenchRun {
  const { tmpPrefix, log, stop, killNow } = options;
  const startedAt = Date.now();
  const stamp = new Date(startedAt)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  removeStaleTempDirs(tmpPrefix, log);
  const tmp = mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  writeFileSync(path.join(tmp, PID_FILE), String(process.pid));

  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      await stop();
      rmSync(tmp, { recursive: true, force: true });
    })();
    return cleaning;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (wasInterrupted) return;
    wasInterrupted = true;
    log(`${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  };
  // `on`, not `once`: under npm the signal arrives twice (from the terminal and relayed by the tsx CLI), and a
  // second one with no listener left would exit before the cleanup has finished.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('exit', () => {
    // Last resort if something threw past the caller's cleanup.
    killNow();
    rmSync(tmp, { recursive: true, force: true });
  });
  return { tmp, stamp, startedAt, cleanup };
}
