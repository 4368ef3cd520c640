/**
 * The connection, pending and in-flight limits of one destination service (Envoy's circuit breaker
 * thresholds), from a CircuitBreakerPolicy's `limits`. Over HTTP/1.1 without pipelining each request in
 * flight holds one upstream connection, so `maxConnections` caps the attempts sent at once; an attempt that
 * finds them all busy waits in a queue of at most `maxPendingRequests` (none when unset: it is refused at
 * once) until one is released; `maxRequests` caps sent and waiting attempts together. A refusal is an
 * overflow: the layer answers 503 naming the limit.
 */
import type { ServicePolicy } from '@weft/schema';

export interface LimitSettings {
  maxConnections: number | undefined;
  maxPendingRequests: number | undefined;
  maxRequests: number | undefined;
  source: string;
}

export type OverflowReason = 'max-connections' | 'max-pending-requests' | 'max-requests';
export const OVERFLOW_REASONS: readonly OverflowReason[] = [
  'max-connections',
  'max-pending-requests',
  'max-requests',
];

export function limitSettingsOf(policy: ServicePolicy['circuitBreaker']): LimitSettings | undefined {
  const l = policy?.limits;
  if (policy === undefined || l === undefined) return undefined;
  if (l.maxConnections === undefined && l.maxPendingRequests === undefined && l.maxRequests === undefined)
    return undefined;
  return {
    maxConnections: l.maxConnections,
    maxPendingRequests: l.maxPendingRequests,
    maxRequests: l.maxRequests,
    source: policy.source,
  };
}

/** A slot held by one attempt until it ends; `release` is idempotent. */
export interface LimitTicket {
  release(): void;
}

export type Admission =
  | { kind: 'admitted'; ticket: LimitTicket }
  /** Every connection is busy: wait for `ticket`; `cancel` gives up the place in the queue. */
  | { kind: 'queued'; ticket: Promise<LimitTicket>; cancel: () => void }
  | { kind: 'overflow'; reason: OverflowReason };

interface Waiter {
  grant: (ticket: LimitTicket) => void;
  cancelled: boolean;
}

export class ServiceLimits {
  settings: LimitSettings | undefined;
  /** Attempts sent (each holding a connection). */
  #active = 0;
  readonly #queue: Waiter[] = [];
  #queued = 0;
  readonly overflows: Record<OverflowReason, number> = {
    'max-connections': 0,
    'max-pending-requests': 0,
    'max-requests': 0,
  };

  constructor(settings: LimitSettings | undefined) {
    this.settings = settings;
  }

  /** New settings from a config update; waiters a raised limit now lets through go at once. */
  update(settings: LimitSettings | undefined): void {
    this.settings = settings;
    this.#handOver();
  }

  get active(): number {
    return this.#active;
  }

  /** Attempts waiting for a connection. */
  get pending(): number {
    return this.#queued;
  }

  admit(): Admission {
    const s = this.settings;
    if (s === undefined) {
      this.#active++;
      return { kind: 'admitted', ticket: this.#ticket() };
    }
    if (s.maxRequests !== undefined && this.#active + this.#queued >= s.maxRequests)
      return this.#overflow('max-requests');
    if (s.maxConnections === undefined || this.#active < s.maxConnections) {
      this.#active++;
      return { kind: 'admitted', ticket: this.#ticket() };
    }
    if (s.maxPendingRequests === undefined) return this.#overflow('max-connections');
    if (this.#queued >= s.maxPendingRequests) return this.#overflow('max-pending-requests');
    let waiter!: Waiter;
    const ticket = new Promise<LimitTicket>((resolve) => {
      waiter = { grant: resolve, cancelled: false };
    });
    this.#queue.push(waiter);
    this.#queued++;
    return {
      kind: 'queued',
      ticket,
      cancel: () => {
        if (waiter.cancelled) return;
        waiter.cancelled = true;
        this.#queued--;
      },
    };
  }

  #overflow(reason: OverflowReason): Admission {
    this.overflows[reason]++;
    return { kind: 'overflow', reason };
  }

  #ticket(): LimitTicket {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.#active--;
        this.#handOver();
      },
    };
  }

  /** A released connection goes to the oldest waiter still waiting. */
  #handOver(): void {
    const max = this.settings?.maxConnections;
    while (this.#queue.length > 0 && (max === undefined || this.#active < max)) {
      const waiter = this.#queue.shift() as Waiter;
      if (waiter.cancelled) continue;
      waiter.cancelled = true;
      this.#queued--;
      this.#active++;
      waiter.grant(this.#ticket());
    }
  }
}
