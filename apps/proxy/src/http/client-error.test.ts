import { describe, expect, it } from 'vitest';
import { clientErrorReply, rawClientErrorResponse } from './client-error.ts';

function parserError(code: string, reason?: string): NodeJS.ErrnoException & { reason?: string } {
  return Object.assign(new Error('Parse Error'), { code, reason });
}

describe('replies to what the parser refuses', () => {
  it('names the problem for malformed and ambiguous requests', () => {
    expect(
      clientErrorReply(
        parserError(
          'HPE_UNEXPECTED_CONTENT_LENGTH',
          "Content-Length can't be present with Transfer-Encoding",
        ),
      ),
    ).toEqual({
      status: 400,
      message: "malformed HTTP/1.1 request: Content-Length can't be present with Transfer-Encoding",
    });
    expect(clientErrorReply(parserError('HPE_INVALID_METHOD'))).toEqual({
      status: 400,
      message: 'malformed HTTP/1.1 request: HPE_INVALID_METHOD',
    });
  });

  it('answers 431, 408 and 413 where those say more than 400', () => {
    expect(clientErrorReply(parserError('HPE_HEADER_OVERFLOW'))?.status).toBe(431);
    expect(clientErrorReply(parserError('ERR_HTTP_REQUEST_TIMEOUT'))?.status).toBe(408);
    expect(clientErrorReply(parserError('HPE_CHUNK_EXTENSIONS_OVERFLOW'))?.status).toBe(413);
  });

  it('writes nothing to a client that is gone', () => {
    expect(clientErrorReply(parserError('ECONNRESET'))).toBeUndefined();
  });

  it('marks the reply as the proxy’s own and closes the connection', () => {
    const raw = rawClientErrorResponse({ status: 400, message: 'malformed' });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw).toContain('x-weft-proxy-error: bad-request\r\n');
    expect(raw).toContain('connection: close\r\n');
    expect(raw.endsWith('\r\n\r\nmalformed\n')).toBe(true);
  });
});
