/**
 * The configuration in force. A new one is checked first and swapped in as a whole (one reference
 * assignment, routing table prebuilt); a refused one leaves the last good config in place and is
 * remembered for /metrics and logs.
 */
import type { ProxyConfig } from '@weft/schema';
import type { BalancerFactory } from '../routing/round-robin.ts';
import { RoutingTable } from '../routing/routing-table.ts';
import { checkConfig } from './validate-config.ts';

export type ConfigSource = 'file' | 'control-plane';

export interface ActiveConfig {
  readonly config: ProxyConfig;
  readonly routes: RoutingTable;
  readonly source: ConfigSource;
  readonly appliedAtMs: number;
}

export interface ConfigRejection {
  version: string | undefined;
  reason: string;
  source: ConfigSource;
  atMs: number;
}

export type OfferResult =
  | { kind: 'applied'; active: ActiveConfig }
  | { kind: 'unchanged' }
  | { kind: 'rejected'; rejection: ConfigRejection; repeated: boolean };

export class ConfigStore {
  readonly #balancer: BalancerFactory;
  readonly #now: () => number;
  readonly #listeners: ((active: ActiveConfig) => void)[] = [];
  #active: ActiveConfig | undefined;
  #lastRejection: ConfigRejection | undefined;
  #rejections = 0;

  constructor(balancer: BalancerFactory, now: () => number = Date.now) {
    this.#balancer = balancer;
    this.#now = now;
  }

  get active(): ActiveConfig | undefined {
    return this.#active;
  }

  get lastRejection(): ConfigRejection | undefined {
    return this.#lastRejection;
  }

  /** Distinct configs refused (the same one offered again on every poll counts once). */
  get rejections(): number {
    return this.#rejections;
  }

  onApplied(listener: (active: ActiveConfig) => void): void {
    this.#listeners.push(listener);
  }

  offer(raw: unknown, source: ConfigSource): OfferResult {
    const check = checkConfig(raw);
    if (!check.ok) {
      const last = this.#lastRejection;
      const repeated = last !== undefined && last.version === check.version && last.reason === check.reason;
      const rejection = { version: check.version, reason: check.reason, source, atMs: this.#now() };
      if (!repeated) this.#rejections++;
      this.#lastRejection = rejection;
      return { kind: 'rejected', rejection, repeated };
    }
    if (this.#active?.config.version === check.config.version && this.#active.source === source) {
      return { kind: 'unchanged' };
    }
    const active: ActiveConfig = {
      config: check.config,
      routes: new RoutingTable(check.config, this.#balancer),
      source,
      appliedAtMs: this.#now(),
    };
    this.#active = active;
    for (const listener of this.#listeners) listener(active);
    return { kind: 'applied', active };
  }
}
