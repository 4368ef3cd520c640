/**
 * CPU time and peak memory of a process tree, read from /proc (Linux only).
 *
 * CPU is utime+stime of every process in the tree (all threads of a process are summed by the kernel in
 * /proc/<pid>/stat), in clock ticks. Peak RSS is VmHWM ("high water mark") from /proc/<pid>/status,
 * summed over the tree: for nginx (master + worker) that counts shared pages twice, so it is an upper bound.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface TreeSample {
  /** utime + stime of every process in the tree, in clock ticks. */
  cpuTicks: number;
  /** The utime part of cpuTicks (the rest is stime: the kernel, mostly TCP on loopback). */
  userTicks: number;
  /** Sum of VmHWM over the tree, in KiB. */
  peakRssKib: number;
  /** Sum of VmRSS over the tree, in KiB. */
  rssKib: number;
  pids: number[];
}

let ticksPerSecond: number | undefined;

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every common Linux). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticksPerSecond = Number.isFinite(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface StatLine {
  ppid: number;
  ticks: number;
  userTicks: number;
  /** Of children this process has waited for (e.g. a finished wrk). */
  childTicks: number;
}

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime field 14, stime field 15.
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  if (!Number.isFinite(ppid) || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { ppid, ticks: utime + stime, userTicks: utime, childTicks: (cutime || 0) + (cstime || 0) };
}

function readStatusKib(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return match?.[1] ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The process and all its descendants that are alive now. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const tree: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export function sampleTree(rootPid: number): TreeSample {
  const pids = processTree(rootPid);
  let cpuTicks = 0;
  let userTicks = 0;
  let peakRssKib = 0;
  let rssKib = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    cpuTicks += stat?.ticks ?? 0;
    userTicks += stat?.userTicks ?? 0;
    peakRssKib += readStatusKib(pid, 'VmHWM');
    rssKib += readStatusKib(pid, 'VmRSS');
  }
  return { cpuTicks, userTicks, peakRssKib, rssKib, pids };
}

/** Share of the CPU time between two samples that was user time (0..1). */
export function userShare(before: TreeSample, after: TreeSample): number {
  const total = after.cpuTicks - before.cpuTicks;
  return total > 0 ? (after.userTicks - before.userTicks) / total : 0;
}

/** CPU microseconds spent between two samples of the same tree. */
export function cpuMicros(before: TreeSample, after: TreeSample): number {
  return ((after.cpuTicks - before.cpuTicks) * 1_000_000) / clockTicksPerSecond();
}

/**
 * CPU ticks used by this process and everything it ever started (live descendants plus the children it has
 * already reaped, like a finished load generator).
 */
export function ownTicks(rootPid: number = process.pid): number {
  let ticks = readStat(rootPid)?.childTicks ?? 0;
  for (const pid of processTree(rootPid)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks;
}

/** Busy CPU ticks of the whole machine, all cores (from the first line of /proc/stat). */
export function machineBusyTicks(): number {
  return machineTicks().busy;
}

/** Busy ticks of the whole machine and the part of them spent in soft interrupts (loopback TCP, mostly). */
export function machineTicks(): { busy: number; softirq: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return {
    busy: [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0),
    softirq: softirq ?? 0,
  };
}

/**
 * Follows the CPU that processes outside the bench use during a window: the machine's busy time minus the
 * bench's own tree. Large values mean the numbers were measured on a busy machine.
 */
export class BackgroundCpu {
  #machine = 0;
  #softirq = 0;
  #own = 0;
  #at = 0n;
  /**
   * After stop(): the part of it that was soft-interrupt time (percent of one core). The kernel charges that
   * to no process, so the bench's own loopback traffic lands here too, not only other processes' work.
   */
  softirqPercent = 0;

  start(): void {
    const t = machineTicks();
    this.#machine = t.busy;
    this.#softirq = t.softirq;
    this.#own = ownTicks();
    this.#at = process.hrtime.bigint();
  }

  /** Percent of one core used by other processes since start() (soft interrupts included). */
  stop(): number {
    const seconds = Number(process.hrtime.bigint() - this.#at) / 1e9;
    const t = machineTicks();
    const other = t.busy - this.#machine - (ownTicks() - this.#own);
    const percent = (ticks: number): number =>
      seconds > 0 ? Math.max(0, (100 * ticks) / clockTicksPerSecond() / seconds) : 0;
    this.softirqPercent = percent(t.softirq - this.#softirq);
    return percent(other);
  }
}
