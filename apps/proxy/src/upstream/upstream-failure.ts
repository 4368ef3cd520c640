/** What a failed upstream call means for the client: which status, which `x-weft-proxy-error`. */
import type { ProxyErrorKind } from '../http/exchange.ts';

export interface UpstreamFailure {
  kind: ProxyErrorKind;
  status: number;
  detail: string;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Raised by the forwarding terminal so the failure can be told apart from bugs in layers. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly upstream: string;

  constructor(upstream: string, cause: unknown) {
    super(`${upstream}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.upstream = upstream;
  }
}

export function classifyUpstreamFailure(err: unknown, clientGone: boolean): UpstreamFailure {
  const upstream = err instanceof UpstreamError ? err.upstream : undefined;
  const cause = err instanceof UpstreamError ? err.cause : err;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const where = upstream ? ` ${upstream}` : '';
  if (clientGone || code === 'UND_ERR_ABORTED' || (cause instanceof Error && cause.name === 'AbortError')) {
    return { kind: 'client-aborted', status: 499, detail: 'client closed the request' };
  }
  if (typeof code === 'string' && CONNECT_CODES.has(code)) {
    return {
      kind: 'upstream-connect-failure',
      status: 502,
      detail: `cannot connect to upstream${where} (${code})`,
    };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return { kind: 'upstream-timeout', status: 504, detail: `upstream${where} did not answer in time` };
  }
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') {
    return {
      kind: 'upstream-reset',
      status: 502,
      detail: `upstream${where} closed the connection before answering`,
    };
  }
  if (upstream !== undefined) {
    const message = cause instanceof Error ? cause.message : String(cause);
    return { kind: 'upstream-reset', status: 502, detail: `upstream${where} failed: ${message}` };
  }
  return { kind: 'internal-error', status: 500, detail: 'internal proxy error' };
}
