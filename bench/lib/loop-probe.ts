/**
 * How busy one thread's event loop was over a window, so a bench can tell a slow server from a saturated load
 * generator: the event-loop delay (how late a 10 ms timer fired: one loop iteration that handles 1,000 sockets'
 * worth of data shows up here), the event-loop utilisation (share of wall time not idle in epoll), and the
 * thread's own CPU time from /proc/thread-self/stat (Linux).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { clockTicksPerSecond } from './proc.ts';

export interface LoopStats {
  /** Wall time of the window. */
  wallMs: number;
  /** Event-loop delay percentiles over the window (ms; the 10 ms timer resolution is subtracted). */
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  /** Share of the window the loop was not waiting for I/O (0..1). */
  utilization: number;
  /** CPU time of this thread (user + system) over the window. */
  cpuMs: number;
}

/** CLOCK_MONOTONIC in milliseconds: the same clock in every thread and process on the machine. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function threadCpuMs(): number {
  try {
    const text = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond();
  } catch {
    return Number.NaN;
  }
}

export class LoopProbe {
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });
  #elu: EventLoopUtilization = performance.eventLoopUtilization();
  #cpuMs = threadCpuMs();
  #fromMs = monoMs();

  constructor() {
    this.#delay.enable();
  }

  /** Starts a new window. */
  reset(): void {
    this.#delay.reset();
    this.#elu = performance.eventLoopUtilization();
    this.#cpuMs = threadCpuMs();
    this.#fromMs = monoMs();
  }

  /** The window since the last reset (or since construction). */
  read(): LoopStats {
    const ms = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - 10) : 0);
    const d = this.#delay;
    const samples = d.count > 0;
    return {
      wallMs: monoMs() - this.#fromMs,
      delayP50Ms: samples ? ms(d.percentile(50)) : 0,
      delayP99Ms: samples ? ms(d.percentile(99)) : 0,
      delayMaxMs: samples ? ms(d.max) : 0,
      utilization: performance.eventLoopUtilization(this.#elu).utilization,
      cpuMs: threadCpuMs() - this.#cpuMs,
    };
  }

  stop(): void {
    this.#delay.disable();
  }
}
