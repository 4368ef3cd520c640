/**
 * The proxy's config from the control plane over one long-lived Server-Sent Events stream:
 * `GET {cp}/v1/proxies/{proxyId}/config/stream` (workload token as Bearer). Every `config` event carries
 * the full config; it is offered to the ConfigStore, which refuses a broken one (the last good config stays)
 * and leaves out bad entries of a sound one. The proxy then answers
 * `POST {cp}/v1/proxies/{proxyId}/config/ack` with `{version, status, reason?}`:
 *
 * - ACK `version`: that version is in force, as sent;
 * - NACK `version` with the reasons when the store refused the whole config (the last good one stays), and
 *   also when it left parts out: the good parts of that version run, but the control plane must not
 *   report the config as programmed when part of it is not (a policy's Programmed condition turns False
 *   with the reason, which names the entry). The choice errs towards telling the operator.
 *
 * Resilience: a dropped or silent stream (no byte for IDLE_TIMEOUT_MS; the API sends a heartbeat every
 * 15 s) reconnects with exponential backoff and jitter, capped at REGISTRATION_RETRY_MAX_MS so the proxy
 * is back within the API's post-restart warm-up. Nothing here throws into the caller; the config in force
 * stays while the control plane is away. A 404 that is not "proxy not registered" means an API older than
 * the stream: the proxy long-polls instead (ConfigPoller) and tries the stream again every
 * STREAM_RETRY_AFTER_FALLBACK_MS. Problems are logged when they change, not on every retry.
 */
import { ConfigAckLimits, REGISTRATION_RETRY_MAX_MS, type ConfigAck } from '@weft/schema';
import { logApplied, type ActiveConfig, type ConfigStore } from '../config/config-store.ts';
import type { Logger } from '../log.ts';
import { Backoff } from '../telemetry/backoff.ts';
import type { ConfigPoller } from './config-poller.ts';
import {
  apiErrorMessage,
  describeFailure,
  tokenProblem,
  type StreamingControlPlaneClient,
} from './control-plane-http.ts';
import { SseParser } from './sse.ts';

/** Kept under the API's limit (ConfigAckLimits.maxReasonLength) with room for the cut marker. */
export const MAX_ACK_REASON_CHARS = ConfigAckLimits.maxReasonLength - 96;
/** Three missed heartbeats. */
export const IDLE_TIMEOUT_MS = 45_000;
export const STREAM_RETRY_AFTER_FALLBACK_MS = 5 * 60_000;

/** Retry delay while this proxy's first registration is still on its way. */
export const NOT_YET_REGISTERED_RETRY_MS = 250;

export interface ConfigStreamOptions {
  http: StreamingControlPlaneClient;
  proxyId: () => string;
  /** False until the first registration succeeded (a 404 "not registered" is then expected, not logged). */
  isRegistered?: () => boolean;
  store: ConfigStore;
  /** Long polling, for an API without the stream endpoint; driven from here, never started on its own. */
  fallback: ConfigPoller;
  log: Logger;
  /** Delays before reconnecting; reset once a stream delivers a config. */
  backoff?: Backoff;
  /** Delays between attempts to deliver an ACK/NACK. */
  ackBackoff?: Backoff;
  idleTimeoutMs?: number;
  streamRetryAfterFallbackMs?: number;
  now?: () => number;
}

export class ConfigStream {
  readonly #o: ConfigStreamOptions;
  readonly #backoff: Backoff;
  readonly #acks: AckSender;
  readonly #now: () => number;
  #stopped = false;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  /** Long-polling until this time (an API without the stream). */
  #pollUntil: number | undefined;
  #fallbackLogged = false;
  #connectedOnce = false;
  /** Key of the problem last logged, so a repeated one is not logged again. */
  #failing: string | undefined;
  #problem: string | undefined = 'no answer from the control plane yet';
  #started = false;
  /** The last bad event logged, so the same one sent again is not logged again. */
  #badEvent: string | undefined;

