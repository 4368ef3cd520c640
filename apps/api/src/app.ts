/** Assembles the API process: database, auth, registry, HTTP server. Used by main.ts and by integration tests. */
import type { AddressInfo } from 'node:net';
import { BOOTSTRAP_ADMIN_USERNAME, defaultRetention } from '@weft/schema';
import { createAuthServices } from './auth/services.ts';
import { ConfigStreamHub } from './config-stream/hub.ts';
import { openDatabase } from './db/client.ts';
import type { ApiEnv } from './env.ts';
import { createApiServer } from './http/server.ts';
import { exportConfig } from './export/otlp-export-config.ts';
import { createOtlpExporter } from './export/otlp-exporter.ts';
import { startRetention } from './ingest/retention.ts';
import { WriteQueue } from './ingest/write-queue.ts';
import { registryServices } from './policies/cluster-view.ts';
import { UniversalPolicyPlatform } from './policies/universal.ts';
import { startKubernetesPlatform, type KubernetesPlatform } from './platforms/kubernetes/index.ts';
import { useRetention } from './queries/rollup-reader.ts';
import { ServiceRegistry } from './registry/registry.ts';

export interface RunningApi {
  url: string;
  provider: string;
  location: string;
  close(): Promise<void>;
}

export type StartOptions = Pick<
  ApiEnv,
  'host' | 'port' | 'databaseUrl' | 'proxyTtlSeconds' | 'heartbeatSeconds' | 'maxBodyBytes'
> &
  Partial<Pick<ApiEnv, 'adminPassword' | 'secureCookies' | 'oidc' | 'platform' | 'retention'>> &
  Partial<Pick<ApiEnv, 'outboundTrafficPolicy' | 'otlpExport'>>;

export class ListenError extends Error {}

export async function startApi(
  env: StartOptions,
  log: (line: string) => void = (line) => console.error(line),
): Promise<RunningApi> {
  const database = await openDatabase(env.databaseUrl);
  const auth = createAuthServices(database.db, {
    oidc: env.oidc ?? null,
    secureCookies: env.secureCookies ?? 'auto',
  });
  try {
    const created = await auth.users.ensureBootstrapAdmin(env.adminPassword);
    if (created?.generated) {
      log(
        [
          `weft-api: created the first admin user "${BOOTSTRAP_ADMIN_USERNAME}" with this one-time password (shown only now):`,
          `    ${created.password}`,
          '  Sign in to the console with it and change it, or set WEFT_ADMIN_PASSWORD before the first start.',
        ].join('\n'),
      );
    } else if (created) {
      log(
        `weft-api: created the first admin user "${BOOTSTRAP_ADMIN_USERNAME}" with the password in WEFT_ADMIN_PASSWORD`,
      );
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  let kubernetes: KubernetesPlatform | undefined;
  if (env.platform?.name === 'kubernetes') {
    try {
      kubernetes = await startKubernetesPlatform(env.platform.kubeconfig, database.db, { log });
      log(`weft-api: Kubernetes platform, API server ${kubernetes.policies.server}`);
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  const registry = new ServiceRegistry(database.db, {
    ttlSeconds: env.proxyTtlSeconds,
    heartbeatSeconds: env.heartbeatSeconds,
    endpoints: kubernetes?.endpoints,
    ...(env.outboundTrafficPolicy === undefined ? {} : { outboundTrafficPolicy: env.outboundTrafficPolicy }),
    log,
  });
  const policies =
    kubernetes?.policies ??
    new UniversalPolicyPlatform(database.db, {
      services: () => registryServices(database.db, registry),
      clusterChanges: (listener) => registry.onChange(listener),
      // A Service exists while it has registrations: one instance restarting must not drop its policies.
      revalidation: { targetGraceMs: env.proxyTtlSeconds * 1000 },
      log,
    });
  const universal = policies instanceof UniversalPolicyPlatform ? policies : undefined;
  const configStream = new ConfigStreamHub({ source: registry, log });
  configStream.usePolicies(policies);
  const retentionSettings = env.retention ?? defaultRetention();
  useRetention(retentionSettings);
  const retention = startRetention(database.db, retentionSettings, log);
  const writeQueue = new WriteQueue();
  const exporter = env.otlpExport ? createOtlpExporter(exportConfig(env.otlpExport), log) : undefined;
  if (env.otlpExport)
    log(`weft-api: exporting telemetry over OTLP to ${new URL(env.otlpExport.endpoint).origin}`);
  const server = createApiServer({
    db: database.db,
    writeQueue,
    exporter,
    registry,
    auth,
    policies,
    configStream,
    maxBodyBytes: env.maxBodyBytes,
    log,
  });
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
    configStream.close();
    universal?.close();
    await retention.stop();
    await exporter?.close();
    await kubernetes?.close();
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
      configStream.close();
      universal?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await retention.stop();
      await writeQueue.drain();
      await exporter?.close();
      await kubernetes?.close();
      await database.close();
    },
  };
}
