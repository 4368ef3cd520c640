/**
 * The simulated proxies of the config-stream bench spread over worker threads (config-fleet-worker.ts), each
 * with its own event loop: 1,000 streams that each receive an ~87 KB snapshot per change are enough work to
 * saturate one loop on a 2-core machine, and then the bench measures its own client. The worker stamps every
 * event with monoMs() (CLOCK_MONOTONIC, the same clock in every thread), so the main thread's view of when a
 * proxy got a version does not depend on how soon it read the worker's message.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ProxyConfig } from '@weft/schema';
import type { FleetCounters, SimProxySpec, SnapshotListener, SseParserKind } from './config-fleet.ts';
import type { FleetWorkerData, FromWorker, PlainCounters, ToWorker } from './config-fleet-worker.ts';
import type { LoopStats } from './loop-probe.ts';

/** tsx's loader hooks do not reach worker threads on Node 20: each worker registers them before importing. */
function tsWorker(file: URL, workerData: FleetWorkerData): Worker {
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

interface Thread {
  worker: Worker;
  counters: PlainCounters | undefined;
  /** Called when the thread says it has closed (and written its profile). */
  closed: (() => void) | undefined;
}

export class ThreadedFleet {
  readonly #specs: readonly SimProxySpec[];
  readonly #threads: Thread[];
  readonly #versions: (string | undefined)[];
  readonly #first: (number | undefined)[];
  readonly #configs = new Map<string, ProxyConfig>();
  readonly #waiters = new Map<number, (value: unknown) => void>();
  #nextId = 1;
  #connected = 0;
  #onConnected: (() => void) | undefined;
  #fatal: Error | undefined;
  #onFatal: ((err: Error) => void)[] = [];
  #listener: SnapshotListener | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Proxy i goes to thread i mod `threads`, so every thread has its share of every service. With
   * `profileDir`, thread t writes its CPU profile to `<profileDir>/load-thread-<t>.cpuprofile` on close().
   */
  constructor(
    apiUrl: string,
    specs: readonly SimProxySpec[],
    ackSockets: number,
    threads: number,
    parser: SseParserKind,
    profileDir?: string,
  ) {
    this.#specs = specs;
    this.#versions = new Array<string | undefined>(specs.length).fill(undefined);
    this.#first = new Array<number | undefined>(specs.length).fill(undefined);
    const file = new URL('./config-fleet-worker.ts', import.meta.url);
    this.#threads = Array.from({ length: threads }, (_, t) => {
      const share = specs.filter((_, i) => i % threads === t);
      const worker = tsWorker(file, {
        apiUrl,
        specs: share,
        ackSockets: Math.max(1, Math.round(ackSockets / threads)),
        parser,
        ...(profileDir === undefined
          ? {}
          : { profileFile: path.join(profileDir, `load-thread-${t}.cpuprofile`) }),
      });
      const thread: Thread = { worker, counters: undefined, closed: undefined };
      worker.on('message', (m: FromWorker) => this.#receive(thread, m));
      worker.on('error', (err) => this.#fail(err));
      return thread;
    });
  }

  get size(): number {
    return this.#specs.length;
  }

  get threads(): number {
    return this.#threads.length;
  }

  /** Set when a thread failed (out of file descriptors, a timeout while connecting, a crash). */
  get fatal(): Error | undefined {
    return this.#fatal;
  }

  /** The version each proxy holds now (undefined before its first snapshot). */
  versions(): (string | undefined)[] {
    return [...this.#versions];
  }

  /** monoMs() of each proxy's first snapshot. */
  firstSnapshotTimes(): (number | undefined)[] {
    return [...this.#first];
  }

  setListener(listener: SnapshotListener | undefined): void {
    this.#listener = listener;
  }

  /** The counters of all threads, as of their last batch. */
  get counters(): FleetCounters {
    const sum: FleetCounters = {
      events: 0,
      acksSent: 0,
      acksOk: 0,
      ackFailures: new Map(),
      streamDrops: 0,
      reconnects: 0,
      connectFailures: new Map(),
      heartbeats: 0,
      parsedVersions: 0,
    };
    for (const { counters: c } of this.#threads) {
      if (!c) continue;
      sum.events += c.events;
      sum.acksSent += c.acksSent;
      sum.acksOk += c.acksOk;
      sum.streamDrops += c.streamDrops;
      sum.reconnects += c.reconnects;
      sum.heartbeats += c.heartbeats;
      sum.parsedVersions += c.parsedVersions;
      for (const [k, v] of c.ackFailures) sum.ackFailures.set(k, (sum.ackFailures.get(k) ?? 0) + v);
      for (const [k, v] of c.connectFailures)
        sum.connectFailures.set(k, (sum.connectFailures.get(k) ?? 0) + v);
    }
    return sum;
  }

  /** Opens every stream (`concurrency` waiting for a first snapshot at once, over all threads). */
  async connectAll(concurrency: number, timeoutMs: number): Promise<void> {
    const each = Math.max(1, Math.ceil(concurrency / this.#threads.length));
    await this.#orFatal(
      new Promise<void>((resolve) => {
        this.#onConnected = resolve;
        this.#post({ type: 'connect', concurrency: each, timeoutMs });
      }),
    );
  }

  /** Resolves true when no thread has an ACK in flight, false after `timeoutMs`. */
  async acksSettled(timeoutMs: number): Promise<boolean> {
    const answers = await this.#ask<boolean>((id) => ({ type: 'settle', id, timeoutMs }));
    return answers.every(Boolean);
  }

  /** Each thread's event-loop figures since its last reset; `reset` starts a new window. */
  loopStats(reset: boolean): Promise<LoopStats[]> {
    return this.#ask<LoopStats>((id) => ({ type: 'stats', id, reset }));
  }

  /** Closes every stream and ends the threads (after they wrote their profiles, or 10 s). */
  async close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      await Promise.all(
        this.#threads.map(async (t) => {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            t.closed = resolve;
            timer = setTimeout(resolve, 10_000);
            t.worker.once('exit', () => resolve());
            t.worker.postMessage({ type: 'close' } satisfies ToWorker);
          });
          clearTimeout(timer);
          await t.worker.terminate();
        }),
      );
    })();
    return this.#closing;
  }

  #post(message: ToWorker): void {
    for (const t of this.#threads) t.worker.postMessage(message);
  }

  /** One question to every thread, answered in thread order. */
  #ask<T>(message: (id: number) => ToWorker): Promise<T[]> {
    return this.#orFatal(
      Promise.all(
        this.#threads.map(
          (t) =>
            new Promise<T>((resolve) => {
              const id = this.#nextId++;
              this.#waiters.set(id, resolve as (value: unknown) => void);
              t.worker.postMessage(message(id));
            }),
        ),
      ),
    );
  }

  #orFatal<T>(work: Promise<T>): Promise<T> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    return Promise.race([
      work,
      new Promise<never>((_, reject) => {
        this.#onFatal.push(reject);
      }),
    ]);
  }

  #fail(err: Error): void {
    this.#fatal ??= err;
    for (const reject of this.#onFatal.splice(0)) reject(this.#fatal);
  }

  #receive(thread: Thread, m: FromWorker): void {
    switch (m.type) {
      case 'batch': {
        thread.counters = m.counters;
        for (const { version, config } of m.configs) this.#configs.set(version, config);
        const { events } = m;
        for (let i = 0; i < events.length; i += 3) {
          const index = events[i] as number;
          const version = events[i + 1] as string;
          const atMs = events[i + 2] as number;
          this.#versions[index] = version;
          this.#first[index] ??= atMs;
          const config = this.#configs.get(version);
          const spec = this.#specs[index];
          if (config && spec) this.#listener?.(spec, version, config, atMs);
        }
        break;
      }
      case 'connected':
        if (++this.#connected === this.#threads.length) this.#onConnected?.();
        break;
      case 'settled':
        this.#waiters.get(m.id)?.(m.ok);
        this.#waiters.delete(m.id);
        break;
      case 'stats':
        this.#waiters.get(m.id)?.(m.stats);
        this.#waiters.delete(m.id);
        break;
      case 'fatal':
        this.#fail(new Error(m.message));
        break;
      case 'closed':
        thread.closed?.();
        break;
    }
  }
}
