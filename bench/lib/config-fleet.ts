/**
 * Simulated proxies for the config-stream bench: each one registers with its own proxy id, holds
 * `GET /v1/proxies/<id>/config/stream` open (framed by sse-bytes.ts, or parsed with the proxy's own SseParser),
 * and answers every config version it receives with `POST /v1/proxies/<id>/config/ack` {version, status:
 * 'ACK'}, as apps/proxy does.
 * One ConfigFleet is the proxies of one thread, on plain node:http sockets (one socket per stream; ACKs share
 * a bounded keep-alive pool, as a proxy's ACK would reuse its own connection). The bench runs a few of them in
 * worker threads (config-fleet-threads.ts), so that one saturated event loop does not become the measurement.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { ProxyConfig } from '@weft/schema';
import { SseParser } from '../../apps/proxy/src/control-plane/sse.ts';
import { monoMs } from './loop-probe.ts';
import { ByteSseReader, dataText, type ByteSseEvent } from './sse-bytes.ts';

/** How the simulated proxies read their streams: see sse-bytes.ts for why `bytes` is the default. */
export type SseParserKind = 'bytes' | 'proxy';

export interface SimProxySpec {
  index: number;
  proxyId: string;
  namespace: string;
  service: string;
  version: string;
  token: string;
}

interface SimProxy extends SimProxySpec {
  /** The version of the last config event received. */
  version_: string | undefined;
  firstSnapshotAtMs: number | undefined;
  events: number;
  req: http.ClientRequest | undefined;
}

/**
 * Called for every config event any proxy receives (after it is recorded, before the ACK is sent); `atMs` is
 * monoMs() when the chunk that completed the event was handed to JavaScript.
 */
export type SnapshotListener = (
  proxy: SimProxySpec,
  version: string,
  config: ProxyConfig,
  atMs: number,
) => void;

export interface FleetCounters {
  events: number;
  acksSent: number;
  acksOk: number;
  ackFailures: Map<string, number>;
  streamDrops: number;
  reconnects: number;
  connectFailures: Map<string, number>;
  heartbeats: number;
  /** Distinct config versions the load process parsed (each proxy's event is checked against its version). */
  parsedVersions: number;
}

