/**
 * Which protocol a new client connection speaks, from its first bytes (linkerd2-proxy's protocol detection):
 * an HTTP/2 client with prior knowledge (h2c) opens with the connection preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`
 * (RFC 9113 §3.4), anything else is handed to the HTTP/1.1 codec, which refuses what is not HTTP. No byte is
 * consumed: what was read to decide is put back on the socket for whichever codec takes it.
 */
import type { Socket } from 'node:net';

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type DetectedProtocol = 'h2' | 'http/1.1';

/**
 * 'h2' once the whole preface is there, 'http/1.1' as soon as a byte differs from it, undefined while the
 * bytes so far are a proper prefix of it (read more). Decides on the first differing byte, so an HTTP/1.1
 * request line ("GET …") is never held back waiting for 24 bytes.
 */
export function classifyPrefix(bytes: Buffer): DetectedProtocol | undefined {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== H2_PREFACE[i]) return 'http/1.1';
  return bytes.length >= H2_PREFACE.length ? 'h2' : undefined;
}

/**
 * Reads from `socket` until its protocol is known, puts the bytes back (`unshift`) and calls `detected`
 * once, with the socket paused for the codec to resume. A socket that closes or errs first is destroyed
 * and `detected` is never called. The deadline for the first bytes is the caller's (socket timeout).
 */
export function detectProtocol(socket: Socket, detected: (protocol: DetectedProtocol) => void): void {
  let seen: Buffer | undefined;
  const onData = (chunk: Buffer): void => {
    seen = seen === undefined ? chunk : Buffer.concat([seen, chunk]);
    const protocol = classifyPrefix(seen);
    if (protocol === undefined) return;
    cleanup();
    socket.pause();
    socket.unshift(seen);
    detected(protocol);
  };
  const onGone = (): void => {
    cleanup();
    socket.destroy();
  };
  const cleanup = (): void => {
    socket.off('data', onData);
    socket.off('error', onGone);
    socket.off('end', onGone);
  };
  socket.on('data', onData);
  socket.on('error', onGone);
  socket.on('end', onGone);
}
