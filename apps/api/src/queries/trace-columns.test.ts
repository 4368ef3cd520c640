import { describe, expect, it } from 'vitest';
import { parseAttributes, parseEvents, parseLinks, parseScope } from './trace-columns.ts';

describe('span JSON columns', () => {
  it('reads the defaults of rows written before the columns existed as nothing', () => {
    expect(parseEvents('[]', 1_000n)).toEqual([]);
    expect(parseLinks('[]')).toEqual([]);
    expect(parseAttributes('{}')).toEqual({});
    expect(parseScope('{}')).toBeNull();
  });

  it('gives event times relative to the span start, in time order, epoch µs as number or string', () => {
    const events = JSON.stringify([
      { name: 'retry', timeUs: '1764000000002500', attributes: { attempt: '2' } },
      { name: 'sent', timeUs: 1764000000000400, attributes: {} },
    ]);
    expect(parseEvents(events, 1764000000000000n)).toEqual([
      { name: 'sent', offsetUs: 400, attributes: {} },
      { name: 'retry', offsetUs: 2500, attributes: { attempt: '2' } },
    ]);
  });

  it('keeps links with ids, lower-cased, and drops malformed entries without failing the span', () => {
    const links = JSON.stringify([
      { traceId: 'AB'.repeat(16), spanId: 'CD'.repeat(8), traceState: 'k=v', attributes: { why: 'batch' } },
      { traceId: 'ab'.repeat(16) },
      'garbage',
    ]);
    expect(parseLinks(links)).toEqual([
      {
        traceId: 'ab'.repeat(16),
        spanId: 'cd'.repeat(8),
        traceState: 'k=v',
        attributes: { why: 'batch' },
        traceStored: false,
      },
    ]);
    expect(parseLinks('not json')).toEqual([]);
    expect(parseEvents('{"name":"not an array"}', 0n)).toEqual([]);
  });

  it('shows non-string attribute values as their JSON and reads the scope', () => {
    expect(parseAttributes('{"a":"x","n":3,"list":["p","q"],"gone":null}')).toEqual({
      a: 'x',
      n: '3',
      list: '["p","q"]',
    });
    expect(parseScope('{"name":"@weft/proxy","version":"0.1.0"}')).toEqual({
      name: '@weft/proxy',
      version: '0.1.0',
      attributes: {},
    });
  });
});
