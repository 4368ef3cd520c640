/**
 * Assembles one proxy from its options: config, the two listener stacks, the admin port, telemetry
 * push and the control-plane client. `startProxy` resolves once every listener is bound.
 */
import type { Server } from 'node:http';
import {
  formatHostPort,
  REGISTRATION_RETRY_MAX_MS,
  type HostPort,
  type ProxyRegistration,
} from '@weft/schema';
import { createAdminServer } from './admin/admin-server.ts';
import { renderMetricsPage, type SignalStatus } from './admin/metrics-page.ts';
import type { ProxyOptions } from './cli/flags.ts';
import { readConfigFile } from './config/config-file.ts';
import { ConfigStore, logApplied } from './config/config-store.ts';
import { ConfigPoller } from './control-plane/config-poller.ts';
import { ConfigStream } from './control-plane/config-stream.ts';
import { ControlPlaneHttp } from './control-plane/control-plane-http.ts';
import { Registration } from './control-plane/registration.ts';
import type { ProxyEnv } from './env.ts';
import { listen } from './http/listen.ts';
import { createListener } from './http/listener.ts';
import type { WorkloadIdentity } from './identity.ts';
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from './layers/timeout.ts';
import type { Logger } from './log.ts';
import { roundRobin } from './routing/round-robin.ts';
import { inboundStack } from './stacks/inbound.ts';
import { outboundStack } from './stacks/outbound.ts';
import { Backoff } from './telemetry/backoff.ts';
import { BoundedQueue } from './telemetry/bounded-queue.ts';
import { encodeMetrics, resourceAttributes, traceRequestJson } from './telemetry/otlp-encode.ts';
import { otlpTransport } from './telemetry/otlp-transport.ts';
import { RequestMetrics, type DeltaPoint } from './telemetry/request-metrics.ts';
import { SignalExporter, type TelemetryChannel } from './telemetry/signal-exporter.ts';
import { SpanBuffer } from './telemetry/span-buffer.ts';
import { TelemetryPusher } from './telemetry/telemetry-pusher.ts';
import { UpstreamPools } from './upstream/upstream-pools.ts';

export interface ProxyTuning {
  /** Time allowed for an upstream's response headers. */
  upstreamTimeoutMs: number;
  /** Spans kept while the control plane is unreachable; the oldest go first beyond it. */
  spanBufferCapacity: number;
  /** Metric data points kept likewise (one per edge and status per flush). */
  metricPointBufferCapacity: number;
  /** Most items per OTLP request. */
  exportBatchSize: number;
  /** How long in-flight requests may finish at shutdown. */
  drainGraceMs: number;
}

export const DEFAULT_TUNING: ProxyTuning = {
  upstreamTimeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS,
  spanBufferCapacity: 100_000,
  metricPointBufferCapacity: 50_000,
  exportBatchSize: 2_000,
  drainGraceMs: 3_000,
};

