/** One keep-alive connection pool (undici Pool) per upstream host:port, created on first use. */
import { Pool } from 'undici';

/** Idle time allowed between body chunks, in either direction (Envoy's stream idle timeout). */
export const BODY_IDLE_TIMEOUT_MS = 300_000;

const POOL_OPTIONS: Pool.Options = {
  connect: { timeout: 5_000 },
  keepAliveTimeout: 4_000,
  headersTimeout: 15_000,
  bodyTimeout: BODY_IDLE_TIMEOUT_MS,
};

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: Pool.Options;

  constructor(options: Pool.Options = POOL_OPTIONS) {
    this.#options = options;
  }

  get(address: string): Pool {
    let pool = this.#pools.get(address);
    if (pool === undefined) {
      pool = new Pool(`http://${address}`, this.#options);
      this.#pools.set(address, pool);
    }
    return pool;
  }

  /** Closes (gracefully: in-flight requests finish) the pools of addresses no longer in use. */
  retainOnly(addresses: ReadonlySet<string>): void {
    for (const [address, pool] of this.#pools) {
      if (addresses.has(address)) continue;
      this.#pools.delete(address);
      pool.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}
