/**
 * Universal-mode registration: `POST {cp}/v1/proxies/register` at start and again every
 * `heartbeatSeconds` the control plane asks for; retried with backoff while it is down; `DELETE
 * {cp}/v1/proxies/{proxyId}` on shutdown. Never blocks the data path. A refused token (401/403) is
 * logged once, as an error that says what is wrong with it, and retried with the same backoff.
 * Each registration says whether the proxy's application is ready (`ready`); when that changes the proxy
 * re-registers at once instead of waiting for the next heartbeat, so the control plane stops (or resumes)
 * handing out its endpoint within seconds.
 */
import { registrationResponseSchema, type ProxyRegistration } from '@weft/schema';
import type { Logger } from '../log.ts';
import type { Backoff } from '../telemetry/backoff.ts';
import {
  apiErrorMessage,
  bodySnippet,
  describeFailure,
  tokenProblem,
  type ControlPlaneClient,
} from './control-plane-http.ts';

export interface RegistrationOptions {
  http: ControlPlaneClient;
  registration: ProxyRegistration;
  backoff: Backoff;
  log: Logger;
}

export class Registration {
  readonly #o: RegistrationOptions;
  #proxyId: string;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #failing: string | undefined;
  #ready: boolean;
  #started = false;
  /** An attempt is under way; a readiness change meanwhile sends another right after it. */
  #attempting = false;
  #again = false;
  /** True while the last attempt succeeded. */
  registered = false;
  heartbeatSeconds: number | undefined;

  constructor(options: RegistrationOptions) {
    this.#o = options;
    this.#proxyId = options.registration.proxyId;
    this.#ready = options.registration.ready ?? true;
  }

  /** What the registrations say about the application's readiness. */
  get ready(): boolean {
    return this.#ready;
  }

  /** The application became (not) ready: tell the control plane now rather than at the next heartbeat. */
  setReady(ready: boolean): void {
    if (this.#ready === ready) return;
    this.#ready = ready;
    if (!this.#started || this.#stopped) return;
    if (this.#attempting) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#schedule(0);
  }

  /** The id the control plane knows this proxy by (it may assign its own). */
  get proxyId(): string {
    return this.#proxyId;
  }

  start(): void {
    this.#started = true;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#attempting = true;
      void this.registerOnce().then((next) => {
        this.#attempting = false;
        const again = this.#again;
        this.#again = false;
        this.#schedule(again ? 0 : next);
      });
    }, delayMs);
    this.#timer.unref();
  }

  /** One attempt; resolves with the delay until the next one. */
  async registerOnce(): Promise<number> {
    const { http, registration, backoff, log } = this.#o;
    const body: ProxyRegistration = { ...registration, proxyId: this.#proxyId, ready: this.#ready };
    let problem: string;
    let level: 'warn' | 'error' = 'warn';
    try {
      const res = await http.send('POST', '/v1/proxies/register', { json: body, timeoutMs: 5_000 });
      if (res.status >= 200 && res.status < 300) {
        const parsed = registrationResponseSchema.safeParse(safeJson(res.text));
        if (parsed.success) {
          if (parsed.data.proxyId !== this.#proxyId) {
            log.info(`control plane assigned proxy id ${parsed.data.proxyId} (was ${this.#proxyId})`);
            this.#proxyId = parsed.data.proxyId;
          }
          if (!this.registered) log.info(`registered with ${http.baseUrl} as ${this.#proxyId}`);
          this.registered = true;
          this.heartbeatSeconds = parsed.data.heartbeatSeconds;
          this.#failing = undefined;
          backoff.reset();
          return parsed.data.heartbeatSeconds * 1000;
        }
        problem = `registration answered ${res.status} without {proxyId, heartbeatSeconds}: ${bodySnippet(res.text)}`;
      } else {
        const token = tokenProblem(res.status, res.text, http.hasToken);
        if (token !== undefined) level = 'error';
        problem = `registration refused with HTTP ${res.status}: ${token ?? apiErrorMessage(res.text)}`;
      }
    } catch (err) {
      problem = `control plane unreachable at ${http.url('/v1/proxies/register')}: ${describeFailure(err)}`;
    }
    this.registered = false;
    if (this.#failing !== problem) log[level](`${problem}; retrying with backoff`);
    this.#failing = problem;
    const delay = backoff.next();
    return this.heartbeatSeconds !== undefined ? Math.min(delay, this.heartbeatSeconds * 1000) : delay;
  }

  /** Stops heartbeats and deregisters, giving the control plane at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    try {
      await this.#o.http.send('DELETE', `/v1/proxies/${encodeURIComponent(this.#proxyId)}`, { timeoutMs });
    } catch {
      // The control plane expires proxies that stop heartbeating anyway.
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
