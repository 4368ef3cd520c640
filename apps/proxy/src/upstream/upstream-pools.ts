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
  /** HTTP/2 (h2c) sessions, for requests that came over HTTP/2 or are gRPC (h2-forward.ts). */
  readonly h2 = new H2Sessions();

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
    this.h2.retainOnly(addresses);
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    this.h2.close();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}
