/** Everything /metrics shows: request metrics, the proxy's own state, process gauges. */
import { splitProblems, type ConfigStore } from '../config/config-store.ts';
import { renderConnectionMetrics, type ListenerName } from '../http/connection-metrics.ts';
import type { Listener } from '../http/listener.ts';
import type { WorkloadIdentity } from '../identity.ts';
import { renderResilienceMetrics, type ResilienceStatus } from '../policies/breaker/breaker-metrics.ts';
import type { CacheRegistry } from '../policies/cache/cache-registry.ts';
import { renderFaultMetrics, type FaultCounters } from '../policies/fault/fault-counters.ts';
import { renderMirrorMetrics } from '../policies/mirror/mirror-metrics.ts';
import type { MirrorSender } from '../policies/mirror/mirror-sender.ts';
import type { RateLimitMetrics } from '../policies/rate-limit/rate-limit-metrics.ts';
import type { RetryMetrics } from '../policies/retry/retry-metrics.ts';
import { renderEgressMetrics, type EgressCounters } from '../policies/egress/egress-counters.ts';
import { PrometheusText, renderRequestMetrics } from '../telemetry/prometheus.ts';
import type { RequestMetrics } from '../telemetry/request-metrics.ts';
import type { TraceSampler } from '../telemetry/trace-sampler.ts';

export interface SignalStatus {
  signal: 'spans' | 'metrics';
  queued: number;
  droppedBufferFull: number;
  droppedRejected: number;
  droppedUnauthorized: number;
  exported: number;
  failedAttempts: number;
}

export interface ProxyStatus {
  proxyId: string;
  self: WorkloadIdentity;
  metrics: RequestMetrics;
  config: ConfigStore;
  inFlight: { inbound: number; outbound: number };
  /** Undefined when no control plane is configured. */
  registered: boolean | undefined;
  telemetry: readonly SignalStatus[];
  /** Requests to hosts outside the mesh, and the outbound traffic policy in force. */
  egress?: { counters: EgressCounters; mode: string };
  /** What became of each request's spans; absent when no spans are exported (no control plane). */
  traceSampling?: TraceSampler;
  /** Outlier ejections, breaker overflows, active health checks, the own application's readiness. */
  resilience?: ResilienceStatus;
  /** Faults injected and copies mirrored by the outbound listener. */
  faultsAndMirrors?: { faults: FaultCounters; mirrors: MirrorSender };
  /** Inbound requests refused by RateLimitPolicy (429) and its concurrency limit (503). */
  rateLimits?: RateLimitMetrics;
  /** Response caches of the outbound listener (CachePolicy): results and sizes. */
  caches?: CacheRegistry;
  /** Retries of the outbound listener (RetryPolicy) and those its budgets refused. */
  retries?: RetryMetrics;
  /** The data listeners: open connections against their limit, connections and requests refused. */
  listeners?: Readonly<Record<ListenerName, Listener>>;
}

/** Series of `weft_proxy_config_refused_entry_info`, so a config full of bad entries stays a small page. */
const MAX_REFUSED_SERIES = 20;

const startTimeSeconds = Math.round(performance.timeOrigin) / 1000;