/** Soft and hard limit on open files of this process (from /proc/self/limits). */
export function openFileLimits(): { soft: number; hard: number } {
  const text = readFileSync('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const num = (v: string | undefined): number =>
    v === undefined || v === 'unlimited' ? Infinity : Number(v);
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

export class EmfileError extends Error {}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}

export class ConfigFleet {
  readonly #host: string;
  readonly #port: number;
  readonly #proxies: SimProxy[];
  readonly #ackAgent: http.Agent;
  readonly #parser: SseParserKind;
  /** Each version's JSON parsed once, with its length in characters and in UTF-8 bytes. */
  readonly #parsed = new Map<string, { chars: number; bytes: number; config: ProxyConfig }>();
  #stopping = false;
  #fatal: Error | undefined;
  #listener: SnapshotListener | undefined;
  #firstWaiters: (() => void)[] = [];
  #withFirst = 0;
  #acksInFlight = 0;
  #ackIdle: (() => void)[] = [];
  readonly counters: FleetCounters = {
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

  constructor(
    apiUrl: string,
    specs: readonly SimProxySpec[],
    ackSockets: number,
    parser: SseParserKind = 'bytes',
  ) {
    this.#parser = parser;
    const url = new URL(apiUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#proxies = specs.map((s) => ({
      ...s,
      version_: undefined,
      firstSnapshotAtMs: undefined,
      events: 0,
      req: undefined,
    }));
    this.#ackAgent = new http.Agent({ keepAlive: true, maxSockets: ackSockets });
  }

  get size(): number {
    return this.#proxies.length;
  }

  /** Set when a socket could not be opened for lack of file descriptors (EMFILE/ENFILE). */
  get fatal(): Error | undefined {
    return this.#fatal;
  }

  /** The version each proxy holds now (undefined before its first snapshot). */
  versions(): (string | undefined)[] {
    return this.#proxies.map((p) => p.version_);
  }

  firstSnapshotTimes(): (number | undefined)[] {
    return this.#proxies.map((p) => p.firstSnapshotAtMs);
  }

  setListener(listener: SnapshotListener | undefined): void {
    this.#listener = listener;
  }

  /**
   * Opens every stream, at most `concurrency` waiting for their first snapshot at once; resolves when all
   * have one (or rejects on EMFILE, or after `timeoutMs`).
   */
  async connectAll(concurrency: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.#proxies.length && !this.#stopping) {
        const proxy = this.#proxies[next++] as SimProxy;
        this.#open(proxy);
        await this.#waitFirst(proxy, deadline);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.#proxies.length) }, worker));
    if (this.#fatal) throw this.#fatal;
  }

  async #waitFirst(proxy: SimProxy, deadline: number): Promise<void> {
    while (proxy.firstSnapshotAtMs === undefined) {
      if (this.#fatal) throw this.#fatal;
      if (this.#stopping) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `timed out: ${this.#withFirst}/${this.#proxies.length} proxies had their first snapshot`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#firstWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #wakeFirstWaiters(): void {
    const waiters = this.#firstWaiters;
    this.#firstWaiters = [];
    for (const w of waiters) w();
  }

  #open(proxy: SimProxy): void {
    if (this.#stopping) return;
    const parser = this.#parser === 'proxy' ? new SseParser() : new ByteSseReader();
    const req = http.request({
      host: this.#host,
      port: this.#port,
      method: 'GET',
      path: `/v1/proxies/${encodeURIComponent(proxy.proxyId)}/config/stream`,
      headers: { authorization: `Bearer ${proxy.token}`, accept: 'text/event-stream' },
      agent: false,
    });
    proxy.req = req;
    let dropped = false;
    const drop = (why: string): void => {
      if (dropped || this.#stopping) return;
      dropped = true;
      this.counters.streamDrops++;
      bump(this.counters.connectFailures, why);
      if (why === 'EMFILE' || why === 'ENFILE') {
        this.#fatal ??= new EmfileError(
          `${why}: out of file descriptors after ${this.#withFirst} streams (ulimit -n is ${openFileLimits().soft}); raise it, e.g. \`ulimit -n ${2 * this.#proxies.length + 1024}\`, and run again`,
        );
        this.#wakeFirstWaiters();
        return;
      }
      // As a proxy does: reconnect after a pause.
      setTimeout(() => {
        if (this.#stopping) return;
        this.counters.reconnects++;
        this.#open(proxy);
      }, 1000).unref();
    };
    req.on('error', (err) => drop(describe(err)));
    req.on('response', (res) => {
      if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.resume();
        drop(`HTTP ${res.statusCode}`);
        return;
      }
      res.on('data', (chunk: Buffer) => {
        const before = parser.comments;
        let events;
        try {
          events = parser.push(chunk);
        } catch (err) {
          req.destroy();
          drop(describe(err));
          return;
        }
        this.counters.heartbeats += parser.comments - before;
        const atMs = monoMs();
        for (const event of events) {
          if (event.event !== 'config') continue;
          this.#onConfig(proxy, 'dataBytes' in event ? event : event.data, event.id, atMs);
        }
      });
      res.on('error', (err) => drop(describe(err)));
      res.on('close', () => drop('stream ended'));
    });
    req.end();
  }

  #onConfig(proxy: SimProxy, data: string | ByteSseEvent, id: string | undefined, atMs: number): void {
    // Every event of one version carries the same JSON (the version is a hash of the content): the load
    // process parses each distinct version once and checks every event against it (same length), so 1,000
    // JSON.parse calls per change do not slow the simulated proxies down.
    let cached = id === undefined ? undefined : this.#parsed.get(id);
    const same =
      cached !== undefined &&
      (typeof data === 'string' ? cached.chars === data.length : cached.bytes === data.dataBytes);
    if (!cached || !same) {
      const text = typeof data === 'string' ? data : dataText(data);
      cached = {
        chars: text.length,
        bytes: Buffer.byteLength(text),
        config: JSON.parse(text) as ProxyConfig,
      };
      if (id !== undefined) this.#parsed.set(id, cached);
      this.counters.parsedVersions++;
    }
    const version = cached.config.version;
    this.counters.events++;
    proxy.events++;
    proxy.version_ = version;
    if (proxy.firstSnapshotAtMs === undefined) {
      proxy.firstSnapshotAtMs = atMs;
      this.#withFirst++;
      this.#wakeFirstWaiters();
    }
    this.#listener?.(proxy, version, cached.config, atMs);
    this.#ack(proxy, version);
  }

  #ack(proxy: SimProxy, version: string): void {
    const body = JSON.stringify({ version, status: 'ACK' });
    this.counters.acksSent++;
    this.#acksInFlight++;
    const done = (problem: string | undefined): void => {
      if (problem === undefined) this.counters.acksOk++;
      else bump(this.counters.ackFailures, problem);
      this.#acksInFlight--;
      if (this.#acksInFlight === 0) {
        const idle = this.#ackIdle;
        this.#ackIdle = [];
        for (const w of idle) w();
      }
    };
    const req = http.request(
      {
        host: this.#host,
        port: this.#port,
        method: 'POST',
        path: `/v1/proxies/${encodeURIComponent(proxy.proxyId)}/config/ack`,
        headers: {
          authorization: `Bearer ${proxy.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        agent: this.#ackAgent,
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode === 204 ? undefined : `HTTP ${res.statusCode}`));
        res.on('error', (err) => done(describe(err)));
      },
    );
    req.on('error', (err) => done(describe(err)));
    req.end(body);
  }

  /** Resolves when no ACK is in flight (or after timeoutMs). */
  acksSettled(timeoutMs: number): Promise<boolean> {
    if (this.#acksInFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#ackIdle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Closes every stream and the ACK pool. */
  close(): void {
    this.#stopping = true;
    for (const p of this.#proxies) p.req?.destroy();
    this.#ackAgent.destroy();
    this.#wakeFirstWaiters();
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
