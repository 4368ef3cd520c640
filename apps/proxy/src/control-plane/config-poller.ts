/**
 * Long-polls `GET {cp}/v1/proxies/{proxyId}/config?wait=N` with `If-None-Match: "<version>"`: the control
 * plane answers as soon as the config changes (or 304 after N seconds). 304 keeps the config,
 * 200 offers the new one to the store (which refuses an invalid one and keeps the last good config).
 * Logs state changes only, so a control plane that is down or a bad config repeated on every poll
 * produces one line, not one per poll.
 */
import type { ConfigStore } from '../config/config-store.ts';
import type { Logger } from '../log.ts';
import { bodySnippet, describeFailure, type ControlPlaneClient } from './control-plane-http.ts';

export interface ConfigPollerOptions {
  http: ControlPlaneClient;
  proxyId: () => string;
  store: ConfigStore;
  /** Least time between the starts of two polls (a control plane that answers at once is not hammered). */
  intervalMs: number;
  /** How long the control plane may hold a poll open waiting for a change; 0 for plain polling. */
  waitSeconds?: number;
  log: Logger;
}

/** Default long-poll hold; well under the control plane's limit and typical idle timeouts. */
export const DEFAULT_CONFIG_WAIT_SECONDS = 25;

export class ConfigPoller {
  readonly #o: ConfigPollerOptions;
  /** Key of the problem last logged, so a repeated one is not logged again. */
  #failing: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Why the last poll brought no config (for /ready); undefined after a good answer. */
  lastProblem: string | undefined = 'no answer from the control plane yet';

  constructor(options: ConfigPollerOptions) {
    this.#o = options;
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
      void this.pollOnce().finally(() =>
        this.#schedule(Math.max(0, this.#o.intervalMs - (Date.now() - started))),
      );
    }, delayMs);
    this.#timer.unref();
  }

  async pollOnce(): Promise<void> {
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
      if (this.#stopped) return;
      this.#problem(`control plane unreachable at ${http.url(path)}: ${describeFailure(err)}`, 'unreachable');
      return;
    }
    if (res.status === 304) {
      this.#ok();
      return;
    }
    if (res.status !== 200) {
      const body = bodySnippet(res.text);
      this.#problem(
        `config poll answered HTTP ${res.status}${body ? `: ${body}` : ''}`,
        `status ${res.status}`,
      );
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(res.text);
    } catch (err) {
      this.#problem(`config poll answered 200 with invalid JSON (${(err as Error).message})`, 'invalid json');
      return;
    }
    this.#ok();
    const result = store.offer(raw, 'control-plane');
    if (result.kind === 'applied') {
      const c = result.active.config;
      log.info(`config ${c.version} applied (${c.services.length} services)`);
    } else if (result.kind === 'rejected' && !result.repeated) {
      log.error(
        `config ${result.rejection.version ?? '(no version)'} refused, keeping ${store.active ? `config ${store.active.config.version}` : 'no config'}: ${result.rejection.reason}`,
      );
    }
  }

  #problem(message: string, key: string): void {
    this.lastProblem = message;
    if (this.#failing !== key) this.#o.log.warn(message);
    this.#failing = key;
  }

  #ok(): void {
    if (this.#failing !== undefined) this.#o.log.info('config poll answered again');
    this.#failing = undefined;
    this.lastProblem = undefined;
  }
}
