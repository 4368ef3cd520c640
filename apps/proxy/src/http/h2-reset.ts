/** Resetting an HTTP/2 stream so that the peer can never take what it got for a whole message. */
import type { Http2Stream } from 'node:http2';

/**
 * node:http2's `close(code)` first ends our side of the stream (END_STREAM) and only then sends RST_STREAM:
 * a peer reading a body we had not finished sees it end normally (measured on Node 20: a client got 'end'
 * and rstCode 0 for a server's `close(NGHTTP2_INTERNAL_ERROR)` mid-body). So while our side is still open
 * the stream is destroyed with an error, which sends a bare RST_STREAM (INTERNAL_ERROR); once our side has
 * ended, `close(code)` sends the code asked for (CANCEL tells a gRPC server its call was cancelled).
 */
export function resetStream(stream: Http2Stream, code: number): void {
  if (stream.destroyed) return;
  if (stream.writableEnded) {
    stream.close(code);
    return;
  }
  stream.destroy(Object.assign(new Error(`stream reset (code ${code})`), { code: 'ERR_HTTP2_STREAM_RESET' }));
}
