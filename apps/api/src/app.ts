/** Assembles the API process: database, registry, HTTP server. Used by main.ts and by integration tests. */
import type { AddressInfo } from 'node:net';
import { openDatabase } from './db/client.ts';
import type { ApiEnv } from './env.ts';
import { createApiServer } from './http/server.ts';
import { ServiceRegistry } from './registry/registry.ts';

export interface RunningApi {
  url: string;
  provider: string;
  location: string;
  close(): Promise<void>;
}

export class ListenError extends Error {}

export async function startApi(
  env: Pick<
    ApiEnv,
    'host' | 'port' | 'databaseUrl' | 'proxyTtlSeconds' | 'heartbeatSeconds' | 'maxBodyBytes'
  >,
  log: (line: string) => void = (line) => console.error(line),
): Promise<RunningApi> {
  const database = await openDatabase(env.databaseUrl);
  const registry = new ServiceRegistry(database.db, {
    ttlSeconds: env.proxyTtlSeconds,
    heartbeatSeconds: env.heartbeatSeconds,
  });
  const server = createApiServer({ db: database.db, registry, maxBodyBytes: env.maxBodyBytes, log });
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(env.port, env.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await database.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new ListenError(
        `port ${env.port} on ${env.host} is already in use; stop what is using it or set WEFT_API_PORT to a free port`,
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new ListenError(
        `cannot listen on ${env.host}:${env.port} (${code}); check WEFT_API_HOST / WEFT_API_PORT`,
      );
    }
    throw err;
  }
  const address = server.address() as AddressInfo;
  return {
    url: `http://${env.host}:${address.port}`,
    provider: database.provider,
    location: database.location,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await database.close();
    },
  };
}
