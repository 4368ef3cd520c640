/**
 * Overload protection of a client-facing listener: how many connections it holds, how long a client may
 * take to send its headers, how long an idle keep-alive connection stays open.
 *
 * Why the numbers are what they are:
 * - Keep-alive: the server must close an idle connection LATER than every client would, or a client
 *   sends its next request on a connection the server is closing at that instant and the request is
 *   reset (the keep-alive race). Clients close idle connections after: undici 4 s (and our own pools,
 *   upstream-pools.ts, at most 30 s), Node's http.Agent 5 s, Go's net/http 90 s. 120 s outlasts them;
 *   clients that honour `Keep-Alive: timeout=120` (Node, undici) stay under it by themselves.
 * - Headers: a client that trickles its header block (slowloris) holds a connection forever under
 *   Node's 60 s default checked every 30 s; 10 s is plenty for a header block on any real link, and the
 *   check runs every second.
 * - Connections: every open connection is a file descriptor, and so is each upstream connection it
 *   causes. When the process runs out (EMFILE), no listener can accept any more, the admin listener
 *   included, so `/live` fails and the orchestrator restarts a proxy that was merely busy. The default
 *   keeps both data listeners, at one upstream connection per client connection, well inside the
 *   process's open-files limit, with room left for the admin listener and the control plane.
 */
import { readFileSync } from 'node:fs';

export interface ListenerLimits {
  /** Open client connections per listener; beyond it each request is answered 503 and the connection closed. */
  maxConnections: number;
  /** Time a client has to send a complete header block (then 408 and close). */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included (Node's requestTimeout; 0: none). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
}

/** Used when the open-files limit cannot be read (not Linux). */
export const FALLBACK_MAX_CONNECTIONS = 4_096;
/** Descriptors kept for everything but data connections: admin listener, control plane, logs, modules. */
const RESERVED_FILES = 256;
const MAX_DEFAULT_CONNECTIONS = 16_384;
const MIN_DEFAULT_CONNECTIONS = 64;

export const DEFAULT_LISTENER_LIMITS: Omit<ListenerLimits, 'maxConnections'> = {
  headersTimeoutMs: 10_000,
  // Node's default; bodies that trickle are bounded more tightly by the body idle timeout upstream.
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 120_000,
};

/**
 * Per data listener: a quarter of the descriptors left after the reserve (two listeners, each client
 * connection with its upstream connection), within [64, 16384].
 */
export function defaultMaxConnections(openFilesLimit: number | undefined): number {
  if (openFilesLimit === undefined || !Number.isFinite(openFilesLimit)) return FALLBACK_MAX_CONNECTIONS;
  const share = Math.floor((openFilesLimit - RESERVED_FILES) / 4);
  return Math.min(MAX_DEFAULT_CONNECTIONS, Math.max(MIN_DEFAULT_CONNECTIONS, share));
}

/** The soft "Max open files" of this process from /proc/self/limits; undefined off Linux or when unlimited. */
export function readOpenFilesLimit(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (match === null || match[1] === 'unlimited') return undefined;
  return Number(match[1]);
}

/** Connections over the limit that may wait for their 503 at one time (older ones are dropped for newer). */
export function refusalAllowance(maxConnections: number): number {
  return Math.max(8, Math.ceil(maxConnections / 4));
}

/** How often Node looks for connections past their header or request deadline. */
export function connectionsCheckingIntervalMs(limits: ListenerLimits): number {
  return Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4)));
}
