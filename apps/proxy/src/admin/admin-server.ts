/**
 * Admin listener: /live, /ready, /metrics (Prometheus), /config. Read-only.
 * /config answers the config in force (`version`, `services`, `policies`); with policies, `splits`: how
 * each split is enforced with the endpoints listed now (shares per version, pins, and what keeps it from
 * being enforced as written), and `routes`: the HTTPRoute rules per service (backends with their shares
 * and endpoints, the timeout a rule sets, why some of its requests are answered 500, and the rules left
 * out with why); `balancing`: per service with a LoadBalancingPolicy, its algorithm, this proxy's zone and
 * region with the endpoints of each priority level, and the failover services; `rateLimits` (when this service has any): the RateLimitPolicies the inbound listener
 * enforces, per scope, with their buckets and in-flight counts; and `refused`: the entries of the config as received that were left out, each with its
 * path and why.
 */
import http from 'node:http';
import { routesReport, type ActiveConfig } from '../config/config-store.ts';
import { faultsAndMirrorsReport } from '../policies/mirror/enforcement-report.ts';
import type { RateLimitReport } from '../policies/rate-limit/inbound-rate-limits.ts';
import { retriesAndTimeoutsReport } from '../policies/retry/enforcement-report.ts';
import type { BreakerReport } from '../policies/breaker/breakers.ts';
import type { CacheReport } from '../policies/cache/cache-registry.ts';
import type { HealthCheckReport } from '../policies/health/health-checkers.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus.ts';

export interface AdminHandlers {
  /** Undefined when ready, else why not. */
  notReadyReason: () => string | undefined;
  metrics: () => string;
  config: () => ActiveConfig | undefined;
  /** The RateLimitPolicies this proxy enforces inbound for its own service, with the config in force. */
  rateLimits?: () => RateLimitReport[] | undefined;
  /**
   * Outlier detection and limits in force per destination service (with the endpoints ejected now), and
   * the active health checks with each endpoint's health.
   */
  resilience?: () => { circuitBreakers?: BreakerReport[]; healthChecks?: HealthCheckReport[] };
  /** The CachePolicies the outbound listener enforces, with what their caches hold now. */
  caches?: () => CacheReport[];
}

/**
 * The admin listener must answer `/live` and `/ready` however busy the data listeners are: it has its own
 * small connection cap (probes and scrapes need few; beyond it Node drops the connection) and short
 * deadlines, so it cannot itself be held open by idle or trickling clients.
 */
const ADMIN_MAX_CONNECTIONS = 128;
const ADMIN_SERVER_OPTIONS: http.ServerOptions = {
  headersTimeout: 5_000,
  requestTimeout: 10_000,
  keepAliveTimeout: 10_000,
  connectionsCheckingInterval: 1_000,
};

export function createAdminServer(h: AdminHandlers): http.Server {
  const server = http.createServer(ADMIN_SERVER_OPTIONS, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
      return;
    }
    switch (path) {
      case '/live':
        reply(res, 200, 'text/plain; charset=utf-8', 'live\n');
        return;
      case '/ready': {
        const reason = h.notReadyReason();
        if (reason === undefined) reply(res, 200, 'text/plain; charset=utf-8', 'ready\n');
        else reply(res, 503, 'text/plain; charset=utf-8', `not ready: ${reason}\n`);
        return;
      }
      case '/metrics':
        reply(res, 200, PROMETHEUS_CONTENT_TYPE, h.metrics());
        return;
      case '/config': {
        const active = h.config();
        if (active === undefined)
          reply(res, 503, 'application/json', `${JSON.stringify({ error: 'no config loaded yet' })}\n`);
        else {
          // `splits` and `routes` next to `policies`, absent like them from a config without any.
          const reports =
            active.config.policies === undefined
              ? {}
              : {
                  splits: active.routes.splits(),
                  routes: routesReport(active),
                  // Per service with a LoadBalancingPolicy: algorithm, locality levels, failover.
                  balancing: active.routes.balancing(),
                };
          const rateLimits = h.rateLimits?.() ?? [];
          const enforced = rateLimits.length === 0 ? {} : { rateLimits };
          // `faultInjection` and `mirrors` (when the config has any): each policy, where it applies, enforced.
          const faults = faultsAndMirrorsReport(active.config, active.routes);
          // `retries` and `timeouts` (when the config has any): each policy, where it applies, its values in ms.
          const retries = retriesAndTimeoutsReport(active.config);
          // `circuitBreakers` (of policies, and the default's while it ejects) and `healthChecks`, when any.
          const resilience = h.resilience?.() ?? {};
          // `caches` (when the config has any CachePolicy): limits in ms, bytes and entries held per destination.
          const cacheReports = h.caches?.() ?? [];
          const caches = cacheReports.length === 0 ? {} : { caches: cacheReports };
          const body = {
            ...active.config,
            ...reports,
            ...enforced,
            ...faults,
            ...retries,
            ...resilience,
            ...caches,
            refused: active.refused,
          };
          reply(res, 200, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
        }
        return;
      }
      default:
        reply(res, 404, 'text/plain; charset=utf-8', 'not found: try /live, /ready, /metrics or /config\n');
    }
  });
  server.maxConnections = ADMIN_MAX_CONNECTIONS;
  // An accept failure once listening (EMFILE) must not crash the proxy; bind errors reach listen() anyway.
  server.on('error', () => {});
  return server;
}

function reply(
  res: http.ServerResponse,
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(body);
}
