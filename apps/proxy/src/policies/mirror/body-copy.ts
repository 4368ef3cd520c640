/**
 * Copies a request body for a mirror while it streams to the upstream. The original keeps its own pace:
 * chunks pass to the upstream with the upstream's backpressure and nothing waits for the copy, which is
 * only kept in memory (at most `maxBytes`) and handed over once the body has ended. So a mirror never gets
 * a truncated body, a body over the cap costs nothing beyond the cap (the copy is given up at the chunk
 * that crosses it), and a slow mirror can never slow the original: it only ever sees a finished Buffer.
 * `hold` asks the owner for room for each chunk kept (a budget shared by all copies); refused, the copy is
 * given up as `overloaded`.
 */
import { PassThrough, type Readable } from 'node:stream';

export type BodyCopyResult =
  | { kind: 'complete'; body: Buffer }
  /** Over the cap, or the original body failed or was never read to its end. */
  | { kind: 'given-up'; reason: 'body-too-large' | 'body-incomplete' | 'overloaded' };

export class BodyCopy {
  /** What the upstream reads instead of the original body. */
  readonly upstream: Readable;
  readonly #chunks: Buffer[] = [];
  readonly #maxBytes: number;
  readonly #done: (result: BodyCopyResult) => void;
  readonly #hold: (bytes: number) => boolean;
  #bytes = 0;
  #settled = false;

  constructor(
    source: Readable,
    maxBytes: number,
    done: (result: BodyCopyResult) => void,
    hold: (bytes: number) => boolean = () => true,
  ) {
    this.#maxBytes = maxBytes;
    this.#done = done;
    this.#hold = hold;
    const upstream = new PassThrough();
    this.upstream = upstream;
    // pipe() carries data, end and backpressure; a failing or vanishing source must fail the upstream body
    // too (pipe leaves that to us), as it would have without the copy.
    source.on('data', (chunk: Buffer) => this.#add(chunk));
    source.once('end', () => this.#settle({ kind: 'complete', body: Buffer.concat(this.#chunks) }));
    source.once('error', (err) => {
      this.giveUp();
      upstream.destroy(err);
    });
    source.once('close', () => {
      if (source.readableEnded) return;
      this.giveUp();
      upstream.destroy(new Error('request body ended early'));
    });
    upstream.once('close', () => {
      // The upstream stopped reading (it answered, failed or was cancelled) before the body ended.
      if (!source.readableEnded) this.giveUp();
    });
    source.pipe(upstream);
  }

  /** The exchange is over or the copy is no longer wanted: nothing more is kept. */
  giveUp(): void {
    this.#settle({ kind: 'given-up', reason: 'body-incomplete' });
  }

  #add(chunk: Buffer): void {
    if (this.#settled) return;
    this.#bytes += chunk.length;
    if (this.#bytes > this.#maxBytes) {
      this.#settle({ kind: 'given-up', reason: 'body-too-large' });
      return;
    }
    if (!this.#hold(chunk.length)) {
      this.#settle({ kind: 'given-up', reason: 'overloaded' });
      return;
    }
    this.#chunks.push(chunk);
  }

  #settle(result: BodyCopyResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#chunks.length = 0;
    this.#done(result);
  }
}