export function renderMetricsPage(s: ProxyStatus): string {
  const text = new PrometheusText();
  renderRequestMetrics(text, s.metrics);

  text.family('weft_proxy_info', 'gauge', 'This proxy and the workload it fronts.');
  text.sample(
    'weft_proxy_info',
    { proxy_id: s.proxyId, service: s.self.service, namespace: s.self.namespace, version: s.self.version },
    1,
  );

  text.family(
    'weft_proxy_in_flight_requests',
    'gauge',
    'Requests whose response has not finished, per listener.',
  );
  text.sample('weft_proxy_in_flight_requests', { listener: 'inbound' }, s.inFlight.inbound);
  text.sample('weft_proxy_in_flight_requests', { listener: 'outbound' }, s.inFlight.outbound);

  const active = s.config.active;
  text.family(
    'weft_proxy_config_info',
    'gauge',
    'Version and source of the config in force (absent before the first one).',
  );
  if (active)
    text.sample('weft_proxy_config_info', { version: active.config.version, source: active.source }, 1);
  text.family(
    'weft_proxy_config_applied_timestamp_seconds',
    'gauge',
    'When the config in force was applied.',
  );
  if (active)
    text.sample('weft_proxy_config_applied_timestamp_seconds', undefined, active.appliedAtMs / 1000);
  text.family(
    'weft_proxy_config_rejections_total',
    'counter',
    'Configs refused as invalid (the last good one stayed in force).',
  );
  text.sample('weft_proxy_config_rejections_total', undefined, s.config.rejections);
  const rejected = s.config.lastRejection;
  text.family('weft_proxy_config_last_rejection_info', 'gauge', 'The most recently refused config and why.');
  if (rejected) {
    text.sample(
      'weft_proxy_config_last_rejection_info',
      { version: rejected.version ?? '', source: rejected.source, reason: rejected.reason.slice(0, 300) },
      1,
    );
  }
  text.family(
    'weft_proxy_config_entries_refused_total',
    'counter',
    'Config entries left out (bad endpoint or service) while the rest was applied; one still bad in the next config counts once.',
  );
  text.sample('weft_proxy_config_entries_refused_total', undefined, s.config.entriesRefused);
  text.family(
    'weft_proxy_config_refused_entry_info',
    'gauge',
    `Entries left out of the config in force and why (the first ${MAX_REFUSED_SERIES}; /config lists all).`,
  );
  for (const r of active?.refused.slice(0, MAX_REFUSED_SERIES) ?? []) {
    text.sample(
      'weft_proxy_config_refused_entry_info',
      { version: active?.config.version ?? '', path: r.path, entry: r.entry, reason: r.reason.slice(0, 300) },
      1,
    );
  }

  text.family(
    'weft_proxy_split_enforced',
    'gauge',
    'Per split of the config in force: 1 while requests are split by weight, 0 while no weighted version has endpoints and every endpoint of the service serves instead (/config says why). Requests per chosen version: weft_requests_total{reporter="outbound"} by destination_version.',
  );
  for (const split of active?.routes.splits() ?? []) {
    const labels = { namespace: split.namespace, service: split.service, source: split.source };
    text.sample(
      'weft_proxy_split_enforced',
      // The split of a route rule: one series per rule (a TrafficSplit on a route applies to each rule).
      split.rule === undefined ? labels : { ...labels, rule: split.rule },
      split.enforced === 'weights' ? 1 : 0,
    );
  }
  text.family(
    'weft_proxy_split_problems',
    'gauge',
    'Problems that keep splits of the config in force from being enforced as written (listed on /config and logged once).',
  );
  if (active) text.sample('weft_proxy_split_problems', undefined, splitProblems(active.routes).length);
  text.family(
    'weft_proxy_route_problems',
    'gauge',
    'Problems of the HTTPRoute rules in force that answer requests 500 (a backend without endpoints, backend weights all 0); listed on /config and logged once. Rules left out of the config are in weft_proxy_config_refused_entry_info.',
  );
  if (active) text.sample('weft_proxy_route_problems', undefined, active.routes.routeProblems().length);

  s.rateLimits?.render(text);
  if (s.listeners) renderConnectionMetrics(text, s.listeners);
  if (s.resilience) renderResilienceMetrics(text, s.resilience);
  s.caches?.render(text);
  s.retries?.render(text);

  if (s.faultsAndMirrors) {
    renderFaultMetrics(text, s.faultsAndMirrors.faults);
    renderMirrorMetrics(text, s.faultsAndMirrors.mirrors);
  }

  if (s.registered !== undefined) {
    text.family(
      'weft_proxy_control_plane_registered',
      'gauge',
      '1 while the last registration with the control plane succeeded.',
    );
    text.sample('weft_proxy_control_plane_registered', undefined, s.registered ? 1 : 0);
  }

  text.family('weft_proxy_telemetry_queued', 'gauge', 'Spans and metric points waiting to be pushed.');
  for (const t of s.telemetry) text.sample('weft_proxy_telemetry_queued', { signal: t.signal }, t.queued);
  text.family(
    'weft_proxy_telemetry_exported_total',
    'counter',
    'Spans and metric points the control plane accepted.',
  );
  for (const t of s.telemetry)
    text.sample('weft_proxy_telemetry_exported_total', { signal: t.signal }, t.exported);
  text.family(
    'weft_proxy_telemetry_dropped_total',
    'counter',
    'Spans and metric points lost: buffer full (oldest dropped), rejected (the API refused the batch: 4xx other than 401, 403, 408, 429) or unauthorized (the API refused the token: 401, 403).',
  );
  for (const t of s.telemetry) {
    text.sample(
      'weft_proxy_telemetry_dropped_total',
      { signal: t.signal, reason: 'buffer_full' },
      t.droppedBufferFull,
    );
    text.sample(
      'weft_proxy_telemetry_dropped_total',
      { signal: t.signal, reason: 'rejected' },
      t.droppedRejected,
    );
    text.sample(
      'weft_proxy_telemetry_dropped_total',
      { signal: t.signal, reason: 'unauthorized' },
      t.droppedUnauthorized,
    );
  }
  text.family(
    'weft_proxy_telemetry_export_failures_total',
    'counter',
    'Push attempts that failed and will be retried.',
  );
  for (const t of s.telemetry)
    text.sample('weft_proxy_telemetry_export_failures_total', { signal: t.signal }, t.failedAttempts);

  if (s.egress !== undefined) renderEgressMetrics(text, s.egress.counters, s.egress.mode);

  if (s.traceSampling !== undefined) {
    const { percent, slowThresholdMs } = s.traceSampling.settings;
    text.family(
      'weft_proxy_trace_sampling_decisions_total',
      'counter',
      `Requests by what became of their spans: sampled (the caller's flag, else ${percent} % of new traces), failed or slow (not sampled, exported anyway: no response, 5xx, gRPC status other than 0, or at least ${slowThresholdMs / 1000} s), dropped. Request metrics count every request.`,
    );
    for (const [decision, count] of Object.entries(s.traceSampling.decisions))
      text.sample('weft_proxy_trace_sampling_decisions_total', { decision }, count);
  }

  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  text
    .family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent, in seconds.')
    .sample('process_cpu_seconds_total', undefined, (cpu.user + cpu.system) / 1e6)
    .family('process_resident_memory_bytes', 'gauge', 'Resident set size, in bytes.')
    .sample('process_resident_memory_bytes', undefined, memory.rss)
    .family('process_heap_bytes', 'gauge', 'V8 heap in use, in bytes.')
    .sample('process_heap_bytes', undefined, memory.heapUsed)
    .family(
      'process_start_time_seconds',
      'gauge',
      'Start time of the process since the Unix epoch, in seconds.',
    )
    .sample('process_start_time_seconds', undefined, startTimeSeconds);
  return text.toString();
}
