/**
 * One HTTP/2 (h2c, prior knowledge) client session per upstream host:port, shared by every request to it,
 * as Envoy and Linkerd multiplex h2 upstreams. A session leaves the map as soon as it cannot take new
 * streams (GOAWAY, error, close) so the next request opens a fresh one, while streams already on it finish.
 * Idle sessions are closed after UPSTREAM_KEEP_ALIVE's 2 s (well inside our own listeners' 120 s), for
 * the same keep-alive race reason as the HTTP/1.1 pools (upstream-pools.ts).
 */
import http2, { type ClientHttp2Session } from 'node:http2';

/** An established session, or the reason it could not be established (with a connect error's `code`). */
export type SessionResult = { session: ClientHttp2Session } | { error: Error };

const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 2_000;

interface Entry {
  session: ClientHttp2Session;
  ready: Promise<SessionResult>;
  /** Streams open on it: a session with any is never closed for being idle. */
  streams: number;
}

export class H2Sessions {
  readonly #entries = new Map<string, Entry>();
  readonly #bySession = new WeakMap<ClientHttp2Session, Entry>();
  readonly #idleTimeoutMs: number;

  constructor(options: { idleTimeoutMs?: number } = {}) {
    this.#idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  }

  /** Sessions open now (for tests and `/metrics`-style read-outs). */
  get size(): number {
    return this.#entries.size;
  }

  /** A connected session to `address` (host:port), reused while it accepts streams. */
  get(address: string): Promise<SessionResult> {
    const entry = this.#entries.get(address);
    if (entry !== undefined && !entry.session.closed && !entry.session.destroyed) return entry.ready;
    return this.#open(address).ready;
  }

  /** Counts a stream on the session, so that it is not closed as idle until `done` is called. */
  track(session: ClientHttp2Session): () => void {
    const entry = this.#bySession.get(session);
    if (entry === undefined) return () => {};
    entry.streams++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      entry.streams--;
    };
  }

  /** Closes (gracefully: open streams finish) the sessions of addresses no longer in use. */
  retainOnly(addresses: ReadonlySet<string>): void {
    for (const [address, entry] of this.#entries) {
      if (addresses.has(address)) continue;
      this.#entries.delete(address);
      entry.session.close();
    }
  }

  close(): void {
    for (const entry of this.#entries.values()) entry.session.destroy();
    this.#entries.clear();
  }

  #open(address: string): Entry {
    const session = http2.connect(`http://${address}`, { peerMaxConcurrentStreams: 1_000 });
    const forget = (): void => {
      if (this.#entries.get(address)?.session === session) this.#entries.delete(address);
    };
    const ready = new Promise<SessionResult>((resolve) => {
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`connect timeout after ${CONNECT_TIMEOUT_MS} ms`), {
          code: 'UND_ERR_CONNECT_TIMEOUT',
        });
        resolve({ error: err });
        session.destroy();
      }, CONNECT_TIMEOUT_MS);
      session.once('connect', () => {
        clearTimeout(timer);
        resolve({ session });
      });
      session.once('error', (err: Error) => {
        clearTimeout(timer);
        resolve({ error: err });
      });
      session.once('close', () => {
        clearTimeout(timer);
        resolve({ error: Object.assign(new Error('session closed'), { code: 'ECONNRESET' }) });
      });
    });
    // After 'connect' a session error also reaches its streams; this listener only keeps it from throwing.
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    session.setTimeout(this.#idleTimeoutMs, () => {
      const entry = this.#entries.get(address);
      if (entry?.session === session && entry.streams > 0) return;
      forget();
      session.close();
    });
    const entry: Entry = { session, ready, streams: 0 };
    this.#entries.set(address, entry);
    this.#bySession.set(session, entry);
    return entry;
  }
}
