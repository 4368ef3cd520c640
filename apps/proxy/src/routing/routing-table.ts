/** Services and endpoints of one ProxyConfig, indexed for lookups on the data path. Immutable once built. */
import type { Endpoint, ProxyConfig } from '@weft/schema';
import type { Balancer, BalancerFactory } from './round-robin.ts';
import type { ServiceName } from './service-name.ts';

export interface ServiceRoute {
  readonly service: string;
  readonly namespace: string;
  readonly endpoints: readonly Endpoint[];
  readonly balancer: Balancer<Endpoint>;
}

export class RoutingTable {
  readonly #routes = new Map<string, ServiceRoute>();

  constructor(config: ProxyConfig, balancer: BalancerFactory) {
    for (const s of config.services) {
      const key = `${s.name}.${s.namespace}`;
      const previous = this.#routes.get(key);
      // A service listed twice keeps all its endpoints.
      const endpoints = previous ? [...previous.endpoints, ...s.endpoints] : s.endpoints;
      this.#routes.set(key, {
        service: s.name,
        namespace: s.namespace,
        endpoints,
        balancer: balancer(endpoints),
      });
    }
  }

  lookup(name: ServiceName): ServiceRoute | undefined {
    return this.#routes.get(`${name.service}.${name.namespace}`);
  }

  /** Every endpoint address, so connection pools to vanished endpoints can be closed. */
  addresses(): Set<string> {
    const out = new Set<string>();
    for (const route of this.#routes.values()) for (const e of route.endpoints) out.add(e.address);
    return out;
  }
}