  constructor(options: ConfigStreamOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#backoff =
      options.backoff ?? new Backoff({ initialMs: 500, maxMs: REGISTRATION_RETRY_MAX_MS, jitter: 0.5 });
    this.#acks = new AckSender(
      options,
      options.ackBackoff ?? new Backoff({ initialMs: 500, maxMs: REGISTRATION_RETRY_MAX_MS, jitter: 0.5 }),
    );
  }

  /** Why no config came lately (for /ready); undefined while the stream (or the fallback poll) works. */
  get lastProblem(): string | undefined {
    return this.polling ? this.#o.fallback.lastProblem : this.#problem;
  }

  /** True while long-polling an API without the stream. */
  get polling(): boolean {
    return this.#pollUntil !== undefined;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#run();
  }

  /**
   * Stops reconnecting and drops the stream; the config in force stays. Does not wait for a long poll
   * under way (it ends on its own timeout and changes nothing after).
   */
  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake?.();
    this.#o.fallback.stop();
    this.#acks.stop();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let delayMs: number;
      try {
        if (this.#pollUntil !== undefined && this.#now() < this.#pollUntil) {
          const started = this.#now();
          delayMs = Math.max(0, (await this.#o.fallback.pollOnce()) - (this.#now() - started));
        } else {
          this.#pollUntil = undefined;
          delayMs = await this.connectOnce();
        }
      } catch (err) {
        // Not expected (every failure above is handled); never let it end the loop or the process.
        delayMs = this.#failed(`config stream failed: ${describeFailure(err)}`, 'bug', 'error');
      }
      await this.#sleep(delayMs);
    }
  }

  /** One connection, read until it ends; resolves with the delay before the next attempt. */
  async connectOnce(): Promise<number> {
    const { http } = this.#o;
    const path = `/v1/proxies/${encodeURIComponent(this.#o.proxyId())}/config/stream`;
    const abort = new AbortController();
    this.#abort = abort;
    let res;
    try {
      res = await http.openStream(path, {
        headers: { accept: 'text/event-stream' },
        headersTimeoutMs: 10_000,
        idleTimeoutMs: this.#o.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
        signal: abort.signal,
      });
    } catch (err) {
      if (this.#stopped) return 0;
      return this.#failed(
        `control plane unreachable at ${http.url(path)}: ${describeFailure(err)}; keeping ${this.#keeping()}`,
        'unreachable',
      );
    }
    if (res.status !== 200) {
      const text = await res.text().catch(() => '');
      const message = apiErrorMessage(text);
      if (res.status === 404 && !/is not registered/.test(message)) return this.#fallBack(message);
      if (res.status === 404 && this.#o.isRegistered?.() === false) {
        // Registration and the stream start together: until the first registration lands, the API does not
        // know this proxy yet. Not a problem worth a warning; try again shortly.
        this.#problem = `waiting for registration (${message})`;
        return NOT_YET_REGISTERED_RETRY_MS;
      }
      const token = tokenProblem(res.status, text, http.hasToken);
      if (token !== undefined) {
        return this.#failed(
          `config stream refused with HTTP ${res.status}: ${token}; keeping ${this.#keeping()}, retrying with backoff`,
          `status ${res.status}`,
          'error',
        );
      }
      return this.#failed(
        `config stream answered HTTP ${res.status}${message ? `: ${message}` : ''}; keeping ${this.#keeping()}`,
        `status ${res.status}`,
      );
    }
    const type = String(res.headers['content-type'] ?? '');
    if (!type.startsWith('text/event-stream')) {
      res.close();
      return this.#failed(
        `config stream answered ${type || 'no content type'}, not text/event-stream; keeping ${this.#keeping()}`,
        'not a stream',
      );
    }

    const parser = new SseParser();
    let delivered = false;
    try {
      for await (const chunk of res.body) {
        for (const event of parser.push(chunk)) {
          if (event.event !== 'config') continue;
          this.#offer(event.data, event.id);
          if (!delivered) {
            delivered = true;
            this.#connected();
          }
        }
      }
    } catch (err) {
      res.close();
      if (this.#stopped) return 0;
      return this.#failed(
        `config stream interrupted: ${describeFailure(err)}; keeping ${this.#keeping()}, reconnecting`,
        'interrupted',
      );
    }
    if (this.#stopped) return 0;
    // The API ends streams now and then (and on shutdown): reconnect soon, then back off if that fails.
    if (!delivered) {
      return this.#failed(`config stream ended before any config; keeping ${this.#keeping()}`, 'empty');
    }
    return this.#backoff.next();
  }

  /** Offers one config to the store and answers for it. */
  #offer(data: string, id: string | undefined): void {
    const { store, log } = this.#o;
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch (err) {
      const reason = `the config event is not JSON (${(err as Error).message})`;
      if (this.#badEvent !== reason) log.error(`${reason}; keeping ${this.#keeping()}`);
      this.#badEvent = reason;
      if (id) this.#acks.send({ version: id, status: 'NACK', reason });
      return;
    }
    const result = store.offer(raw, 'control-plane');
    if (result.kind === 'rejected') {
      if (!result.repeated) {
        log.error(
          `config ${result.rejection.version ?? '(no version)'} refused, keeping ${this.#keeping()}: ${result.rejection.reason}`,
        );
      }
      const version = result.rejection.version ?? id;
      if (version) {
        this.#acks.send({
          version,
          status: 'NACK',
          reason: cap(`refused the whole config, keeping ${this.#keeping()}: ${result.rejection.reason}`),
        });
      }
      return;
    }
    if (result.kind === 'applied') logApplied(result, log);
    // 'unchanged' (the same version again, after a reconnect): answer again, the API may have restarted.
    const active = store.active;
    if (active) this.#acks.send(answerFor(active));
  }

  #fallBack(message: string): number {
    this.#pollUntil = this.#now() + (this.#o.streamRetryAfterFallbackMs ?? STREAM_RETRY_AFTER_FALLBACK_MS);
    if (!this.#fallbackLogged) {
      this.#o.log.info(
        `the control plane has no config stream (HTTP 404${message ? `: ${message}` : ''}); ` +
          'long-polling for config instead and trying the stream again now and then',
      );
      this.#fallbackLogged = true;
    }
    this.#failing = undefined;
    this.#problem = undefined;
    this.#backoff.reset();
    return 0;
  }

  #connected(): void {
    if (!this.#connectedOnce) this.#o.log.info(`config stream connected to ${this.#o.http.baseUrl}`);
    else if (this.#failing !== undefined) this.#o.log.info('config stream connected again');
    this.#connectedOnce = true;
    this.#failing = undefined;
    this.#problem = undefined;
    this.#backoff.reset();
  }

  #failed(message: string, key: string, level: 'warn' | 'error' = 'warn'): number {
    this.#problem = message;
    if (this.#failing !== key) this.#o.log[level](message);
    this.#failing = key;
    return this.#backoff.next();
  }

  #keeping(): string {
    const active = this.#o.store.active;
    return active ? `config ${active.config.version}` : 'no config';
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wake = done;
    });
  }
}

