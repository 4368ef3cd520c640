/**
 * OTLP/HTTP JSON POSTs to the control plane, classified as the OTLP spec says: no answer, 408, 429 and 5xx
 * are worth retrying; any other 4xx means the API will never store this batch (malformed, too large, or
 * a token that may not send it), so it is refused for good.
 */
import {
  apiErrorMessage,
  describeFailure,
  tokenProblem,
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
    if (isRetryable(res.status)) {
      const said = apiErrorMessage(res.text);
      return { kind: 'retry', reason: `HTTP ${res.status} from ${http.url(path)}${said ? `: ${said}` : ''}` };
    }
    const token = tokenProblem(res.status, res.text, http.hasToken);
    if (token !== undefined)
      return { kind: 'reject', status: res.status, cause: 'unauthorized', reason: token };
    return {
      kind: 'reject',
      status: res.status,
      cause: 'rejected',
      reason: apiErrorMessage(res.text) || `HTTP ${res.status}`,
    };
  };
}

/** Worth sending again later: the receiver was busy, slow or broken, not the batch. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
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
