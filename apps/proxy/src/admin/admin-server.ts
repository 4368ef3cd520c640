/**
 * Admin listener: /live, /ready, /metrics (Prometheus), /config. Read-only.
 * /config answers the config in force (`version`, `services`, `policies`); with policies, `splits`: how
 * each split is enforced with the endpoints listed now (shares per version, pins, and what keeps it from
 * being enforced as written), and `routes`: the HTTPRoute rules per service (backends with their shares
 * and endpoints, the timeout a rule sets, why some of its requests are answered 500, and the rules left
 * out with why); and `refused`: the entries of the config as received that were left out, each with its
 * path and why.
 */
import http from 'node:http';
import { routesReport, type ActiveConfig } from '../config/config-store.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus.ts';

export interface AdminHandlers {
  /** Undefined when ready, else why not. */
  notReadyReason: () => string | undefined;
  metrics: () => string;
  config: () => ActiveConfig | undefined;
}

export function createAdminServer(h: AdminHandlers): http.Server {
  return http.createServer((req, res) => {
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
              : { splits: active.routes.splits(), routes: routesReport(active) };
          const body = { ...active.config, ...reports, refused: active.refused };
          reply(res, 200, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
        }
        return;
      }
      default:
        reply(res, 404, 'text/plain; charset=utf-8', 'not found: try /live, /ready, /metrics or /config\n');
    }
  });
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
