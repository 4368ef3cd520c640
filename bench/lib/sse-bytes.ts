/**
 * A byte-level reader for the API's config stream, for the bench's simulated proxies: it frames events on the
 * blank line with `Buffer.indexOf` and hands over each event's data as bytes, without decoding it to a string.
 *
 * Why not the proxy's own SseParser (apps/proxy/src/control-plane/sse.ts): it decodes every chunk to a string,
 * scans it with a regular expression and joins the pieces of a line; for an ~87 KB config event that is about
 * 0.9 ms of CPU and garbage (2 cores, Node 20). A real proxy pays that once, on its own CPU, in parallel with
 * every other proxy; the bench's load threads pay it for 500 proxies each, in series, and that became most of
 * the measured propagation time (bench/README.md). `--sse-parser proxy` still runs the proxy's parser.
 *
 * Handles what the API sends (hub.ts): `field: value` lines ending in LF, comment lines starting with ":",
 * a blank line ending each event. A CR anywhere is refused (the caller drops the stream) rather than
 * misread, since the API never sends one.
 */

export interface ByteSseEvent {
  event: string;
  id: string | undefined;
  /** The `data:` lines joined with LF, as UTF-8 bytes in pieces (as they arrived; joined only on demand). */
  data: Buffer[];
  /** Their total length in bytes. */
  dataBytes: number;
}

/** An event's data as one string. */
export function dataText(event: ByteSseEvent): string {
  return Buffer.concat(event.data).toString('utf8');
}

export class SseFormatError extends Error {}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const LF_BUFFER = Buffer.from('\n');

/**
 * Events are framed without copying: the bytes of the event being read stay in the chunks they came in (an
 * 87 KB event arrives in two or three), and a line that spans chunks is a list of pieces. Copying them into
 * one Buffer cost ~40 µs per event, more than all the rest.
 */
export class ByteSseReader {
  /** The current line so far, in pieces. */
  #line: Buffer[] = [];
  #lineBytes = 0;
  #event = '';
  #data: Buffer[] = [];
  #dataBytes = 0;
  #lastId: string | undefined;
  /** Comment lines seen (heartbeats). */
  comments = 0;

  push(chunk: Buffer): ByteSseEvent[] {
    if (chunk.indexOf(CR) !== -1) {
      throw new SseFormatError('the stream has a CR; this reader handles LF line ends only');
    }
    const events: ByteSseEvent[] = [];
    let pos = 0;
    for (;;) {
      const end = chunk.indexOf(LF, pos);
      if (end === -1) {
        if (pos < chunk.length) {
          this.#line.push(chunk.subarray(pos));
          this.#lineBytes += chunk.length - pos;
        }
        break;
      }
      if (end > pos) {
        this.#line.push(chunk.subarray(pos, end));
        this.#lineBytes += end - pos;
      }
      pos = end + 1;
      const event = this.#endLine();
      if (event) events.push(event);
    }
    return events;
  }

  #endLine(): ByteSseEvent | undefined {
    const pieces = this.#line;
    const bytes = this.#lineBytes;
    this.#line = [];
    this.#lineBytes = 0;
    if (bytes === 0) return this.#dispatch();
    let first = pieces[0] as Buffer;
    if (first[0] === COLON) {
      this.comments++;
      return undefined;
    }
    let colon = first.indexOf(COLON);
    if (colon === -1 && pieces.length > 1) {
      // The field name spans pieces (rare): join this line.
      first = Buffer.concat(pieces);
      pieces.splice(0, pieces.length, first);
      colon = first.indexOf(COLON);
    }
    const field = (colon === -1 ? first : first.subarray(0, colon)).toString('latin1');
    const skip = colon === -1 ? first.length : colon + 1;
    const value = [first.subarray(skip), ...pieces.slice(1)].filter((b) => b.length > 0);
    let valueBytes = bytes - skip;
    // One space after the colon is not part of the value (it may be the first byte of the next piece).
    if (value[0]?.[0] === SPACE) {
      value[0] = value[0].subarray(1);
      if (value[0].length === 0) value.shift();
      valueBytes--;
    }
    if (field === 'data') {
      if (this.#data.length > 0 || this.#dataBytes > 0) {
        this.#data.push(LF_BUFFER);
        this.#dataBytes += 1;
      }
      this.#data.push(...value);
      // An empty data line still counts (its LF joins the next one).
      this.#dataBytes += valueBytes;
      if (valueBytes === 0 && this.#data.length === 0) this.#data.push(Buffer.alloc(0));
      return undefined;
    }
    const text = Buffer.concat(value).toString('utf8');
    if (field === 'event') this.#event = text;
    else if (field === 'id' && !text.includes('\0')) this.#lastId = text;
    return undefined;
  }

  #dispatch(): ByteSseEvent | undefined {
    const data = this.#data;
    const dataBytes = this.#dataBytes;
    const event = this.#event;
    this.#data = [];
    this.#dataBytes = 0;
    this.#event = '';
    if (data.length === 0) return undefined;
    return { event: event || 'message', id: this.#lastId, data, dataBytes };
  }
}
