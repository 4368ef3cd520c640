/**
 * An in-process Kubernetes API server for tests and the demo's Kubernetes mode.
 *
 *   const api = await startKubeApiServer({ host: '127.0.0.1', port: 0 });
 *   const kc = new KubeConfig(); kc.loadFromString(api.kubeconfig());
 *   api.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
 *   api.store.compact(); // the next watch from an older resourceVersion gets 410 Expired
 *   await api.close();
 *
 * What it serves and how closely it follows the real kube-apiserver is described in README.md next to this file.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify as toYaml } from 'yaml';
import { createHandler } from './http.ts';
import { KubeStore, type StoreOptions } from './store.ts';

export { KubeStore } from './store.ts';
export type {
  ListResult,
  RequestScope,
  StoreOptions,
  WatchEvent,
  WriteOptions,
  WriteResult,
} from './store.ts';
export { KubeApiError, type Status, type StatusCause } from './errors.ts';
export { KUBERNETES_VERSION } from './http.ts';

export interface KubeApiServerOptions extends StoreOptions {
  /** Only loopback is allowed: 127.0.0.1 (default). */
  host?: '127.0.0.1';
  /** 0 (default): a port the OS hands out. */
  port?: number;
  /** BOOKMARK interval for watches with allowWatchBookmarks=true. Default 60 000 ms, like the real server. */
  bookmarkIntervalMs?: number;
  /** How long a watch without timeoutSeconds stays open. Default 1800 s. */
  watchTimeoutSeconds?: number;
  /** Called for every request before it is handled (tests use it to see what a client asked for). */
  onRequest?: (request: { method: string; url: string }) => void;
}

export interface KubeconfigOptions {
  /** Namespace of the context. Default "default". */
  namespace?: string;
  /** Name of the cluster, user and context. Default "weft-test". */
  name?: string;
}

export interface KubeApiServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Direct access to the state, with the same semantics as the HTTP API. */
  readonly store: KubeStore;
  /** A kubeconfig (YAML) for this server: plain http with insecure-skip-tls-verify, as @kubernetes/client-node needs. */
  kubeconfig(options?: KubeconfigOptions): string;
  writeKubeconfig(path: string, options?: KubeconfigOptions): Promise<void>;
  /** Ends all watches and closes the listener and every connection. */
  close(): Promise<void>;
}

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`the test API server binds 127.0.0.1 only (got ${String(host)})`);
  let port = 0;
  const store = new KubeStore({
    ...options,
    apiServerAddress: options.apiServerAddress ?? { ip: '127.0.0.1', port: 6443 },
  });
  const handler = createHandler(store, {
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    watchTimeoutSeconds: options.watchTimeoutSeconds ?? 1800,
    serverAddress: () => `${host}:${port}`,
  });
  const server: Server = createServer((req, res) => {
    options.onRequest?.({ method: req.method ?? 'GET', url: req.url ?? '/' });
    void handler(req, res);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;

  const kubeconfig = (kc: KubeconfigOptions = {}): string => {
    const name = kc.name ?? 'weft-test';
    return toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name, user: { token: 'weft-test-token' } }],
      contexts: [{ name, context: { cluster: name, user: name, namespace: kc.namespace ?? 'default' } }],
      'current-context': name,
      preferences: {},
    });
  };

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    store,
    kubeconfig,
    async writeKubeconfig(path, kc) {
      await writeFile(path, kubeconfig(kc), { mode: 0o600 });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        store.endAllWatches();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
