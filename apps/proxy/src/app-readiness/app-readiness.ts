/**
 * Whether the proxy's own application is ready, as a Kubernetes readiness probe decides it: checked every
 * interval (a TCP connect, or a GET of the readiness path), not ready after `failureThreshold` failures in
 * a row, ready again after one success. The proxy then answers 503 on /ready and re-registers with
 * `ready: false`, so the control plane stops handing out its endpoint (a dead app behind a live proxy
 * otherwise keeps its share of the traffic, answered 502 by its proxy).
 */

export interface AppReadinessSettings {
  /** Failed checks in a row before the app counts as not ready. */
  failureThreshold: number;
}

/** The state machine, on results given to it (tested without timers). */
export class AppReadiness {
  readonly #s: AppReadinessSettings;
  #ready = true;
  #failures = 0;
  #lastProblem: string | undefined;
  checks = 0;
  failedChecks = 0;

  constructor(settings: AppReadinessSettings) {
    this.#s = settings;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Why the app is not ready (the last failed check); undefined while it is. */
  get notReadyReason(): string | undefined {
    return this.#ready ? undefined : this.#lastProblem;
  }

  /** Counts one check (`problem` undefined: it passed); true when readiness changed. */
  record(problem: string | undefined): boolean {
    this.checks++;
    const before = this.#ready;
    if (problem === undefined) {
      this.#failures = 0;
      this.#ready = true;
    } else {
      this.failedChecks++;
      this.#failures++;
      this.#lastProblem = problem;
      if (this.#failures >= this.#s.failureThreshold) this.#ready = false;
    }
    return this.#ready !== before;
  }
}

export interface AppReadinessCheckerOptions {
  readiness: AppReadiness;
  /** One check: undefined when it passed, else what went wrong. */
  probe: () => Promise<string | undefined>;
  intervalMs: number;
  /** Called when readiness changes, with the reason when it is lost. */
  onChange: (ready: boolean, reason: string | undefined) => void;
}

/** Runs the probe every interval (the first at once), one at a time, on an unref'd timer. */
export class AppReadinessChecker {
  readonly #o: AppReadinessCheckerOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: AppReadinessCheckerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.#o.probe().then((problem) => {
        if (this.#stopped) return;
        const r = this.#o.readiness;
        if (r.record(problem)) this.#o.onChange(r.ready, r.notReadyReason);
        this.#schedule(this.#o.intervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }
}
