/** One keep-alive connection pool (undici Pool) per upstream host:port, created on first use. */
import { Pool } from 'undici';
import { H2Sessions } from './h2-sessions.ts';

/** Idle time allowed between body chunks, in either direction (Envoy's stream idle timeout). */
export const BODY_IDLE_TIMEOUT_MS = 300_000;

/**
 * Idle upstream connections are closed by us before the server would close them, so a request is never
 * sent on a connection the server is closing at that moment (the keep-alive race, which resets the
 * request). Servers that say nothing close idle connections after 5 s (Node, Apache) or more (nginx 75 s),
 * so without a `Keep-Alive: timeout=N` hint we keep them 2 s, a margin wider than a busy event loop's
 * stall. With a hint (Node and our own inbound listener send one) undici keeps them N minus 2 s, capped
 * at 30 s: well inside the 120 s of our own listeners (http/listener-limits.ts).
 */
export const UPSTREAM_KEEP_ALIVE = {
  keepAliveTimeout: 2_000,
  keepAliveTimeoutThreshold: 2_000,
  keepAliveMaxTimeout: 30_000,
} as const;

const POOL_OPTIONS: Pool.Options = {
  connect: { timeout: 5_000 },
  ...UPSTREAM_KEEP_ALIVE,
  headersTimeout: 15_000,
  bodyTimeout: BODY_IDLE_TIMEOUT_MS,
};

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: Pool.Options;
  readonly #maxPools: number | undefined;
  /** HTTP/2 (h2c) sessions, for requests that came over HTTP/2 or are gRPC (h2-forward.ts). */
  readonly h2 = new H2Sessions();

  /**
   * `maxPools`: for addresses nobody lists (egress to hosts outside the mesh), at most this many pools; the
   * least recently used is closed (gracefully) for a new one. Absent: the config's endpoints bound them
   * (`retainOnly`).
   */
  constructor(options: Pool.Options = POOL_OPTIONS, maxPools?: number) {
    this.#options = options;
    this.#maxPools = maxPools;
  }

  get(address: string): Pool {
    let pool = this.#pools.get(address);
    if (pool === undefined) {
      pool = new Pool(`http://${address}`, this.#options);
      if (this.#maxPools !== undefined && this.#pools.size >= this.#maxPools) {
        const [oldest, old] = this.#pools.entries().next().value as [string, Pool];
        this.#pools.delete(oldest);
        old.close().catch(() => {});
      }
      this.#pools.set(address, pool);
    } else if (this.#maxPools !== undefined) {
      // Most recently used last, so the first entry is the one to close.
      this.#pools.delete(address);
      this.#pools.set(address, pool);
    }
    return pool;
  }

  /** Pools held now. */
  get size(): number {
    return this.#pools.size;
  }

  /** Closes (gracefully: in-flight requests finish) the pools of addresses no longer in use. */
  retainOnly(addresses: ReadonlySet<string>): void {
    for (const [address, pool] of this.#pools) {
      if (addresses.has(address)) continue;
      this.#pools.delete(address);
      pool.close().catch(() => {});
    }
    this.h2.retainOnly(addresses);
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    this.h2.close();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}
