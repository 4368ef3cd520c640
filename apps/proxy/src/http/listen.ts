/** Binding a server to a flag's address, with an error that names both. */
import type { Server } from 'node:net';
import { formatHostPort, type HostPort } from '@weft/schema';

export class ListenError extends Error {
  override readonly name = 'ListenError';
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use (another process listens there; pick another port)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host name does not resolve',
};

/** Resolves with the bound address (the real port when 0 was asked for). */
export function listen(server: Server, address: HostPort, flag: string): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const reason = (err.code && REASONS[err.code]) ?? err.message;
      reject(new ListenError(`cannot listen on ${formatHostPort(address)} (${flag}): ${reason}`));
    };
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      const bound = server.address();
      const port = bound !== null && typeof bound === 'object' ? bound.port : address.port;
      resolve({ ...address, port });
    });
  });
}
