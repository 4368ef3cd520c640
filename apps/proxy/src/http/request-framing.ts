/**
 * Request framing node's parser lets through but a proxy must not forward (RFC 9112). Node's parser
 * already refuses Content-Length with Transfer-Encoding, Content-Length twice (even equal), an invalid
 * Content-Length, a Transfer-Encoding not ending in `chunked`, obs-fold and bare LF (client-error.ts
 * answers those). What is left is checked here, per request, before any layer runs:
 * - Transfer-Encoding on HTTP/1.0 (§6.1: the framing "MUST" be treated as faulty);
 * - a transfer coding besides `chunked` (`gzip, chunked`): node removes the chunking and the body goes on
 *   still gzip-coded, without the field that says so (§6.1: 501 for a coding the server does not
 *   implement, as Envoy answers);
 * - Host missing on HTTP/1.1 or given twice (§3.2: 400): node keeps only the first of two, while the
 *   application behind us might read the other, so the proxy would route on one and the app act on another.
 */
import type { IncomingMessage } from 'node:http';

export interface FramingProblem {
  status: 400 | 501;
  message: string;
}

export function requestFramingProblem(req: IncomingMessage): FramingProblem | undefined {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
      return { status: 400, message: 'Transfer-Encoding is not allowed in an HTTP/1.0 request' };
    }
    if (te.trim().toLowerCase() !== 'chunked') {
      return {
        status: 501,
        message: `transfer coding "${te.slice(0, 100)}" is not supported: send chunked only`,
      };
    }
  }
  if (hostFieldLines(req.rawHeaders) > 1) {
    return { status: 400, message: 'more than one Host header field' };
  }
  if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
    return { status: 400, message: 'HTTP/1.1 request without a Host header field' };
  }
  return undefined;
}

function hostFieldLines(raw: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}
