/** Real sockets on 127.0.0.1 for the integration tests: upstream apps, an OTLP receiver, proxies in-process. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll } from 'vitest';
import {
  formatHostPort,
  Headers,
  type HostPort,
  type ProxyConfig,
  type ServiceEndpoints,
} from '@weft/schema';
import type { ProxyOptions } from '../src/cli/flags.ts';
import type { Logger } from '../src/log.ts';
import { startProxy, type ProxyTuning, type RunningProxy } from '../src/proxy.ts';

export const LOOPBACK = '127.0.0.1';

export function loopback(port: number): HostPort {
  return { host: LOOPBACK, port, family: 'ipv4' };
}

export interface TestServer {
  address: HostPort;
  /** "127.0.0.1:port" or "[::1]:port" */
  hostPort: string;
  close(): Promise<void>;
}

export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  /** Where to listen; IPv4 loopback unless a test asks for [::1]. */
  on: HostPort = loopback(0),
): Promise<TestServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(on.port, on.host, resolve));
  const { port } = server.address() as AddressInfo;
  const address = { ...on, port };
  return {
    address,
    hostPort: formatHostPort(address),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  remotePort: number;
}

/**
 * The application behind a proxy. Paths: /status/NNN answers NNN; /slow/MS waits MS first; anything else
 * echoes the request as JSON. Every request is recorded.
 */
export async function startApp(
  name: string,
  /** Handlers that take over a path before the body is read (streaming tests). */
  raw: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {},
  on?: HostPort,
): Promise<TestServer & { seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = await startServer((req, res) => {
    const custom = raw[req.url ?? ''];
    if (custom) {
      custom(req, res);
      return;
    }
    void readBody(req).then((body) => {
      const url = req.url ?? '/';
      seen.push({
        method: req.method ?? '',
        url,
        headers: req.headers,
        body,
        remotePort: req.socket.remotePort ?? 0,
      });
      const status = /^\/status\/(\d{3})/.exec(url);
      const slow = /^\/slow\/(\d+)/.exec(url);
      const answer = (): void => {
        res.writeHead(status ? Number(status[1]) : 200, {
          'content-type': 'application/json',
          'x-app': name,
          connection: 'keep-alive, x-app-hop',
          'x-app-hop': 'must not leave the proxy',
        });
        res.end(
          JSON.stringify({
            app: name,
            method: req.method,
            url,
            headers: req.headers,
            bodyLength: body.length,
          }),
        );
      };
      if (slow) setTimeout(answer, Number(slow[1]));
      else answer();
    });
  }, on);
  return { ...server, seen };
}

export interface OtlpReceiver extends TestServer {
  url: URL;
  traces: unknown[];
  metrics: unknown[];
  /** Status codes to answer the next POSTs with (then 200). */
  failNext: number[];
  /** Every request, including register/config calls answered 404. */
  calls: string[];
}

