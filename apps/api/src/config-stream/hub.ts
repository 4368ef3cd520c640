/**
 * One long-lived config stream per proxy (Server-Sent Events), the proxies' ACK/NACK answers, and the
 * `Programmed` condition of each policy derived from them.
 *
 * `GET /v1/proxies/<id>/config/stream` answers `text/event-stream`: first the full config as an event
 * `config` (`id:` its version, `data:` the JSON), then the full config again on every change (membership,
 * expiry, policies), and a comment line every HEARTBEAT_MS so proxies and intermediaries see a live
 * connection. Snapshots, not deltas: a proxy that reconnects, or that was slow to read, only ever needs the
 * latest one, so a slow reader is sent the newest snapshot when its socket drains and the ones in between
 * are skipped. One stream per proxy id: a new connection replaces the old one. Streams end after
 * MAX_STREAM_AGE_MS (± 10 %), so a revoked token stops being served and load spreads after an API restart.
 *
 * Per-proxy state (version sent, ACKed, last NACK) lives in memory; after an API restart it is rebuilt
 * from the proxies' next answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { configAckSchema, type Condition } from '@weft/schema';
import { HttpError } from '../http/body.ts';
import { parseOrThrow } from '../ingest/validation.ts';
import {
  PolicyNotFoundError,
  type PolicyPlatform,
  type PolicyRef,
  type StoredPolicy,
} from '../policies/platform.ts';
import { generationOf, refOf, type CompiledConfig } from './compile.ts';
import { nextProgrammedCondition, programmedStatus, type ProxyConfigState } from './programmed.ts';
import { VersionHistory } from './version-history.ts';

/** What the hub needs of the registry. */
export interface ConfigSource {
  currentCompiled(): Promise<CompiledConfig>;
  onChange(listener: () => void): () => void;
  usePolicies(platform: PolicyPlatform): () => void;
  /**
   * Live proxies whose application is not ready: registered, so they get their config and are listed,
   * but handed out to nobody as an endpoint (universal mode).
   */
  notReady?(): Promise<InstanceIdentity[]>;
}

export interface InstanceIdentity {
  proxyId: string;
  namespace: string;
  service: string;
  version: string;
}

export interface ConfigStreamOptions {
  source: ConfigSource;
  log?: (line: string) => void;
  now?: () => number;
  heartbeatMs?: number;
  maxStreamAgeMs?: number;
  /** Streams open at once over all proxies. */
  maxStreams?: number;
  /** How often open streams look for instances that expired (no event announces that). */
  expiryCheckMs?: number;
  /** Quiet time before Programmed conditions are recomputed after ACKs or config changes. */
  programmedDebounceMs?: number;
}

/** One row of `proxies.list`. */
export interface ProxyConfigRow extends ProxyConfigState {
  namespace: string;
  service: string;
  version: string;
  /** False while the proxy reports its application not ready (it is then no endpoint of its service). */
  ready: boolean;
}

export const HEARTBEAT_MS = 15_000;
/** The Programmed pass waits at most this many debounce periods after the first change it covers. */
const PROGRAMMED_MAX_WAIT_FACTOR = 8;
export const MAX_STREAM_AGE_MS = 10 * 60_000;
const MAX_STREAMS = 10_000;
/** Forgotten after this long without a stream or being live. */
const STATE_RETENTION_MS = 10 * 60_000;

interface Stream {
  proxyId: string;
  res: ServerResponse;
  /** Waiting for 'drain'; `latest` is written then. */
  blocked: boolean;
  latest: CompiledConfig | undefined;
  sentVersion: string | undefined;
  endTimer: NodeJS.Timeout;
}

