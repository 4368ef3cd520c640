import net from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export function formatHostPort(hp: HostPort): string {
  return `${hp.host}:${hp.port}`;
}

/** Parses "host:port" (IPv4 or name; IPv6 as "[::1]:80"). Throws with a readable message. */
export function parseHostPort(value: string): HostPort {
  const m = /^(\[[^\]]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(value);
  if (!m) throw new Error(`"${value}" is not host:port`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`"${value}": port must be 0-65535`);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

/** Why host:port cannot be bound right now ("EADDRINUSE", "EACCES", ...), or null when it is free. */
export function portProblem(port: number, host = '127.0.0.1'): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen({ port, host, exclusive: true }, () => {
      srv.close(() => resolve(null));
    });
  });
}

/** True when nothing listens on host:port (we could bind it ourselves right now). */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await portProblem(port, host)) === null;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
