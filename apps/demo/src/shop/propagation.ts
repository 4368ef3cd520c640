/**
 * Trace-context propagation, as an application in a mesh must do it: the proxy starts/continues the trace
 * on the way in, and the app copies these headers from its incoming request onto every outgoing call so the
 * outbound proxy can attach its span to the same trace (Istio's documented list, W3C + B3 + request id).
 */
import type { IncomingHttpHeaders } from 'node:http';

export const PROPAGATED_HEADERS = [
  'traceparent',
  'tracestate',
  'baggage',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'x-request-id',
  'x-ot-span-context',
] as const;

export function propagationHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROPAGATED_HEADERS) {
    const v = incoming[name];
    if (typeof v === 'string') out[name] = v;
    else if (Array.isArray(v) && v.length > 0)
      out[name] = v.join(name === 'tracestate' || name === 'baggage' ? ',' : '');
  }
  return out;
}
