import { describe, expect, it } from 'vitest';
import { classifyPrefix, H2_PREFACE } from './protocol-detect.ts';

describe('classifyPrefix', () => {
  it('needs more bytes while they are a proper prefix of the HTTP/2 preface', () => {
    expect(classifyPrefix(Buffer.alloc(0))).toBeUndefined();
    expect(classifyPrefix(Buffer.from('PRI * HTTP/2.0\r\n'))).toBeUndefined();
    expect(classifyPrefix(H2_PREFACE.subarray(0, H2_PREFACE.length - 1))).toBeUndefined();
  });

  it('says h2 once the whole preface is there, frames after it or not', () => {
    expect(classifyPrefix(H2_PREFACE)).toBe('h2');
    expect(classifyPrefix(Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0, 4])]))).toBe('h2');
  });

  it('says http/1.1 at the first byte that differs, without waiting for 24 bytes', () => {
    expect(classifyPrefix(Buffer.from('G'))).toBe('http/1.1');
    expect(classifyPrefix(Buffer.from('POST / HTTP/1.1\r\n'))).toBe('http/1.1');
    // An HTTP/1.1 request with the PRI method is not the preface.
    expect(classifyPrefix(Buffer.from('PRI / HTTP/1.1\r\n'))).toBe('http/1.1');
  });
});
