/** The data listeners' connection counters on /metrics: how close each is to its limit, and what it refused. */
import type { PrometheusText } from '../telemetry/prometheus.ts';
import type { Listener } from './listener.ts';

export type ListenerName = 'inbound' | 'outbound';

export function renderConnectionMetrics(
  text: PrometheusText,
  listeners: Readonly<Record<ListenerName, Listener>>,
): void {
  const entries = Object.entries(listeners) as [ListenerName, Listener][];
  text.family('weft_proxy_connections_open', 'gauge', 'Client connections open now, per data listener.');
  for (const [name, l] of entries)
    text.sample('weft_proxy_connections_open', { listener: name }, l.openConnections);
  text.family(
    'weft_proxy_connections_max',
    'gauge',
    'Client connections a data listener holds (--max-connections); beyond it requests get 503 connection-limit.',
  );
  for (const [name, l] of entries)
    text.sample('weft_proxy_connections_max', { listener: name }, l.limits.maxConnections);
  text.family(
    'weft_proxy_connections_refused_total',
    'counter',
    'Connections accepted beyond the limit: each request on them answered 503 connection-limit, or dropped unanswered far beyond it.',
  );
  for (const [name, l] of entries)
    text.sample('weft_proxy_connections_refused_total', { listener: name }, l.refusedConnections);
  text.family(
    'weft_proxy_malformed_requests_total',
    'counter',
    'Requests refused for their framing before any layer ran: 400 (parser errors, request-smuggling shapes, Host), 408 (headers not sent in time), 431, 501 (transfer codings). They are not in weft_requests_total.',
  );
  for (const [name, l] of entries)
    text.sample('weft_proxy_malformed_requests_total', { listener: name }, l.malformedRequests);
}
