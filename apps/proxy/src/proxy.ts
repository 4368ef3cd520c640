/**
 * Assembles one proxy from its options: config, the two listener stacks, the admin port, telemetry
 * push and the control-plane client. `startProxy` resolves once every listener is bound.
 */
import type { Server } from 'node:http';
import {
  formatHostPort,
  Headers,
  REGISTRATION_RETRY_MAX_MS,
  topologyLabelSchema,
  type HostPort,
  type ProxyRegistration,
  TraceSampling,
  DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE,
  EgressLimits,
} from '@weft/schema';
import { createAdminServer } from './admin/admin-server.ts';
import { renderMetricsPage, type SignalStatus } from './admin/metrics-page.ts';
import { AppReadiness, AppReadinessChecker } from './app-readiness/app-readiness.ts';
import { probeApp } from './app-readiness/app-probe.ts';
import { readyPathProblem, samplingSettingProblem, type ProxyOptions } from './cli/flags.ts';
import { readConfigFile } from './config/config-file.ts';
import { ConfigStore, logApplied } from './config/config-store.ts';
import { ConfigPoller } from './control-plane/config-poller.ts';
import { ConfigStream } from './control-plane/config-stream.ts';
import { ControlPlaneHttp } from './control-plane/control-plane-http.ts';
import { Registration } from './control-plane/registration.ts';
import type { ProxyEnv } from './env.ts';
import { listen } from './http/listen.ts';
import { createListener } from './http/listener.ts';
import { defaultMaxConnections, readOpenFilesLimit, type ListenerLimits } from './http/listener-limits.ts';
import { formatIdentity, type WorkloadIdentity } from './identity.ts';
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from './layers/timeout.ts';
import type { Logger } from './log.ts';
import { FaultCounters } from './policies/fault/fault-counters.ts';
import { MirrorSender, poolTransport } from './policies/mirror/mirror-sender.ts';
import { Breakers } from './policies/breaker/breakers.ts';
import { HealthCheckers, httpHealthProbe } from './policies/health/health-checkers.ts';
import { resilienceReport } from './policies/breaker/resilience-report.ts';
import { CacheRegistry } from './policies/cache/cache-registry.ts';
import { RateLimits } from './policies/rate-limit/inbound-rate-limits.ts';
import { RateLimitMetrics } from './policies/rate-limit/rate-limit-metrics.ts';
import type { LocalTopology } from './routing/balancers/locality.ts';
import { roundRobin } from './routing/round-robin.ts';
import { inboundStack } from './stacks/inbound.ts';
import {
  outboundConnectStack,
  outboundStack,
  type EgressWiring,
  type OutboundStackOptions,
} from './stacks/outbound.ts';
import { EgressCounters } from './policies/egress/egress-counters.ts';
import { ExternalDestinations } from './policies/egress/external-destination.ts';
import { Backoff } from './telemetry/backoff.ts';
import { BoundedQueue } from './telemetry/bounded-queue.ts';
import {
  encodeMetrics,
  resourceAttributes,
  traceRequestJson,
  type MetricPoint,
} from './telemetry/otlp-encode.ts';
import { otlpTransport } from './telemetry/otlp-transport.ts';
import { RequestMetrics } from './telemetry/request-metrics.ts';
import { ResilienceCounters } from './telemetry/resilience-counters.ts';
import { SignalExporter, type TelemetryChannel } from './telemetry/signal-exporter.ts';
import { SpanBuffer } from './telemetry/span-buffer.ts';
import { TelemetryPusher } from './telemetry/telemetry-pusher.ts';
import {
  DEFAULT_TRACE_SAMPLING,
  TraceSampler,
  type TraceSamplingSettings,
} from './telemetry/trace-sampler.ts';
import { RetryMetrics } from './policies/retry/retry-metrics.ts';
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
  /** Overrides of the data listeners' limits (http/listener-limits.ts); `--max-connections` wins. */
  listenerLimits: Partial<ListenerLimits>;
  /** How often the proxy checks its own application (app-readiness/); 0 turns the check off. */
  appCheckIntervalMs: number;
  /** Failed checks in a row before the proxy reports itself not ready. */
  appCheckFailures: number;
  /** Time allowed for one check. */
  appCheckTimeoutMs: number;
}