export class ConfigStreamHub {
  readonly #source: ConfigSource;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #o: Required<
    Pick<
      ConfigStreamOptions,
      'heartbeatMs' | 'maxStreamAgeMs' | 'maxStreams' | 'expiryCheckMs' | 'programmedDebounceMs'
    >
  >;
  readonly #streams = new Map<string, Stream>();
  readonly #states = new Map<string, ProxyConfigState & { touchedAtMs: number }>();
  readonly #history = new VersionHistory();
  readonly #unsubscribe: (() => void)[] = [];
  #platform: PolicyPlatform | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #expiryCheck: NodeJS.Timeout | undefined;
  #programmedTimer: NodeJS.Timeout | undefined;
  /** When the oldest change still waiting for a Programmed pass arrived (undefined: none waiting). */
  #programmedPendingSince: number | undefined;
  #lastVersion: string | undefined;
  #lastLive = '';
  #refreshing: Promise<void> | undefined;
  #refreshAgain = false;
  #reconciling: Promise<void> | undefined;
  #reconcileAgain = false;
  #failing: string | undefined;
  #closed = false;

  constructor(options: ConfigStreamOptions) {
    this.#source = options.source;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#now = options.now ?? Date.now;
    this.#o = {
      heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
      maxStreamAgeMs: options.maxStreamAgeMs ?? MAX_STREAM_AGE_MS,
      maxStreams: options.maxStreams ?? MAX_STREAMS,
      expiryCheckMs: options.expiryCheckMs ?? 1000,
      programmedDebounceMs: options.programmedDebounceMs ?? 250,
    };
    this.#unsubscribe.push(
      this.#source.onChange(() => {
        this.#refreshSoon();
        // A policy change need not change the config (a policy that is not compiled), but its status may.
        this.#scheduleProgrammed();
      }),
    );
  }

  /** Compiles the platform's policies into the config and keeps their Programmed conditions. */
  usePolicies(platform: PolicyPlatform): void {
    this.#platform = platform;
    this.#unsubscribe.push(this.#source.usePolicies(platform));
    this.#scheduleProgrammed();
  }

  /** Serves `GET /v1/proxies/<id>/config/stream` for a proxy whose token was checked. */
  async serve(proxyId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#closed) throw new HttpError(503, 'the API is shutting down; reconnect with backoff');
    if (!this.#streams.has(proxyId) && this.#streams.size >= this.#o.maxStreams) {
      throw new HttpError(
        503,
        `${this.#o.maxStreams} config streams are open; reconnect with backoff or use long polling`,
      );
    }
    // Before the headers: a failure here is still an ordinary error answer.
    const compiled = await this.#source.currentCompiled();
    if (res.destroyed) return;
    // Looked up after the await: of two connections racing for one proxy id, the later one stays.
    const replaced = this.#streams.get(proxyId);
    if (replaced) this.#end(replaced);

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    const ageMs = this.#o.maxStreamAgeMs * (0.9 + Math.random() * 0.2);
    const stream: Stream = {
      proxyId,
      res,
      blocked: false,
      latest: undefined,
      sentVersion: undefined,
      endTimer: setTimeout(() => this.#end(stream), ageMs).unref(),
    };
    this.#streams.set(proxyId, stream);
    res.on('drain', () => {
      stream.blocked = false;
      const latest = stream.latest;
      stream.latest = undefined;
      if (latest) this.#send(stream, latest);
    });
    res.once('close', () => {
      clearTimeout(stream.endTimer);
      if (this.#streams.get(proxyId) === stream) this.#streams.delete(proxyId);
      if (this.#streams.size === 0) this.#stopTimers();
    });
    this.#startTimers();
    this.#history.record(compiled);
    this.#send(stream, compiled);
    // The snapshot may predate a change that happened while it was compiled.
    this.#refreshSoon();
  }

  /** Records that the long-poll route sent `version` to a proxy. */
  sent(proxyId: string, version: string): void {
    this.#state(proxyId).configVersion = version;
  }

  /** Handles `POST /v1/proxies/<id>/config/ack` with its parsed JSON body. */
  ack(proxyId: string, body: unknown): void {
    const ack = parseOrThrow(configAckSchema, body, 'config ACK');
    const state = this.#state(proxyId);
    if (ack.status === 'ACK') {
      state.ackedVersion = ack.version;
      state.ackedAtMs = this.#now();
      state.nack = null;
    } else {
      state.nack = { version: ack.version, reason: ack.reason?.trim() || '(the proxy gave no reason)' };
    }
    this.#scheduleProgrammed();
  }

  /** The live proxies (as in the config) with what they were sent and answered. */
  async list(): Promise<ProxyConfigRow[]> {
    const { config } = await this.#source.currentCompiled();
    const row = (i: InstanceIdentity, ready: boolean): ProxyConfigRow => {
      const state = this.#states.get(i.proxyId);
      return {
        ...i,
        ready,
        configVersion: state?.configVersion ?? null,
        ackedVersion: state?.ackedVersion ?? null,
        ackedAtMs: state?.ackedAtMs ?? null,
        nack: state?.nack ?? null,
      };
    };
    const endpoints = config.services.flatMap((s) =>
      s.endpoints.map((e) =>
        row({ proxyId: e.proxyId, namespace: s.namespace, service: s.name, version: e.version }, true),
      ),
    );
    const notReady = (await this.#source.notReady?.()) ?? [];
    return [...endpoints, ...notReady.map((i) => row(i, false))];
  }

  /** Ends every stream and stops timers (the HTTP server closes the sockets). */
  close(): void {
    this.#closed = true;
    for (const stream of [...this.#streams.values()]) this.#end(stream);
    this.#stopTimers();
    clearTimeout(this.#programmedTimer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }

  #state(proxyId: string): ProxyConfigState & { touchedAtMs: number } {
    let state = this.#states.get(proxyId);
    if (!state) {
      state = {
        proxyId,
        configVersion: null,
        ackedVersion: null,
        ackedAtMs: null,
        nack: null,
        touchedAtMs: this.#now(),
      };
      this.#states.set(proxyId, state);
    }
    state.touchedAtMs = this.#now();
    return state;
  }

  #send(stream: Stream, compiled: CompiledConfig): void {
    const { res } = stream;
    if (res.destroyed || res.writableEnded) return;
    if (stream.blocked) {
      stream.latest = compiled;
      return;
    }
    if (stream.sentVersion === compiled.config.version) return;
    const { config } = compiled;
    stream.sentVersion = config.version;
    this.#state(stream.proxyId).configVersion = config.version;
    stream.blocked = !res.write(encodedEvent(compiled));
  }

  #end(stream: Stream): void {
    clearTimeout(stream.endTimer);
    if (this.#streams.get(stream.proxyId) === stream) this.#streams.delete(stream.proxyId);
    if (!stream.res.writableEnded) stream.res.end();
  }

  #startTimers(): void {
    this.#heartbeat ??= setInterval(() => {
      for (const stream of this.#streams.values()) {
        if (!stream.blocked && !stream.res.writableEnded) stream.res.write(': keep-alive\n\n');
      }
    }, this.#o.heartbeatMs).unref();
    this.#expiryCheck ??= setInterval(() => this.#refreshSoon(), this.#o.expiryCheckMs).unref();
  }

  #stopTimers(): void {
    clearInterval(this.#heartbeat);
    clearInterval(this.#expiryCheck);
    this.#heartbeat = undefined;
    this.#expiryCheck = undefined;
  }

  /** Sends the current config to every stream that lacks it; one refresh at a time, the last one rerun. */
  #refreshSoon(): void {
    if (this.#closed) return;
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = this.#refresh()
      .catch((err: unknown) => this.#problem('config refresh', err))
      .finally(() => {
        this.#refreshing = undefined;
        if (this.#refreshAgain) {
          this.#refreshAgain = false;
          this.#refreshSoon();
        }
      });
  }

  async #refresh(): Promise<void> {
    const compiled = await this.#source.currentCompiled();
    this.#recovered('config refresh');
    this.#history.record(compiled);
    for (const stream of this.#streams.values()) this.#send(stream, compiled);
    const live = liveProxyIds(compiled).join('\n');
    if (compiled.config.version !== this.#lastVersion || live !== this.#lastLive) {
      this.#lastVersion = compiled.config.version;
      this.#lastLive = live;
      this.#forgetGone(compiled);
      this.#scheduleProgrammed();
    }
  }

  /** Drops the state of proxies that are neither live nor streaming and have been quiet for a while. */
  #forgetGone(compiled: CompiledConfig): void {
    const live = new Set(liveProxyIds(compiled));
    const before = this.#now() - STATE_RETENTION_MS;
    for (const [proxyId, state] of this.#states) {
      if (!live.has(proxyId) && !this.#streams.has(proxyId) && state.touchedAtMs < before) {
        this.#states.delete(proxyId);
      }
    }
  }

  #scheduleProgrammed(): void {
    if (this.#closed || !this.#platform) return;
    clearTimeout(this.#programmedTimer);
    // Debounced, but a steady stream of ACKs (a large fleet, proxies reconnecting) must not postpone the
    // pass for ever: it runs at most PROGRAMMED_MAX_WAIT_FACTOR debounce periods after the first change.
    const now = Date.now();
    this.#programmedPendingSince ??= now;
    const maxWait = this.#o.programmedDebounceMs * PROGRAMMED_MAX_WAIT_FACTOR;
    const delay = Math.min(
      this.#o.programmedDebounceMs,
      Math.max(0, this.#programmedPendingSince + maxWait - now),
    );
    this.#programmedTimer = setTimeout(() => {
      this.#programmedPendingSince = undefined;
      if (this.#reconciling) {
        this.#reconcileAgain = true;
        return;
      }
      this.#reconciling = this.#reconcile()
        .catch((err: unknown) => this.#problem('Programmed conditions', err))
        .finally(() => {
          this.#reconciling = undefined;
          if (this.#reconcileAgain) {
            this.#reconcileAgain = false;
            this.#scheduleProgrammed();
          }
        });
    }, delay).unref();
  }

  /** Writes each policy's Programmed condition where it changed. */
  async #reconcile(): Promise<void> {
    const platform = this.#platform;
    if (!platform) return;
    const compiled = await this.#source.currentCompiled();
    this.#history.record(compiled);
    const stored = new Map((await platform.list()).map((p) => [refKey(refOf(p.resource)), p]));
    const input = {
      liveProxyIds: liveProxyIds(compiled),
      states: this.#states,
      contents: (version: string) => this.#history.contents(version),
    };
    const nowIso = new Date(this.#now()).toISOString();
    let failure: Error | undefined;
    for (const program of compiled.programs) {
      const policy = stored.get(refKey(program.ref));
      // Changed since this config was compiled: the change event brings another round.
      if (!policy || generationOf(policy.resource) !== program.generation) continue;
      const next = nextProgrammedCondition(programmedOf(policy), programmedStatus(program, input), nowIso);
      if (!next) continue;
      try {
        // The other conditions (Accepted, …) as the platform has them; only Programmed is ours.
        await platform.setConditions(program.ref, [
          ...policy.conditions.filter((c) => c.type !== 'Programmed'),
          next,
        ]);
      } catch (err) {
        // Deleted meanwhile, or the store is away: the next change or ACK tries again.
        if (!(err instanceof PolicyNotFoundError))
          failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (failure !== undefined) throw failure;
    this.#recovered('Programmed conditions');
  }

  #problem(what: string, err: unknown): void {
    const line = `weft-api: ${what} failed, retrying on the next change: ${(err as Error).message ?? String(err)}`;
    if (this.#failing !== line) this.#log(line);
    this.#failing = line;
  }

  #recovered(what: string): void {
    if (this.#failing?.startsWith(`weft-api: ${what} `)) {
      this.#log(`weft-api: ${what} works again`);
      this.#failing = undefined;
    }
  }
}

function liveProxyIds(compiled: CompiledConfig): string[] {
  return compiled.config.services.flatMap((s) => s.endpoints.map((e) => e.proxyId));
}

function refKey(ref: PolicyRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function programmedOf(policy: StoredPolicy): Condition | undefined {
  return policy.conditions.find((c) => c.type === 'Programmed');
}

/**
 * The SSE event for a compiled config, serialised once and shared by every stream: with 1,000 proxies,
 * stringifying per stream cost ~450 ms of event-loop time per change (bench/config-stream.ts).
 */
const encodedEvents = new WeakMap<CompiledConfig, Buffer>();
function encodedEvent(compiled: CompiledConfig): Buffer {
  let event = encodedEvents.get(compiled);
  if (!event) {
    const { config } = compiled;
    // The version is hex and JSON.stringify emits no line breaks: each field is one line.
    event = Buffer.from(`event: config\nid: ${config.version}\ndata: ${JSON.stringify(config)}\n\n`);
    encodedEvents.set(compiled, event);
  }
  return event;
}
