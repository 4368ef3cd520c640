/**
 * What the API has learned from traces about services outside the mesh that send their own telemetry: a Weft
 * proxy's egress call to `(external)/host:port` whose server span comes from `shop/recommendations` means that
 * host is that service. The graph then draws the proxy's (full-rate) egress edge into the service instead of an
 * anonymous external node. And which services report their own `http.server.request.duration` histograms, so
 * that their spans are not counted a second time as span-metrics. Kept in memory per database; traces keep
 * re-teaching both after a restart.
 */
import type { Db } from '../db/client.ts';

export interface ServiceRef {
  namespace: string;
  service: string;
}

/** How long a lesson holds without being seen again. */
const FORGET_AFTER_MS = 15 * 60_000;
/** Most aliases / reporters remembered per database. */
const MAX_ENTRIES = 10_000;

interface Learned<T> {
  value: T;
  seenMs: number;
}

class Memory<T> {
  private readonly entries = new Map<string, Learned<T>>();

  set(key: string, value: T, nowMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, seenMs: nowMs });
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }

  get(key: string, nowMs: number): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (nowMs - entry.seenMs > FORGET_AFTER_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  keysFor(predicate: (value: T) => boolean, nowMs: number): string[] {
    return [...this.entries.entries()]
      .filter(([, e]) => nowMs - e.seenMs <= FORGET_AFTER_MS && predicate(e.value))
      .map(([k]) => k);
  }
}

const aliases = new WeakMap<Db, Memory<ServiceRef>>();
const histogramReporters = new WeakMap<Db, Memory<true>>();

function memoryOf<T>(map: WeakMap<Db, Memory<T>>, db: Db): Memory<T> {
  let memory = map.get(db);
  if (!memory) {
    memory = new Memory<T>();
    map.set(db, memory);
  }
  return memory;
}

/** `host` (an external destination's name on the graph) is `service`. */
export function learnExternalAlias(db: Db, host: string, service: ServiceRef, nowMs = Date.now()): void {
  memoryOf(aliases, db).set(host, service, nowMs);
}

export function externalAlias(db: Db, host: string, nowMs = Date.now()): ServiceRef | undefined {
  return memoryOf(aliases, db).get(host, nowMs);
}

/** The external hosts known to be `service`. */
export function aliasesOf(db: Db, service: ServiceRef, nowMs = Date.now()): string[] {
  return memoryOf(aliases, db).keysFor(
    (s) => s.namespace === service.namespace && s.service === service.service,
    nowMs,
  );
}

const workload = (s: ServiceRef) => `${s.namespace}/${s.service}`;

/** `service` sends its own request-duration histograms: its golden signals come from them. */
export function learnHistogramReporter(db: Db, service: ServiceRef, nowMs = Date.now()): void {
  memoryOf(histogramReporters, db).set(workload(service), true, nowMs);
}

export function reportsHistograms(db: Db, service: ServiceRef, nowMs = Date.now()): boolean {
  return memoryOf(histogramReporters, db).get(workload(service), nowMs) === true;
}