export const DEFAULT_TUNING: ProxyTuning = {
  upstreamTimeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS,
  spanBufferCapacity: 100_000,
  metricPointBufferCapacity: 50_000,
  exportBatchSize: 2_000,
  drainGraceMs: 3_000,
  listenerLimits: {},
  appCheckIntervalMs: 2_000,
  appCheckFailures: 2,
  appCheckTimeoutMs: 1_000,
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
  const topology = localTopology(options, env, log);
  const config = new ConfigStore(roundRobin, Date.now, topology);
  const appPools = new UpstreamPools();
  const meshPools = new UpstreamPools();
  // Egress (hosts outside the mesh): pools of their own, bounded, since no config lists these addresses.
  const egress: EgressWiring = {
    mode: () => config.active?.config.outboundTrafficPolicy?.mode ?? DEFAULT_OUTBOUND_TRAFFIC_POLICY_MODE,
    destinations: new ExternalDestinations(),
    counters: new EgressCounters(),
    pools: new UpstreamPools(undefined, EgressLimits.maxConnectionPools),
  };
  // Copies of mirrored requests go over the mesh pools, bounded and never awaited by the data path.
  const faultsAndMirrors = {
    policies: () => config.active?.config.policies,
    faults: new FaultCounters(),
    mirrors: new MirrorSender({ transport: poolTransport(meshPools), log }),
  };
  // Response caches per destination service and CachePolicy; they outlive configs that keep the policy.
  const caches = new CacheRegistry({ policies: () => config.active?.config.policies });
  // Buckets and in-flight counts outlive configs; each config's table is built on its first request.
  const rateLimits = new RateLimits(self);
  const rateLimitMetrics = new RateLimitMetrics();
  const inboundRateLimits = () => rateLimits.forConfig(config.active?.config);
  config.onApplied((active) => meshPools.retainOnly(active.routes.addresses()));
  // Outlier detection (on by default) and CircuitBreakerPolicy limits per destination service.
  // Retries and ejections are also pushed to the control plane with the request histograms.
  const resilienceCounters = new ResilienceCounters(Date.now());
  const breakers = new Breakers(log, undefined, resilienceCounters);
  const retryMetrics = new RetryMetrics(resilienceCounters);
  // LoadBalancingPolicy health checks: GET the path on each endpoint's inbound listener.
  const healthChecks = new HealthCheckers({
    endpoint: (address) => config.endpoints.get(address),
    probe: httpHealthProbe({
      [Headers.source]: formatIdentity(self),
      'user-agent': 'weft-proxy health check',
    }),
    log,
  });
  config.onApplied((active) => {
    breakers.configure(
      active.config,
      (service, namespace) => active.routes.lookup({ service, namespace })?.endpoints ?? [],
    );
    healthChecks.configure(active.config);
  });

  if (options.configFile !== undefined) {
    const result = config.offer(await readConfigFile(options.configFile), 'file');
    if (result.kind === 'applied' && result.newlyRefused.length > 0) logApplied(result, log);
  }

  const cp = options.controlPlane
    ? new ControlPlaneHttp(options.controlPlane, env.controlPlaneToken)
    : undefined;
  const spanQueue = cp ? new BoundedQueue<string>(t.spanBufferCapacity) : undefined;
  const spans = spanQueue ? new SpanBuffer(spanQueue) : undefined;
  // One sampler for both listeners: its counts are the proxy's.
  const sampler = new TraceSampler(traceSampling(options, env, log));
  const pointQueue = new BoundedQueue<MetricPoint>(t.metricPointBufferCapacity);

  const listenerLimits: Partial<ListenerLimits> = {
    ...t.listenerLimits,
    maxConnections:
      options.maxConnections ??
      t.listenerLimits.maxConnections ??
      defaultMaxConnections(readOpenFilesLimit()),
  };
  const inbound = createListener(
    inboundStack({
      self,
      app: formatHostPort(options.app),
      metrics,
      spans,
      sampler,
      pools: appPools,
      timeoutMs: t.upstreamTimeoutMs,
      log,
      rateLimits: inboundRateLimits,
      rateLimitMetrics,
    }),
    log,
    { name: 'inbound', limits: listenerLimits },
  );
  const outboundOptions: OutboundStackOptions = {
    self,
    routes: () => config.active?.routes,
    metrics,
    spans,
    sampler,
    pools: meshPools,
    timeoutMs: t.upstreamTimeoutMs,
    log,
    breakers,
    faultsAndMirrors,
    caches,
    retryMetrics,
    egress,
    proxyId: options.proxyId,
  };
  const outbound = createListener(outboundStack(outboundOptions), log, {
    name: 'outbound',
    limits: listenerLimits,
    // CONNECT only here: the inbound listener, which other hosts reach, must never open tunnels.
    connect: outboundConnectStack(outboundOptions),
  });

  let listening = false;
  let draining = false;
  let configStream: ConfigStream | undefined;
  let registration: Registration | undefined;
  const exporters: TelemetryChannel[] = [];
  const readyPath = appReadyPath(options, env, log);
  const appReadiness = new AppReadiness({ failureThreshold: t.appCheckFailures });
  const appChecker =
    t.appCheckIntervalMs > 0
      ? new AppReadinessChecker({
          readiness: appReadiness,
          probe: () => probeApp(options.app, readyPath, t.appCheckTimeoutMs),
          intervalMs: t.appCheckIntervalMs,
          onChange: (ready, reason) => {
            if (ready) log.info('application ready again: /ready answers 200, registered as ready');
            else
              log.warn(
                `application not ready (${reason ?? ''}): /ready answers 503, registered as not ready`,
              );
            registration?.setReady(ready);
          },
        })
      : undefined;

  const admin = createAdminServer({
    notReadyReason: () => {
      if (draining) return 'shutting down';
      if (!listening) return 'listeners not bound yet';
      if (config.active === undefined) {
        const problem = configStream?.lastProblem;
        return `no config loaded yet${problem ? ` (${problem})` : ''}`;
      }
      const app = appReadiness.notReadyReason;
      if (app !== undefined) return `application not ready: ${app}`;
      return undefined;
    },
    config: () => config.active,
    rateLimits: () => inboundRateLimits()?.report(),
    resilience: () => resilienceReport(breakers, healthChecks),
    caches: () => caches.report(config.active?.config.policies),
    metrics: () =>
      renderMetricsPage({
        proxyId: registration?.proxyId ?? options.proxyId,
        self,
        metrics,
        config,
        inFlight: { inbound: inbound.inFlight, outbound: outbound.inFlight },
        listeners: { inbound, outbound },
        registered: registration?.registered,
        telemetry: exporters.map(signalStatus),
        ...(spans === undefined ? {} : { traceSampling: sampler }),
        egress: { counters: egress.counters, mode: egress.mode() },
        rateLimits: rateLimitMetrics,
        faultsAndMirrors,
        caches,
        retries: retryMetrics,
        resilience: { breakers, healthChecks, app: appReadiness },
      }),
  });

  const addresses = await bindAll([
    [inbound.server, options.inbound, '--inbound'],
    [outbound.server, options.outbound, '--outbound'],
    [admin, options.admin, '--admin'],
  ]);
  const [inboundAddress, outboundAddress, adminAddress] = addresses as [HostPort, HostPort, HostPort];
  listening = true;
  appChecker?.start();

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
    const metricExporter = new SignalExporter<MetricPoint>({
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
      resilience: { counters: resilienceCounters, ejectedNow: () => breakers.ejectedNow() },
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
      ready: appReadiness.ready,
      ...topology,
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
      appChecker?.stop();
      healthChecks.stop();
      configStream?.stop();
      // Deregister first, so the control plane stops handing out this endpoint while we still serve; then
      // stop accepting and let in-flight requests finish (their responses say Connection: close).
      await registration?.stop(1_500);
      await Promise.all([inbound.drain(t.drainGraceMs), outbound.drain(t.drainGraceMs)]);
      await pusher?.stop(2_000);
      await Promise.all([
        closeServer(admin),
        appPools.close(),
        meshPools.close(),
        egress.pools.close(),
        cp?.close(),
      ]);
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

/** --app-ready-path, else WEFT_APP_READY_PATH (a bad one is logged and a TCP connect used instead). */
function appReadyPath(options: ProxyOptions, env: ProxyEnv, log: Logger): string | undefined {
  const path = options.appReadyPath ?? env.appReadyPath;
  if (path === undefined) return undefined;
  const problem = readyPathProblem(path);
  if (problem === undefined) return path;
  log.error(`WEFT_APP_READY_PATH ${problem}; checking the app with a TCP connect instead`);
  return undefined;
}

/**
 * --zone / --region, else WEFT_ZONE / WEFT_REGION (a value that is not a label is logged and left out:
 * the control plane would refuse the registration for it).
 */
function localTopology(options: ProxyOptions, env: ProxyEnv, log: Logger): LocalTopology {
  const out: { zone?: string; region?: string } = {};
  for (const [key, flagValue, envValue, variable] of [
    ['zone', options.zone, env.zone, 'WEFT_ZONE'],
    ['region', options.region, env.region, 'WEFT_REGION'],
  ] as const) {
    const value = flagValue ?? envValue;
    if (value === undefined) continue;
    const problem = topologyLabelSchema.safeParse(value).error?.issues[0]?.message;
    if (problem === undefined) out[key] = value;
    else log.error(`${variable} "${value}" ${problem}; registering without a ${key}`);
  }
  return out;
}

/** Flag, else environment variable, else default; a bad variable is logged and the default used. */
function traceSampling(options: ProxyOptions, env: ProxyEnv, log: Logger): TraceSamplingSettings {
  const settings = { ...DEFAULT_TRACE_SAMPLING };
  if (options.traceSamplingPercent !== undefined) settings.percent = options.traceSamplingPercent;
  else if (env.traceSamplingPercent !== undefined) {
    const problem = samplingSettingProblem('percent', env.traceSamplingPercent);
    if (problem === undefined) settings.percent = Number(env.traceSamplingPercent);
    else
      log.error(
        `${TraceSampling.percentEnv} "${env.traceSamplingPercent}" ${problem}; sampling ${settings.percent} % of new traces`,
      );
  }
  if (options.traceSlowThresholdMs !== undefined) settings.slowThresholdMs = options.traceSlowThresholdMs;
  else if (env.traceSlowThresholdMs !== undefined) {
    const problem = samplingSettingProblem('slow-threshold', env.traceSlowThresholdMs);
    if (problem === undefined) settings.slowThresholdMs = Number(env.traceSlowThresholdMs);
    else
      log.error(
        `${TraceSampling.slowThresholdEnv} "${env.traceSlowThresholdMs}" ${problem}; keeping requests slower than ${settings.slowThresholdMs} ms`,
      );
  }
  return settings;
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
