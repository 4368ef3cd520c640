/** Responses the proxy writes itself; every one is marked with `x-weft-proxy-error`. */
import { Headers } from '@weft/schema';
import type { ProxyErrorKind, ProxyRequest, ProxyResponse } from './exchange.ts';

export function localReply(
  req: ProxyRequest,
  status: number,
  kind: ProxyErrorKind,
  message: string,
): ProxyResponse {
  req.error = kind;
  return {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      [Headers.proxyError]: kind,
      'cache-control': 'no-store',
    },
    body: `${message}\n`,
  };
}
