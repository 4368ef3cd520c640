/**
 * Text ↔ spec value conversions for the policy forms. Inputs hold what the user typed; the spec holds numbers
 * (and durations as GEP-2257 strings). These functions decide what a piece of text means, so typing "1." or
 * "64 Mi" on the way to a valid value is never overwritten by the form.
 */

/** What a numeric input's text means. */
export type ParsedNumber = { kind: 'empty' } | { kind: 'number'; value: number } | { kind: 'invalid' };

/** "", " 12 ", "1e3", "-1", "0.5" → empty / number / invalid. Thousands separators are accepted ("1,000"). */
export function parseNumberText(text: string): ParsedNumber {
  const trimmed = text.trim().replace(/[,_\s]/g, '');
  if (trimmed === '') return { kind: 'empty' };
  // Number('') and Number('0x10') are numbers, so check the shape first: plain decimal notation only.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) return { kind: 'invalid' };
  const value = Number(trimmed);
  return Number.isFinite(value) ? { kind: 'number', value } : { kind: 'invalid' };
}

/** A number as an input shows it: no exponent for ordinary values, no float noise (0.07 * 100). */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '';
  return String(Number(value.toPrecision(12)));
}

/** Numbers in hints: "1,000,000" (fixed locale, so the server and the browser render the same text). */
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });
export function formatCount(value: number): string {
  return grouped.format(value);
}

/** A ratio (0..1, as the spec stores budgets and jitter) shown as a percentage, and back. */
export function ratioToPercent(ratio: number): number {
  return Number((ratio * 100).toPrecision(12));
}
export function percentToRatio(percent: number): number {
  return Number((percent / 100).toPrecision(12));
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  '': 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * "64 MiB", "64MiB", "1.5 KiB", "1048576" → bytes. Units are binary (KB = KiB = 1024, as the spec's own
 * defaults are written: 64 * 1024 * 1024); a fraction of a byte is invalid, not rounded.
 */
export function parseByteSize(text: string): ParsedNumber {
  const trimmed = text.trim().replace(/[,_]/g, '');
  if (trimmed === '') return { kind: 'empty' };
  const match = /^(\d+\.?\d*|\.\d+)\s*([a-z]*)$/i.exec(trimmed);
  const unit = BYTE_UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) return { kind: 'invalid' };
  const value = Number(match[1]) * unit;
  return Number.isSafeInteger(value) ? { kind: 'number', value } : { kind: 'invalid' };
}

/** Bytes in the largest binary unit that divides them: 67108864 → "64 MiB", 1500 → "1500 B". */
export function formatByteSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '';
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} B`;
}

/** Optional text fields: an empty input removes the field instead of writing "". */
export function optionalText(text: string): string | undefined {
  return text.trim() === '' ? undefined : text.trim();
}

/** A copy of `list` with the item at `from` moved to `to` (both clamped into the list). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const copy = [...list];
  if (from < 0 || from >= copy.length) return copy;
  const target = Math.max(0, Math.min(copy.length - 1, to));
  const [item] = copy.splice(from, 1);
  copy.splice(target, 0, item as T);
  return copy;
}

export function replaceItem<T>(list: readonly T[], index: number, item: T): T[] {
  return list.map((existing, i) => (i === index ? item : existing));
}

export function removeItem<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

/** An optional list after an edit: an empty list is written as no list at all. */
export function optionalList<T>(list: readonly T[]): T[] | undefined {
  return list.length ? [...list] : undefined;
}

/**
 * A copy of `object` with `key` set, or removed when `value` is undefined (so the YAML preview shows no
 * `key: undefined`, and an emptied optional field is gone from the resource).
 */
export function withField<T extends object, K extends keyof T>(object: T, key: K, value: T[K]): T {
  const copy = { ...object };
  if (value === undefined) delete copy[key];
  else copy[key] = value;
  return copy;
}

/**
 * The `data-test` stem of a list's buttons: the list's parent path and the item's noun ("rules" → "rule",
 * "rules.0.overrides" → "rules.0.override"), so nested lists' buttons never share an id.
 */
export function listTestId(path: string, noun: string): string {
  const parent = path.split('.').slice(0, -1).join('.');
  return parent ? `${parent}.${noun}` : noun;
}