/** A plain OTLP/HTTP JSON receiver: stores what arrives on /v1/traces and /v1/metrics, 404 for the rest. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const traces: unknown[] = [];
  const metrics: unknown[] = [];
  const failNext: number[] = [];
  const calls: string[] = [];
  const server = await startServer((req, res) => {
    void readBody(req).then((body) => {
      calls.push(`${req.method} ${req.url}`);
      const isOtlp = req.method === 'POST' && (req.url === '/v1/traces' || req.url === '/v1/metrics');
      if (!isOtlp) {
        res.writeHead(404).end();
        return;
      }
      const fail = failNext.shift();
      if (fail !== undefined) {
        res.writeHead(fail, { 'content-type': 'text/plain' }).end(`scripted ${fail}`);
        return;
      }
      (req.url === '/v1/traces' ? traces : metrics).push(JSON.parse(body.toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { ...server, url: new URL(`http://${server.hostPort}`), traces, metrics, failNext, calls };
}

let configDir: string | undefined;
let configCount = 0;

// Registered at import, so it runs after every test file that uses these helpers.
afterAll(() => {
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
  configDir = undefined;
});

/** Writes a static ProxyConfig file in a temporary folder removed after the test file. */
export function writeConfig(config: ProxyConfig): string {
  configDir ??= mkdtempSync(join(tmpdir(), 'weft-proxy-test-'));
  const path = join(configDir, `config-${++configCount}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

export function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

export interface TestProxyOptions {
  service: string;
  namespace?: string;
  version?: string;
  app: HostPort;
  controlPlane?: URL;
  configFile?: string;
  flushIntervalMs?: number;
  configPollMs?: number;
  /** WEFT_PROXY_TOKEN */
  token?: string;
  /** Host of the three listeners (OS-assigned ports); 127.0.0.1 by default. */
  listenHost?: HostPort;
  tuning?: Partial<ProxyTuning>;
  /** --trace-sampling-percent; 100 by default here, so tests see the span of every request. */
  traceSamplingPercent?: number;
  /** --trace-slow-threshold-ms; the proxy's default when absent. */
  traceSlowThresholdMs?: number;
}

export async function startTestProxy(
  o: TestProxyOptions,
): Promise<RunningProxy & { log: ReturnType<typeof recordingLog> }> {
  const any = { ...(o.listenHost ?? loopback(0)), port: 0 };
  const namespace = o.namespace ?? 'shop';
  const options: ProxyOptions = {
    service: o.service,
    namespace,
    version: o.version ?? 'v1',
    app: o.app,
    inbound: any,
    outbound: any,
    admin: any,
    advertise: undefined,
    controlPlane: o.controlPlane,
    proxyId: `${o.service}.${namespace}-test`,
    flushIntervalMs: o.flushIntervalMs ?? 5000,
    configPollMs: o.configPollMs ?? 2000,
    configFile: o.configFile,
    traceSamplingPercent: o.traceSamplingPercent ?? 100,
    traceSlowThresholdMs: o.traceSlowThresholdMs,
  };
  const log = recordingLog();
  const proxy = await startProxy(options, { controlPlaneToken: o.token }, log, o.tuning);
  return Object.assign(proxy, { log });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface SendOptions {
  method?: string;
  /** Request target as sent: a path, or an absolute URL for forward-proxy style. */
  target?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  onFirstChunk?: () => void;
}

/** One HTTP/1.1 request on a fresh connection, target sent verbatim. */
export function send(to: Pick<HostPort, 'host' | 'port'>, o: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: to.host,
        port: to.port,
        method: o.method ?? 'GET',
        path: o.target ?? '/',
        headers: o.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (chunks.length === 0) o.onFirstChunk?.();
          chunks.push(c);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = o.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** One answer as the client saw it: the app that served it (x-app), or what went wrong. */
export interface Outcome {
  status: number;
  app: string | undefined;
  /** x-weft-proxy-error of a reply the proxy wrote itself. */
  proxyError?: string;
  error?: string;
}

/**
 * A GET through `agent` (keep-alive: load reuses connections, as an application's client would); never
 * rejects, a failure is an outcome too.
 */
export function getThrough(
  agent: http.Agent,
  to: Pick<HostPort, 'host' | 'port'>,
  o: { host: string; path?: string; headers?: Record<string, string> },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: to.host, port: to.port, path: o.path ?? '/', agent, headers: { host: o.host, ...o.headers } },
      (res) => {
        res.resume();
        res.on('end', () => {
          const app = res.headers['x-app'];
          const proxyError = res.headers[Headers.proxyError];
          resolve({
            status: res.statusCode ?? 0,
            app: typeof app === 'string' ? app : undefined,
            ...(typeof proxyError === 'string' ? { proxyError } : {}),
          });
        });
        res.on('error', (err) => resolve({ status: 0, app: undefined, error: err.message }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, app: undefined, error: err.message }));
    req.end();
  });
}

/** `total` requests, `concurrency` at a time. */
export async function run(
  total: number,
  concurrency: number,
  one: () => Promise<Outcome>,
): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        out.push(await one());
      }
    }),
  );
  return out;
}

/** Answers per app that served them; anything else counted under what went wrong. */
export function countApps(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key =
      o.status === 200 && o.app !== undefined
        ? o.app
        : `failed: ${o.status} ${o.proxyError ?? ''}${o.error ?? ''}`.trimEnd();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export async function adminGet(proxy: RunningProxy, path: string): Promise<Reply> {
  return send(proxy.addresses.admin, { target: path });
}

/** The value of one Prometheus sample, by metric name and an exact label set; undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const rendered = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const prefix = rendered === '' ? `${name} ` : `${name}{${rendered}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function hostPortOf(a: HostPort): string {
  return formatHostPort(a);
}

export interface ChainOptions {
  /** Control plane of the "web" proxy (where it pushes telemetry); a closed port when absent. */
  controlPlane?: URL;
  /** Control plane of the "catalog" proxy; the same as web's when absent. */
  catalogControlPlane?: URL;
  flushIntervalMs?: number;
  /** How the catalog app answers (see startApp). */
  app?: Parameters<typeof startApp>[1];
  catalogTuning?: Partial<ProxyTuning>;
  /** Services in web's config besides catalog. */
  moreServices?: ServiceEndpoints[];
  /** Both proxies' --trace-sampling-percent (100 when absent) and --trace-slow-threshold-ms. */
  traceSamplingPercent?: number;
  traceSlowThresholdMs?: number;
}

function sampling(o: ChainOptions): Pick<TestProxyOptions, 'traceSamplingPercent' | 'traceSlowThresholdMs'> {
  return {
    ...(o.traceSamplingPercent === undefined ? {} : { traceSamplingPercent: o.traceSamplingPercent }),
    ...(o.traceSlowThresholdMs === undefined ? {} : { traceSlowThresholdMs: o.traceSlowThresholdMs }),
  };
}

/**
 * The two-proxy chain most tests use: test client → outbound of "web" (v1) → inbound of "catalog" (v2) →
 * catalog app. Both proxies take their config from static files.
 */
export async function startChain(o: ChainOptions = {}) {
  const controlPlane = o.controlPlane ?? new URL(`http://${LOOPBACK}:${await closedPort()}`);
  const app = await startApp('catalog', o.app);
  const catalog = await startTestProxy({
    service: 'catalog',
    version: 'v2',
    app: app.address,
    controlPlane: o.catalogControlPlane ?? controlPlane,
    flushIntervalMs: o.flushIntervalMs,
    configFile: writeConfig({ version: 'catalog-1', services: [] }),
    tuning: o.catalogTuning,
    ...sampling(o),
  });
  const web = await startTestProxy({
    service: 'web',
    app: loopback(await closedPort()),
    controlPlane,
    flushIntervalMs: o.flushIntervalMs,
    // Only web's outbound listener is used: it has no app to check (readiness.integration.test.ts does that).
    tuning: { appCheckIntervalMs: 0 },
    ...sampling(o),
    configFile: writeConfig({
      version: 'web-1',
      services: [
        {
          name: 'catalog',
          namespace: 'shop',
          endpoints: [
            { proxyId: 'catalog.shop-test', address: hostPortOf(catalog.addresses.inbound), version: 'v2' },
          ],
        },
        ...(o.moreServices ?? []),
      ],
    }),
  });
  return {
    app,
    catalog,
    web,
    stop: async () => {
      await Promise.all([web.stop(), catalog.stop()]);
      await app.close();
    },
  };
}
