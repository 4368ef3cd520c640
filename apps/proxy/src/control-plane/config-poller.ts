/**
 * Long-polls `GET {cp}/v1/proxies/{proxyId}/config?wait=N` with `If-None-Match: "<version>"`: the control
 * plane answers as soon as the config changes (or 304 after N seconds). 304 keeps the config,
 * 200 offers the new one to the store (which refuses a broken one, leaves out bad entries of a sound one,
 * and keeps the last good config otherwise). A failed poll (unreachable, refused token, any other status)
 * keeps the config in force and waits out a backoff before the next one.
 * Logs state changes only, so a control plane that is down or a bad config repeated on every poll
 * produces one line, not one per poll.
 */
import { REGISTRATION_RETRY_MAX_MS } from '@weft/schema';
import { logApplied, type ConfigStore } from '../config/config-store.ts';
import type { Logger } from '../log.ts';
import { Backoff } from '../telemetry/backoff.ts';
import {
  apiErrorMessage,
  describeFailure,
  tokenProblem,
  type ControlPlaneClient,
} from './control-plane-http.ts';

export interface ConfigPollerOptions {
  http: ControlPlaneClient;
  proxyId: () => string;
  store: ConfigStore;
  /** Least time between the starts of two polls (a control plane that answers at once is not hammered). */
  intervalMs: number;
  /** How long the control plane may hold a poll open waiting for a change; 0 for plain polling. */
  waitSeconds?: number;
  /** Delays after failed polls; by default from `intervalMs` doubling up to 30 s. */
  backoff?: Backoff;
  log: Logger;
}

/** Default long-poll hold; well under the control plane's limit and typical idle timeouts. */
export const DEFAULT_CONFIG_WAIT_SECONDS = 25;

export class ConfigPoller {
  readonly #o: ConfigPollerOptions;
  readonly #backoff: Backoff;
  /** Key of the problem last logged, so a repeated one is not logged again. */
  #failing: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Why the last poll brought no config (for /ready); undefined after a good answer. */
  lastProblem: string | undefined = 'no answer from the control plane yet';

  constructor(options: ConfigPollerOptions) {
    this.#o = options;
    this.#backoff =
      options.backoff ??
      new Backoff({
        initialMs: options.intervalMs,
        // Back within the API's post-restart warm-up, like registration.
        maxMs: Math.max(options.intervalMs, REGISTRATION_RETRY_MAX_MS),
      });
  }

  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      const started = Date.now();
      void this.pollOnce().then((next) => this.#schedule(Math.max(0, next - (Date.now() - started))));
    }, delayMs);
    this.#timer.unref();
  }

  /** One poll; resolves with the least time from its start to the start of the next one. */
  async pollOnce(): Promise<number> {
    const { http, store, log } = this.#o;
    const path = `/v1/proxies/${encodeURIComponent(this.#o.proxyId())}/config`;
    const version = store.active?.source === 'control-plane' ? store.active.config.version : undefined;
    const waitSeconds = version ? (this.#o.waitSeconds ?? DEFAULT_CONFIG_WAIT_SECONDS) : 0;
    let res;
    try {
      res = await http.send('GET', waitSeconds > 0 ? `${path}?wait=${waitSeconds}` : path, {
        headers: version ? { 'if-none-match': `"${version}"` } : {},
        timeoutMs: 5_000 + waitSeconds * 1000,
      });
    } catch (err) {
      // A poll cut short by our own shutdown is not a control-plane problem.
      if (this.#stopped) return this.#o.intervalMs;
      return this.#problem(
        `control plane unreachable at ${http.url(path)}: ${describeFailure(err)}`,
        'unreachable',
      );
    }
    if (res.status === 304) return this.#ok();
    if (res.status !== 200) {
      const token = tokenProblem(res.status, res.text, http.hasToken);
      if (token !== undefined) {
        return this.#problem(
          `config poll refused with HTTP ${res.status}: ${token}; keeping ${this.#keeping()}, retrying with backoff`,
          `status ${res.status}`,
          'error',
        );
      }
      const message = apiErrorMessage(res.text);
      return this.#problem(
        `config poll answered HTTP ${res.status}${message ? `: ${message}` : ''}; keeping ${this.#keeping()}`,
        `status ${res.status}`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(res.text);
    } catch (err) {
      return this.#problem(
        `config poll answered 200 with invalid JSON (${(err as Error).message})`,
        'invalid json',
      );
    }
    const next = this.#ok();
    const result = store.offer(raw, 'control-plane');
    if (result.kind === 'applied') {
      logApplied(result, log);
    } else if (result.kind === 'rejected' && !result.repeated) {
      log.error(
        `config ${result.rejection.version ?? '(no version)'} refused, keeping ${this.#keeping()}: ${result.rejection.reason}`,
      );
    }
    return next;
  }

  #keeping(): string {
    const active = this.#o.store.active;
    return active ? `config ${active.config.version}` : 'no config';
  }

  #problem(message: string, key: string, level: 'warn' | 'error' = 'warn'): number {
    this.lastProblem = message;
    if (this.#failing !== key) this.#o.log[level](message);
    this.#failing = key;
    return Math.max(this.#o.intervalMs, this.#backoff.next());
  }

  #ok(): number {
    if (this.#failing !== undefined) this.#o.log.info('config poll answered again');
    this.#failing = undefined;
    this.lastProblem = undefined;
    this.#backoff.reset();
    return this.#o.intervalMs;
  }
}
