import { describe, expect, it } from 'vitest';
import {
  formatByteSize,
  formatNumber,
  listTestId,
  moveItem,
  optionalList,
  parseByteSize,
  parseNumberText,
  percentToRatio,
  ratioToPercent,
  withField,
} from './convert.ts';

describe('parseNumberText', () => {
  it('reads plain decimal numbers, with thousands separators and spaces around', () => {
    expect(parseNumberText(' 12 ')).toEqual({ kind: 'number', value: 12 });
    expect(parseNumberText('1,000,000')).toEqual({ kind: 'number', value: 1_000_000 });
    expect(parseNumberText('0.5')).toEqual({ kind: 'number', value: 0.5 });
    expect(parseNumberText('.5')).toEqual({ kind: 'number', value: 0.5 });
    expect(parseNumberText('-3')).toEqual({ kind: 'number', value: -3 });
    expect(parseNumberText('1e3')).toEqual({ kind: 'number', value: 1000 });
  });

  it('keeps a number that is still being typed ("1.") a number', () => {
    expect(parseNumberText('1.')).toEqual({ kind: 'number', value: 1 });
  });

  it('tells empty text from text that is no number', () => {
    expect(parseNumberText('')).toEqual({ kind: 'empty' });
    expect(parseNumberText('   ')).toEqual({ kind: 'empty' });
    for (const text of ['12a', 'abc', '0x10', '1..2', '-', 'NaN', 'Infinity', '1e400']) {
      expect(parseNumberText(text), text).toEqual({ kind: 'invalid' });
    }
  });
});

describe('formatNumber', () => {
  it('shows numbers without float noise and undefined as empty', () => {
    expect(formatNumber(0.07 * 100)).toBe('7');
    expect(formatNumber(1_000_000_000)).toBe('1000000000');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(undefined)).toBe('');
    expect(formatNumber(Number.NaN)).toBe('');
  });
});

describe('ratio ↔ percent', () => {
  it('converts the spec’s ratios to the percentages people type and back, exactly', () => {
    expect(ratioToPercent(0.2)).toBe(20);
    expect(ratioToPercent(0.07)).toBe(7);
    expect(percentToRatio(20)).toBe(0.2);
    expect(percentToRatio(7)).toBe(0.07);
    expect(percentToRatio(33.3)).toBe(0.333);
  });
});

describe('byte sizes', () => {
  it('reads binary units in any case, with or without a space, and plain byte counts', () => {
    expect(parseByteSize('64 MiB')).toEqual({ kind: 'number', value: 64 * 1024 * 1024 });
    expect(parseByteSize('64mb')).toEqual({ kind: 'number', value: 64 * 1024 * 1024 });
    expect(parseByteSize('1.5 KiB')).toEqual({ kind: 'number', value: 1536 });
    expect(parseByteSize('1 GiB')).toEqual({ kind: 'number', value: 1024 ** 3 });
    expect(parseByteSize('1048576')).toEqual({ kind: 'number', value: 1_048_576 });
    expect(parseByteSize('10 B')).toEqual({ kind: 'number', value: 10 });
  });

  it('refuses unknown units and fractions of a byte', () => {
    expect(parseByteSize('')).toEqual({ kind: 'empty' });
    expect(parseByteSize('12 parsecs')).toEqual({ kind: 'invalid' });
    expect(parseByteSize('1.5')).toEqual({ kind: 'invalid' });
    expect(parseByteSize('MiB')).toEqual({ kind: 'invalid' });
  });

  it('writes sizes in the largest unit that divides them, and reads its own output back', () => {
    expect(formatByteSize(64 * 1024 * 1024)).toBe('64 MiB');
    expect(formatByteSize(1024)).toBe('1 KiB');
    expect(formatByteSize(1536)).toBe('1536 B');
    expect(formatByteSize(1024 ** 3)).toBe('1 GiB');
    expect(formatByteSize(undefined)).toBe('');
    for (const bytes of [1, 1000, 1024, 65_536, 33_554_432, 1536]) {
      expect(parseByteSize(formatByteSize(bytes))).toEqual({ kind: 'number', value: bytes });
    }
  });
});

describe('list and object edits', () => {
  it('moves an item up and down, clamped to the list', () => {
    expect(moveItem(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'c', 'b']);
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, 3)).toEqual(['a', 'b', 'c']);
  });

  it('writes an emptied optional list or field as absent, not as [] or undefined', () => {
    expect(optionalList([])).toBeUndefined();
    expect(optionalList([1])).toEqual([1]);
    const spec: { a: number; b?: string | undefined } = { a: 1, b: 'x' };
    const edited = withField(spec, 'b', undefined);
    expect(edited).toEqual({ a: 1 });
    expect('b' in edited).toBe(false);
    expect(withField({ a: 1 }, 'a', 2)).toEqual({ a: 2 });
  });

  it('gives nested lists their own button ids', () => {
    expect(listTestId('rules', 'rule')).toBe('rule');
    expect(listTestId('rules.0.overrides', 'override')).toBe('rules.0.override');
    expect(listTestId('matches.1.headers', 'header')).toBe('matches.1.header');
  });
});
