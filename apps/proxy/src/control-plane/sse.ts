/**
 * Server-Sent Events parsing as the WHATWG HTML standard defines the event-stream format (§9.2.6): UTF-8,
 * lines ending in CRLF, LF or CR, `field: value` lines, a blank line dispatches the event, lines starting
 * with ":" are comments (the API's heartbeats). Incremental: bytes go in as they arrive, split anywhere
 * (inside a line, a CRLF pair or a UTF-8 sequence), and whole events come out.
 *
 * Bounded: a line or an event's data longer than `maxEventChars` throws SseLimitError instead of growing
 * without end (the caller drops the connection and reconnects).
 */

export interface SseEvent {
  /** The `event:` field; "message" when the event had none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen on the stream so far (it carries over to later events, per the standard). */
  id: string | undefined;
}

export class SseLimitError extends Error {}

/** Large enough for the config of a big mesh; small enough that a broken stream cannot exhaust memory. */
export const DEFAULT_MAX_EVENT_CHARS = 32 * 1024 * 1024;

export class SseParser {
  readonly #maxEventChars: number;
  readonly #decoder = new TextDecoder('utf-8');
  readonly #lineEnd = /[\r\n]/g;
  #started = false;
  /** The start of a line whose end has not arrived yet, in pieces (joined once, when it ends). */
  #partial: string[] = [];
  #partialChars = 0;
  /** The last chunk ended with CR: an LF that starts the next one belongs to it. */
  #skipLF = false;
  #data: string[] = [];
  #dataChars = 0;
  #event = '';
  #lastId: string | undefined;
  /** The last `retry:` value, in milliseconds. */
  retryMs: number | undefined;
  /** Comment lines seen (heartbeats). */
  comments = 0;

  constructor(maxEventChars = DEFAULT_MAX_EVENT_CHARS) {
    this.#maxEventChars = maxEventChars;
  }

  /** Feeds bytes (or already decoded text); returns the events they complete. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (text.length === 0) return [];
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let pos = 0;
    if (this.#skipLF) {
      this.#skipLF = false;
      if (text.charCodeAt(0) === 10) pos = 1;
    }
    const events: SseEvent[] = [];
    while (pos < text.length) {
      this.#lineEnd.lastIndex = pos;
      const m = this.#lineEnd.exec(text);
      if (m === null) {
        this.#partialChars += text.length - pos;
        if (this.#partialChars > this.#maxEventChars) {
          throw new SseLimitError(`an event-stream line is longer than ${this.#maxEventChars} characters`);
        }
        this.#partial.push(text.slice(pos));
        break;
      }
      const tail = text.slice(pos, m.index);
      const line = this.#partial.length > 0 ? this.#partial.join('') + tail : tail;
      this.#partial = [];
      this.#partialChars = 0;
      const event = this.#line(line);
      if (event) events.push(event);
      pos = m.index + 1;
      if (text.charCodeAt(m.index) === 13) {
        if (pos === text.length) this.#skipLF = true;
        else if (text.charCodeAt(pos) === 10) pos++;
      }
    }
    return events;
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.charCodeAt(0) === 58 /* ":" */) {
      this.comments++;
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* " " */) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#dataChars += value.length + 1;
        if (this.#dataChars > this.#maxEventChars) {
          throw new SseLimitError(`an event's data is longer than ${this.#maxEventChars} characters`);
        }
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // Unknown fields are ignored.
    }
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#dataChars = 0;
    this.#event = '';
    if (data.length === 0) return undefined;
    return { event: event || 'message', data: data.join('\n'), id: this.#lastId };
  }
}
