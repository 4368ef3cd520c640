/**
 * A request body kept in memory so a retry can send it again (linkerd2-proxy's replay body). Only bodies up
 * to REPLAY_BODY_CAP_BYTES are kept: a larger one streams on as it came and its request is not retried,
 * so retries never hold large uploads in the proxy's memory.
 *
 * Unlike linkerd2-proxy, which replays what it buffered while the first try streams, the body is read
 * (up to the cap) before the first try starts: simpler, and at most 64 KiB of delay for a slow client.
 */
import { Readable } from 'node:stream';

/** The largest request body kept for replay; a request with a larger body is tried once. */
export const REPLAY_BODY_CAP_BYTES = 64 * 1024;

export type BufferedBody =
  | { kind: 'replayable'; chunks: readonly Buffer[] }
  /** Over the cap: what was read, then the rest, as one stream to send once. */
  | { kind: 'too-large'; body: Readable };

/**
 * Reads `body` until it ends or passes `cap` bytes. Rejects when the body fails (the client went away,
 * or the request deadline destroyed it).
 */
export async function bufferForReplay(
  body: Readable,
  cap: number = REPLAY_BODY_CAP_BYTES,
): Promise<BufferedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return { kind: 'replayable', chunks };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    size += chunk.length;
    if (size > cap)
      return {
        kind: 'too-large',
        body: Readable.from(replayThenRest(chunks, iterator), { objectMode: false }),
      };
  }
}

async function* replayThenRest(read: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* read;
  read.length = 0;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/** A fresh stream of the kept chunks, for one try. */
export function replay(chunks: readonly Buffer[]): Readable {
  return Readable.from(chunks, { objectMode: false });
}
