import { describe, expect, it } from 'vitest';
import { SseLimitError, SseParser, type SseEvent } from './sse.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `text` split at every position in `cuts` (as bytes) and collects the events. */
function feed(text: string, cuts: number[] = [], parser = new SseParser()): SseEvent[] {
  const all = bytes(text);
  const events: SseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, all.length]) {
    events.push(...parser.push(all.subarray(from, cut)));
    from = cut;
  }
  return events;
}

describe('SseParser', () => {
  it('dispatches on a blank line: event type, multi-line data, id', () => {
    expect(feed('event: config\nid: v1\ndata: {"a":\ndata: 1}\n\n')).toEqual([
      { event: 'config', data: '{"a":\n1}', id: 'v1' },
    ]);
  });

  it('gives the same events however the bytes are split, through CRLF pairs and UTF-8 sequences', () => {
    const text =
      ': hi\r\nevent: config\r\nid: 7\r\ndata: {"name":"café ☕"}\r\n\r\nevent: config\rdata: x\r\r';
    const whole = feed(text);
    expect(whole).toEqual([
      { event: 'config', data: '{"name":"café ☕"}', id: '7' },
      { event: 'config', data: 'x', id: '7' },
    ]);
    const length = bytes(text).length;
    for (let cut = 1; cut < length; cut++) expect(feed(text, [cut])).toEqual(whole);
    expect(
      feed(
        text,
        Array.from({ length: length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(whole);
  });

  it('ignores comments (heartbeats), unknown fields and events without data; counts comments', () => {
    const parser = new SseParser();
    expect(feed(': keep-alive\n\nfoo: bar\nevent: config\n\n: keep-alive\n\n', [], parser)).toEqual([]);
    expect(parser.comments).toBe(2);
    // The event type of an event without data does not leak into the next one.
    expect(feed('event: config\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x', id: undefined }]);
  });

  it('takes one space after the colon off, keeps the rest; a line without colon is a field name', () => {
    expect(feed('data:  two\ndata\ndata:none\n\n')).toEqual([
      { event: 'message', data: ' two\n\nnone', id: undefined },
    ]);
  });

  it('drops a leading BOM, keeps an incomplete last event undispatched, reads retry', () => {
    const parser = new SseParser();
    expect(feed('\uFEFFretry: 1500\ndata: a\n\ndata: incomplete\n', [], parser)).toEqual([
      { event: 'message', data: 'a', id: undefined },
    ]);
    expect(parser.retryMs).toBe(1500);
  });

  it('refuses a line or an event larger than its bound instead of buffering on', () => {
    expect(() => feed(`data: ${'x'.repeat(100)}`, [10, 50], new SseParser(64))).toThrow(SseLimitError);
    expect(() => feed(`${'data: 0123456789\n'.repeat(10)}\n`, [], new SseParser(64))).toThrow(SseLimitError);
    // Under the bound, lines of many chunks are joined.
    expect(feed(`data: ${'y'.repeat(50)}\n\n`, [7, 20, 33], new SseParser(64))).toEqual([
      { event: 'message', data: 'y'.repeat(50), id: undefined },
    ]);
  });
});
