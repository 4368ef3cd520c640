/**
 * /metrics for circuit breaking, active health checks and the proxy's check of its own application.
 */
import type { AppReadiness } from '../../app-readiness/app-readiness.ts';
import type { PrometheusText } from '../../telemetry/prometheus.ts';
import type { HealthCheckers } from '../health/health-checkers.ts';
import { EJECTION_REASONS, type Breakers } from './breakers.ts';
import { OVERFLOW_REASONS } from './service-limits.ts';

export interface ResilienceStatus {
  breakers: Breakers;
  healthChecks: HealthCheckers;
  app: AppReadiness;
}

export function renderResilienceMetrics(text: PrometheusText, s: ResilienceStatus): void {
  const breakers = s.breakers.breakers();
  text.family(
    'weft_proxy_outlier_ejections_total',
    'counter',
    'Endpoints ejected by outlier detection, per destination service and reason (default: 5 gateway errors in a row; a CircuitBreakerPolicy sets its own).',
  );
  for (const b of breakers)
    for (const reason of EJECTION_REASONS)
      text.sample(
        'weft_proxy_outlier_ejections_total',
        { service: b.service, namespace: b.namespace, reason },
        b.ejections[reason],
      );
  text.family(
    'weft_proxy_outlier_ejections_refused_total',
    'counter',
    'Ejections not made because they would have put more than maxEjectionPercent of the service out.',
  );
  for (const b of breakers)
    text.sample(
      'weft_proxy_outlier_ejections_refused_total',
      { service: b.service, namespace: b.namespace },
      b.ejectionsRefused,
    );
  text.family('weft_proxy_endpoints_ejected', 'gauge', 'Endpoints of each destination service ejected now.');
  for (const b of breakers)
    text.sample(
      'weft_proxy_endpoints_ejected',
      { service: b.service, namespace: b.namespace },
      s.breakers.ejectedCount(b),
    );
  text.family(
    'weft_proxy_overflow_total',
    'counter',
    'Requests answered 503 overflow because a CircuitBreakerPolicy limit of the destination service was reached.',
  );
  for (const b of breakers) {
    if (b.limits.settings === undefined && OVERFLOW_REASONS.every((r) => b.limits.overflows[r] === 0))
      continue;
    for (const limit of OVERFLOW_REASONS)
      text.sample(
        'weft_proxy_overflow_total',
        { service: b.service, namespace: b.namespace, limit },
        b.limits.overflows[limit],
      );
  }

  text.family(
    'weft_proxy_health_checks_total',
    'counter',
    'Active health checks (LoadBalancingPolicy healthCheck) of the endpoints of each service, by result.',
  );
  const checked = s.healthChecks.report();
  for (const [key, counts] of s.healthChecks.results) {
    const [service = '', namespace = ''] = key.split('.');
    text.sample('weft_proxy_health_checks_total', { service, namespace, result: 'passed' }, counts.passed);
    text.sample('weft_proxy_health_checks_total', { service, namespace, result: 'failed' }, counts.failed);
  }
  text.family(
    'weft_proxy_endpoints_unhealthy',
    'gauge',
    'Endpoints of each service that its active health checks hold out of load balancing now.',
  );
  for (const r of checked)
    text.sample(
      'weft_proxy_endpoints_unhealthy',
      { service: r.service, namespace: r.namespace },
      r.endpoints.filter((e) => !e.healthy).length,
    );

  text.family(
    'weft_proxy_app_ready',
    'gauge',
    '1 while the proxy finds its own application ready (TCP connect, or --app-ready-path); 0 makes /ready answer 503 and registers the proxy as not ready.',
  );
  text.sample('weft_proxy_app_ready', undefined, s.app.ready ? 1 : 0);
  text.family('weft_proxy_app_checks_total', 'counter', 'Checks of the own application, by result.');
  text.sample('weft_proxy_app_checks_total', { result: 'passed' }, s.app.checks - s.app.failedChecks);
  text.sample('weft_proxy_app_checks_total', { result: 'failed' }, s.app.failedChecks);
}
