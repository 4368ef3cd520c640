import { describe, expect, it } from 'vitest';
import { byteSize, numberEdit, percent, percentOfRatio, plainNumber, textShows } from './number-edit.ts';

const required = { optional: false, defaultValue: undefined };
const optional = { optional: true, defaultValue: undefined };
const defaulted = { optional: false, defaultValue: 0 };

describe('numberEdit', () => {
  it('writes a number as soon as the text is one, out of range too (the schema then flags it)', () => {
    expect(numberEdit('20', plainNumber, required)).toEqual({ write: true, value: 20 });
    expect(numberEdit('0', plainNumber, required)).toEqual({ write: true, value: 0 });
    expect(numberEdit('1.5', plainNumber, required)).toEqual({ write: true, value: 1.5 });
  });

  it('removes an optional field when its input is emptied, instead of writing 0 or NaN', () => {
    expect(numberEdit('', plainNumber, optional)).toEqual({ write: true, value: undefined });
  });

  it('writes the default for an emptied defaulted field (what the server would fill in)', () => {
    expect(numberEdit('', plainNumber, defaulted)).toEqual({ write: true, value: 0 });
  });

  it('leaves the spec alone while the text is no number, or a required field is empty', () => {
    expect(numberEdit('12a', plainNumber, optional)).toEqual({ write: false, error: 'enter a number' });
    expect(numberEdit('', plainNumber, required)).toEqual({ write: false, error: 'required' });
  });
});

describe('textShows', () => {
  it('keeps what the user typed when it already means the spec value', () => {
    expect(textShows('1.', 1, plainNumber, required)).toBe(true);
    expect(textShows('', 0, plainNumber, defaulted)).toBe(true);
    expect(textShows('', undefined, plainNumber, optional)).toBe(true);
  });

  it('gives way to a spec value that changed elsewhere (reset, revert)', () => {
    expect(textShows('5', 8, plainNumber, required)).toBe(false);
    expect(textShows('12a', 12, plainNumber, required)).toBe(false);
  });
});

describe('codecs', () => {
  it('shows ratios as percentages and writes them back as ratios', () => {
    expect(percentOfRatio.format(0.2)).toBe('20');
    expect(percentOfRatio.format(0.07)).toBe('7');
    expect(numberEdit('20', percentOfRatio, required)).toEqual({ write: true, value: 0.2 });
    expect(numberEdit('12.5 %', percentOfRatio, required)).toEqual({ write: true, value: 0.125 });
    expect(numberEdit('', percentOfRatio, { optional: false, defaultValue: 0.5 })).toEqual({
      write: true,
      value: 0.5,
    });
  });

  it('takes percentages with or without the sign', () => {
    expect(numberEdit('0.5%', percent, required)).toEqual({ write: true, value: 0.5 });
    expect(numberEdit('10', percent, required)).toEqual({ write: true, value: 10 });
  });

  it('reads and shows byte sizes in binary units', () => {
    expect(numberEdit('32 MiB', byteSize, required)).toEqual({ write: true, value: 33_554_432 });
    expect(byteSize.format(65_536)).toBe('64 KiB');
    expect(numberEdit('lots', byteSize, required)).toEqual({ write: false, error: byteSize.invalidMessage });
  });
});
