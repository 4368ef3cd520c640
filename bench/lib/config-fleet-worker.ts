/**
 * One load thread of the config-stream bench: a ConfigFleet over its share of the simulated proxies, driven by
 * messages from config-fleet-threads.ts. Config events go back in one batch per event-loop turn (each distinct
 * version's parsed config once), with the thread's counters.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';
import type { ProxyConfig } from '@weft/schema';
import { ConfigFleet, type FleetCounters, type SimProxySpec, type SseParserKind } from './config-fleet.ts';
import { LoopProbe, type LoopStats } from './loop-probe.ts';

export interface FleetWorkerData {
  apiUrl: string;
  specs: SimProxySpec[];
  ackSockets: number;
  parser: SseParserKind;
  /** Where to write this thread's V8 CPU profile when it closes (--cpu-prof). */
  profileFile?: string;
}

export type ToWorker =
  | { type: 'connect'; concurrency: number; timeoutMs: number }
  | { type: 'settle'; id: number; timeoutMs: number }
  | { type: 'stats'; id: number; reset: boolean }
  | { type: 'close' };

/** FleetCounters with its maps as entries (they cross the thread boundary). */
export type PlainCounters = Omit<FleetCounters, 'ackFailures' | 'connectFailures'> & {
  ackFailures: [string, number][];
  connectFailures: [string, number][];
};

export type FromWorker =
  | {
      type: 'batch';
      /** Flattened (global proxy index, version, atMs) triples. */
      events: (number | string)[];
      /** The parsed config of each version this thread had not reported before. */
      configs: { version: string; config: ProxyConfig }[];
      counters: PlainCounters;
    }
  | { type: 'connected' }
  | { type: 'settled'; id: number; ok: boolean }
  | { type: 'stats'; id: number; stats: LoopStats }
  | { type: 'fatal'; message: string }
  | { type: 'closed' };

const port = parentPort;
if (!port) throw new Error('config-fleet-worker.ts runs in a worker thread');
const data = workerData as FleetWorkerData;
const fleet = new ConfigFleet(data.apiUrl, data.specs, data.ackSockets, data.parser);
const probe = new LoopProbe();
const reported = new Set<string>();
let events: (number | string)[] = [];
let configs: { version: string; config: ProxyConfig }[] = [];
let flushing = false;
let fatalSent = false;
const profiler = data.profileFile === undefined ? undefined : startProfiler();

function startProfiler(): Session {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  return session;
}

/** Stops the profiler and writes the profile (the same format as `node --cpu-prof`). */
function writeProfile(done: () => void): void {
  if (!profiler || data.profileFile === undefined) {
    done();
    return;
  }
  const file = data.profileFile;
  profiler.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(file, JSON.stringify(result.profile));
    profiler.disconnect();
    done();
  });
}

function post(message: FromWorker): void {
  port?.postMessage(message);
}

function plain(c: FleetCounters): PlainCounters {
  return { ...c, ackFailures: [...c.ackFailures], connectFailures: [...c.connectFailures] };
}

/** Sends what arrived since the last batch, and the fatal error once. */
function flush(): void {
  flushing = false;
  if (events.length > 0 || configs.length > 0) {
    post({ type: 'batch', events, configs, counters: plain(fleet.counters) });
    events = [];
    configs = [];
  }
  if (fleet.fatal && !fatalSent) {
    fatalSent = true;
    post({ type: 'fatal', message: fleet.fatal.message });
  }
}

fleet.setListener((proxy, version, config, atMs) => {
  if (!reported.has(version)) {
    reported.add(version);
    configs.push({ version, config });
  }
  events.push(proxy.index, version, atMs);
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
});

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'connect':
      fleet.connectAll(message.concurrency, message.timeoutMs).then(
        () => {
          flush();
          post({ type: 'connected' });
        },
        (err: unknown) => {
          flush();
          post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
        },
      );
      break;
    case 'settle':
      void fleet.acksSettled(message.timeoutMs).then((ok) => {
        flush();
        // The counters of the last ACKs, even when no event came after them.
        post({ type: 'batch', events: [], configs: [], counters: plain(fleet.counters) });
        post({ type: 'settled', id: message.id, ok });
      });
      break;
    case 'stats':
      post({ type: 'stats', id: message.id, stats: probe.read() });
      if (message.reset) probe.reset();
      break;
    case 'close':
      fleet.close();
      probe.stop();
      writeProfile(() => {
        post({ type: 'closed' });
        port.close();
      });
      break;
  }
});
