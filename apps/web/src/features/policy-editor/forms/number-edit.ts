/**
 * What an edit of a numeric input writes into the spec. Kept apart from the widgets so the rules (empty
 * removes an optional field, text that is not a number yet is kept in the input but not written) are tested
 * without rendering.
 */
import {
  formatByteSize,
  formatNumber,
  parseByteSize,
  parseNumberText,
  percentToRatio,
  ratioToPercent,
  type ParsedNumber,
} from './convert.ts';

/** How a numeric field shows its spec value as text and reads it back. */
export interface NumberCodec {
  parse: (text: string) => ParsedNumber;
  format: (value: number | undefined) => string;
  /** Shown while the text means no number. */
  invalidMessage: string;
}

export const plainNumber: NumberCodec = {
  parse: parseNumberText,
  format: formatNumber,
  invalidMessage: 'enter a number',
};

/** The spec stores a ratio (0..1); people type a percentage. */
export const percentOfRatio: NumberCodec = {
  parse: (text) => {
    const parsed = parseNumberText(text.replace(/%\s*$/, ''));
    return parsed.kind === 'number' ? { kind: 'number', value: percentToRatio(parsed.value) } : parsed;
  },
  format: (value) => (value === undefined ? '' : formatNumber(ratioToPercent(value))),
  invalidMessage: 'enter a percentage, like 20',
};

/** A percentage stored as such (0..100); a trailing "%" is accepted. */
export const percent: NumberCodec = {
  parse: (text) => parseNumberText(text.replace(/%\s*$/, '')),
  format: formatNumber,
  invalidMessage: 'enter a percentage, like 20',
};

export const byteSize: NumberCodec = {
  parse: parseByteSize,
  format: formatByteSize,
  invalidMessage: 'enter a size like 64 MiB, 512 KiB or 1048576',
};

/** What the schema says about the field's presence. */
export interface Presence {
  optional: boolean;
  defaultValue: unknown;
}

/** An edit's outcome: write `value` (undefined removes the field), or keep the spec and show `error`. */
export type NumberEdit = { write: true; value: number | undefined } | { write: false; error: string };

export function numberEdit(text: string, codec: NumberCodec, presence: Presence): NumberEdit {
  const parsed = codec.parse(text);
  if (parsed.kind === 'number') return { write: true, value: parsed.value };
  if (parsed.kind === 'invalid') return { write: false, error: codec.invalidMessage };
  if (presence.optional) return { write: true, value: undefined };
  // A defaulted field left empty means "the default", which is what the server would fill in.
  if (typeof presence.defaultValue === 'number') return { write: true, value: presence.defaultValue };
  return { write: false, error: 'required' };
}

/** Whether the input's text already stands for `value` (then an incoming value must not replace the text). */
export function textShows(text: string, value: number | undefined, codec: NumberCodec, presence: Presence) {
  const edit = numberEdit(text, codec, presence);
  return edit.write && edit.value === value;
}
