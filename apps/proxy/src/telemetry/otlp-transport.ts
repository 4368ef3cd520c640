/** OTLP/HTTP JSON POSTs to the control plane, classified as the OTLP spec says (429 and 5xx are retryable). */
import {
  bodySnippet,
  describeFailure,
  type ControlPlaneClient,
} from '../control-plane/control-plane-http.ts';
import { LogOnce, type Logger } from '../log.ts';
import type { ExportTransport } from './signal-exporter.ts';

export function otlpTransport(http: ControlPlaneClient, log: Logger): ExportTransport {
  const partialOnce = new LogOnce();
  return async (path, json) => {
    let res;
    try {
      res = await http.send('POST', path, { jsonText: json, timeoutMs: 10_000 });
    } catch (err) {
      return { kind: 'retry', reason: `${http.url(path)} unreachable: ${describeFailure(err)}` };
    }
    if (res.status >= 200 && res.status < 300) {
      const partial = partialSuccessMessage(res.text);
      if (partial !== undefined && partialOnce.first(partial))
        log.warn(`${path}: receiver dropped part of a batch: ${partial}`);
      return { kind: 'ok' };
    }
    const reason = `HTTP ${res.status} from ${http.url(path)}${res.text ? `: ${bodySnippet(res.text)}` : ''}`;
    if (res.status === 429 || res.status >= 500) return { kind: 'retry', reason };
    return { kind: 'reject', status: res.status, reason: bodySnippet(res.text) || `HTTP ${res.status}` };
  };
}

/** OTLP receivers report items they refused inside a 200 as `partialSuccess`. */
function partialSuccessMessage(text: string): string | undefined {
  if (!text.includes('partialSuccess')) return undefined;
  try {
    const parsed = JSON.parse(text) as { partialSuccess?: Record<string, unknown> };
    const p = parsed.partialSuccess;
    if (!p) return undefined;
    const rejected = Number(p.rejectedSpans ?? p.rejectedDataPoints ?? 0);
    if (!rejected) return undefined;
    return `${rejected} rejected${typeof p.errorMessage === 'string' ? `: ${p.errorMessage}` : ''}`;
  } catch {
    return undefined;
  }
}
