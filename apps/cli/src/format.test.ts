import { describe, expect, it } from 'vitest';
import { formatAge, formatLatency, formatRps, formatSuccess, formatTable } from './format.ts';

describe('formatTable', () => {
  it('pads columns to the widest cell, three spaces apart, without trailing spaces', () => {
    expect(
      formatTable(
        ['NAME', 'VALUE', 'NOTE'],
        [
          ['a', '1', ''],
          ['longer-name', '22', 'x'],
        ],
      ),
    ).toBe('NAME          VALUE   NOTE\na             1\nlonger-name   22      x\n');
  });

  it('prints only the headers for no rows', () => {
    expect(formatTable(['A', 'B'], [])).toBe('A   B\n');
  });
});

describe('formatAge (kubectl HumanDuration)', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [119_000, '119s'],
    [200_000, '3m20s'],
    [300_000, '5m'],
    [15 * 60_000, '15m'],
    [5.5 * 3600_000, '5h30m'],
    [20 * 3600_000, '20h'],
    [76 * 3600_000, '3d4h'],
    [40 * 86_400_000, '40d'],
    [(2 * 365 + 30) * 86_400_000, '2y30d'],
    [-1, '<unknown>'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe('numbers', () => {
  it('formats rates, success and latencies, "-" for idle', () => {
    expect(formatRps(0)).toBe('0');
    expect(formatRps(1.234)).toBe('1.23');
    expect(formatRps(1234.5)).toBe('1235');
    expect(formatSuccess(null)).toBe('-');
    expect(formatSuccess(0.995)).toBe('99.50%');
    expect(formatSuccess(1)).toBe('100.00%');
    expect(formatLatency(null)).toBe('-');
    expect(formatLatency(2.46)).toBe('2.5ms');
    expect(formatLatency(120.4)).toBe('120ms');
    expect(formatLatency(1250)).toBe('1.25s');
  });
});
