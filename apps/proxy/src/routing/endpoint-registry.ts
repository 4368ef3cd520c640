/**
 * Per-endpoint state that outlives routing tables, keyed by endpoint address (linkerd2-proxy keeps its
 * balancer endpoints in such a map). A config update builds a new RoutingTable but hands it the same
 * EndpointState objects for the addresses it still lists, so what the proxy has learnt about an
 * endpoint (in-flight requests today; latency EWMA and ejection later) is not forgotten on every poll.
 * Endpoints the new config no longer lists are released.
 */
import { EndpointOutlier } from '../policies/breaker/endpoint-outlier.ts';
import { PeakEwma } from './balancers/peak-ewma.ts';

export class EndpointState {
  /** host:port, the registry key. */
  readonly address: string;
  #inFlight = 0;
  /** Passive outlier detection (policies/breaker): answers in a row, failure window, ejection. */
  readonly outlier = new EndpointOutlier();
  /**
   * False while active health checks (policies/health) find the endpoint unhealthy: after
   * unhealthyThreshold failed checks, until healthyThreshold passed ones. True without health checks.
   */
  activeHealthy = true;
  /** Peak-EWMA of response latency (routing/balancers/peak-ewma.ts), observed per attempt by pickEndpoint. */
  readonly latency = new PeakEwma();

  constructor(address: string) {
    this.address = address;
  }

  /** Requests sent to this endpoint whose exchange has not completed yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  requestStarted(): void {
    this.#inFlight++;
  }

  requestEnded(): void {
    if (this.#inFlight > 0) this.#inFlight--;
  }

  /** Until when (monotonic ms, `performance.now()`) outlier detection ejected it; 0 when never. */
  get ejectedUntil(): number {
    return this.outlier.ejectedUntil;
  }

  /**
   * Whether balancers may pick it at `now` (`performance.now()`): not ejected and not failing its health
   * checks. Every balancer skips endpoints that are not, unless none of its endpoints is (panic mode).
   */
  available(now: number = performance.now()): boolean {
    return this.activeHealthy && now >= this.outlier.ejectedUntil;
  }
}

export class EndpointRegistry {
  readonly #states = new Map<string, EndpointState>();

  /** The state of `address`, created on first use and kept until `retainOnly` leaves it out. */
  acquire(address: string): EndpointState {
    let state = this.#states.get(address);
    if (state === undefined) {
      state = new EndpointState(address);
      this.#states.set(address, state);
    }
    return state;
  }

  get(address: string): EndpointState | undefined {
    return this.#states.get(address);
  }

  /**
   * Releases the states of addresses not in `addresses` (an endpoint that comes back later starts
   * afresh). Requests still in flight to a released endpoint finish against the detached object.
   */
  retainOnly(addresses: ReadonlySet<string>): void {
    for (const address of this.#states.keys()) if (!addresses.has(address)) this.#states.delete(address);
  }

  get size(): number {
    return this.#states.size;
  }
}