export interface RunningProxy {
  readonly proxyId: string;
  readonly self: WorkloadIdentity;
  readonly addresses: { inbound: HostPort; outbound: HostPort; admin: HostPort };
  readonly readyLine: string;
  /** Stops accepting, drains, flushes telemetry, deregisters. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startProxy(
  options: ProxyOptions,
  env: ProxyEnv,
  log: Logger,
  tuning: Partial<ProxyTuning> = {},
): Promise<RunningProxy> {
  const t: ProxyTuning = { ...DEFAULT_TUNING, ...tuning };
  const self: WorkloadIdentity = {
    service: options.service,
    namespace: options.namespace,
    version: options.version,
  };
  const metrics = new RequestMetrics(Date.now());
  const config = new ConfigStore(roundRobin);
  const appPools = new UpstreamPools();
  const meshPools = new UpstreamPools();
  config.onApplied((active) => meshPools.retainOnly(active.routes.addresses()));

  if (options.configFile !== undefined) {
    const result = config.offer(await readConfigFile(options.configFile), 'file');
    if (result.kind === 'applied' && result.newlyRefused.length > 0) logApplied(result, log);
  }

  const cp = options.controlPlane
    ? new ControlPlaneHttp(options.controlPlane, env.controlPlaneToken)
    : undefined;
  const spanQueue = cp ? new BoundedQueue<string>(t.spanBufferCapacity) : undefined;
  const spans = spanQueue ? new SpanBuffer(spanQueue) : undefined;
  const pointQueue = new BoundedQueue<DeltaPoint>(t.metricPointBufferCapacity);

  const inbound = createListener(
    inboundStack({
      self,
      app: formatHostPort(options.app),
      metrics,
      spans,
      pools: appPools,
      timeoutMs: t.upstreamTimeoutMs,
      log,
    }),
    log,
  );
  const outbound = createListener(
    outboundStack({
      self,
      routes: () => config.active?.routes,
      metrics,
      spans,
      pools: meshPools,
      timeoutMs: t.upstreamTimeoutMs,
      log,
    }),
    log,
  );

  let listening = false;
  let draining = false;
  let configStream: ConfigStream | undefined;
  let registration: Registration | undefined;
  const exporters: TelemetryChannel[] = [];

  const admin = createAdminServer({
    notReadyReason: () => {
      if (draining) return 'shutting down';
      if (!listening) return 'listeners not bound yet';
      if (config.active === undefined) {
        const problem = configStream?.lastProblem;
        return `no config loaded yet${problem ? ` (${problem})` : ''}`;
      }
      return undefined;
    },
    config: () => config.active,
    metrics: () =>
      renderMetricsPage({
        proxyId: registration?.proxyId ?? options.proxyId,
        self,
        metrics,
        config,
        inFlight: { inbound: inbound.inFlight, outbound: outbound.inFlight },
        registered: registration?.registered,
        telemetry: exporters.map(signalStatus),
      }),
  });

  const addresses = await bindAll([
    [inbound.server, options.inbound, '--inbound'],
    [outbound.server, options.outbound, '--outbound'],
    [admin, options.admin, '--admin'],
  ]);
  const [inboundAddress, outboundAddress, adminAddress] = addresses as [HostPort, HostPort, HostPort];
  listening = true;

  let pusher: TelemetryPusher | undefined;
  if (cp && spanQueue) {
    const resource = resourceAttributes(self, options.proxyId);
    const transport = otlpTransport(cp, log);
    const spanExporter = new SignalExporter<string>({
      signal: 'spans',
      path: '/v1/traces',
      queue: spanQueue,
      encode: (encoded) => traceRequestJson(resource, encoded),
      transport,
      backoff: new Backoff({ initialMs: 1_000, maxMs: 30_000 }),
      maxBatch: t.exportBatchSize,
      now: Date.now,
      log,
    });
    const metricExporter = new SignalExporter<DeltaPoint>({
      signal: 'metrics',
      path: '/v1/metrics',
      queue: pointQueue,
      encode: (points) => JSON.stringify(encodeMetrics(resource, points)),
      transport,
      backoff: new Backoff({ initialMs: 1_000, maxMs: 30_000 }),
      maxBatch: t.exportBatchSize,
      now: Date.now,
      log,
    });
    exporters.push(spanExporter, metricExporter);
    pusher = new TelemetryPusher({
      metrics,
      metricPoints: pointQueue,
      exporters,
      intervalMs: options.flushIntervalMs,
      now: Date.now,
    });
    pusher.start();

    const body: ProxyRegistration = {
      proxyId: options.proxyId,
      service: options.service,
      namespace: options.namespace,
      version: options.version,
      inboundAddress: formatHostPort(options.advertise ?? inboundAddress),
      adminAddress: formatHostPort(adminAddress),
      mode: 'sidecar',
    };
    registration = new Registration({
      http: cp,
      registration: body,
      // Capped so that every live proxy re-registers within the API's post-restart warm-up.
      backoff: new Backoff({ initialMs: 1_000, maxMs: REGISTRATION_RETRY_MAX_MS }),
      log,
    });
    registration.start();
    if (options.configFile === undefined) {
      const reg = registration;
      configStream = new ConfigStream({
        http: cp,
        proxyId: () => reg.proxyId,
        isRegistered: () => reg.registered,
        store: config,
        // Only against an API without the stream endpoint.
        fallback: new ConfigPoller({
          http: cp,
          proxyId: () => reg.proxyId,
          store: config,
          intervalMs: options.configPollMs,
          log,
        }),
        log,
      });
      configStream.start();
    }
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      draining = true;
      configStream?.stop();
      await Promise.all([inbound.drain(t.drainGraceMs), outbound.drain(t.drainGraceMs)]);
      await pusher?.stop(2_000);
      await registration?.stop(1_500);
      await Promise.all([closeServer(admin), appPools.close(), meshPools.close(), cp?.close()]);
    })());

  const readyLine =
    `weft-proxy ${options.service}.${options.namespace}@${options.version} ready: ` +
    `inbound ${formatHostPort(inboundAddress)} -> app ${formatHostPort(options.app)}, ` +
    `outbound ${formatHostPort(outboundAddress)}, admin ${formatHostPort(adminAddress)}`;

  return {
    get proxyId() {
      return registration?.proxyId ?? options.proxyId;
    },
    self,
    addresses: { inbound: inboundAddress, outbound: outboundAddress, admin: adminAddress },
    readyLine,
    stop,
  };
}

/** Binds in order; if one fails, closes those already bound and rethrows (a ListenError naming the flag). */
async function bindAll(servers: [Server, HostPort, string][]): Promise<HostPort[]> {
  const bound: HostPort[] = [];
  try {
    for (const [server, address, flag] of servers) bound.push(await listen(server, address, flag));
    return bound;
  } catch (err) {
    await Promise.all(servers.slice(0, bound.length).map(([server]) => closeServer(server)));
    throw err;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function signalStatus(e: TelemetryChannel): SignalStatus {
  return {
    signal: e.signal,
    queued: e.queued,
    droppedBufferFull: e.dropped,
    droppedRejected: e.rejected,
    droppedUnauthorized: e.unauthorized,
    exported: e.exported,
    failedAttempts: e.failedAttempts,
  };
}
