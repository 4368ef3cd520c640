/**
 * What the listener answers when node's HTTP parser refuses what a client sent, before any request
 * exists: a malformed or ambiguous message (among them the request-smuggling shapes: Content-Length with
 * Transfer-Encoding, Content-Length twice, a Transfer-Encoding other than a final `chunked`), a header
 * block too large, or one not complete within the header timeout. The connection is always closed after
 * it: the parser cannot know where the next request would start, and guessing is what smuggling exploits.
 */
import { STATUS_CODES } from 'node:http';
import { Headers } from '@weft/schema';

export interface ClientErrorReply {
  status: number;
  message: string;
}

/** Undefined when nothing should be written (the client is gone already). */
export function clientErrorReply(
  err: NodeJS.ErrnoException & { reason?: unknown },
): ClientErrorReply | undefined {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'request header block too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'chunk extensions too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'request not received in time' };
    default: {
      const reason =
        typeof err.reason === 'string' && err.reason !== '' ? err.reason : (err.code ?? 'unknown');
      return { status: 400, message: `malformed HTTP/1.1 request: ${reason}` };
    }
  }
}

/** The raw bytes of the reply, marked like every response the proxy writes itself. */
export function rawClientErrorResponse(reply: ClientErrorReply): string {
  const body = `${reply.message}\n`;
  return (
    `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Error'}\r\n` +
    `content-type: text/plain; charset=utf-8\r\n` +
    `${Headers.proxyError}: bad-request\r\n` +
    `cache-control: no-store\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `connection: close\r\n\r\n${body}`
  );
}