/** ACK when the config went in as sent; NACK naming every entry the store left out. */
export function answerFor(active: ActiveConfig): ConfigAck {
  const { version } = active.config;
  if (active.refused.length === 0) return { version, status: 'ACK' };
  const entries = active.refused.map((r) => `${r.path} ${r.entry}: ${r.reason}`).join('; ');
  return {
    version,
    status: 'NACK',
    reason: cap(
      `left out ${active.refused.length} ${active.refused.length === 1 ? 'entry' : 'entries'} ` +
        `and runs the rest: ${entries}`,
    ),
  };
}

function cap(text: string): string {
  return text.length > MAX_ACK_REASON_CHARS ? `${text.slice(0, MAX_ACK_REASON_CHARS - 1)}…` : text;
}

/**
 * Delivers answers one at a time, newest only: an answer not yet delivered is replaced by a newer one.
 * Retried with backoff while the API is unreachable or busy (no answer, 408, 429, 5xx); dropped on any
 * other refusal (logged once per status), since resending it cannot help.
 */
class AckSender {
  readonly #o: Pick<ConfigStreamOptions, 'http' | 'proxyId' | 'log'>;
  readonly #backoff: Backoff;
  #pending: ConfigAck | undefined;
  #sending = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  #failing: string | undefined;

  constructor(options: Pick<ConfigStreamOptions, 'http' | 'proxyId' | 'log'>, backoff: Backoff) {
    this.#o = options;
    this.#backoff = backoff;
  }

  send(ack: ConfigAck): void {
    this.#pending = ack;
    this.#wake?.();
    if (!this.#sending) void this.#flush();
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  async #flush(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#pending && !this.#stopped) {
        const ack = this.#pending;
        const retryMs = await this.#deliver(ack);
        if (this.#pending === ack && retryMs === undefined) this.#pending = undefined;
        if (retryMs !== undefined && this.#pending === ack) await this.#sleep(retryMs);
      }
    } finally {
      this.#sending = false;
    }
  }

  /** Undefined when done with `ack` (delivered or dropped), else the delay before trying again. */
  async #deliver(ack: ConfigAck): Promise<number | undefined> {
    const { http, log } = this.#o;
    const path = `/v1/proxies/${encodeURIComponent(this.#o.proxyId())}/config/ack`;
    let problem: string;
    let retry = true;
    try {
      const res = await http.send('POST', path, { json: ack, timeoutMs: 5_000 });
      if (res.status >= 200 && res.status < 300) {
        if (this.#failing !== undefined) log.info('config answers reach the control plane again');
        this.#failing = undefined;
        this.#backoff.reset();
        return undefined;
      }
      retry = res.status === 408 || res.status === 429 || res.status >= 500;
      const token = tokenProblem(res.status, res.text, http.hasToken);
      problem = `config ${ack.status} for ${ack.version} answered HTTP ${res.status}: ${token ?? apiErrorMessage(res.text)}`;
    } catch (err) {
      if (this.#stopped) return undefined;
      problem = `config ${ack.status} for ${ack.version} not delivered: ${describeFailure(err)}`;
    }
    const key = problem.replace(/ for \S+/, '');
    if (this.#failing !== key) log.warn(`${problem}${retry ? '; retrying with backoff' : '; dropped'}`);
    this.#failing = key;
    return retry ? this.#backoff.next() : undefined;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wake = done;
    });
  }
}
