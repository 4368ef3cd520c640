import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './text-diff.ts';

const lines = (...l: string[]) => l.map((x) => `${x}\n`).join('');

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'old', 'new')).toBe('');
    expect(unifiedDiff('', '', 'old', 'new')).toBe('');
  });

  it('writes diff -u hunks with three lines of context', () => {
    const old = lines('1', '2', '3', '4', '5', '6', '7', '8', '9', '10');
    const now = lines('1', '2', '3', '4', 'five', '6', '7', '8', '9', '10');
    expect(unifiedDiff(old, now, 'a', 'b')).toBe(
      lines('--- a', '+++ b', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8'),
    );
  });

  it('splits changes far apart into separate hunks and joins close ones', () => {
    const old = lines(...Array.from({ length: 20 }, (_, i) => String(i + 1)));
    const far = old.replace('2\n', 'two\n').replace('18\n', 'eighteen\n');
    expect(unifiedDiff(old, far, 'a', 'b').match(/^@@/gm)).toHaveLength(2);
    const close = old.replace('2\n', 'two\n').replace('8\n', 'eight\n');
    expect(unifiedDiff(old, close, 'a', 'b').match(/^@@/gm)).toHaveLength(1);
  });

  it('diffs against nothing (a new resource) and to nothing', () => {
    expect(unifiedDiff('', lines('a', 'b'), '/dev/null', 'new')).toBe(
      lines('--- /dev/null', '+++ new', '@@ -0,0 +1,2 @@', '+a', '+b'),
    );
    expect(unifiedDiff(lines('a'), '', 'old', '/dev/null')).toBe(
      lines('--- old', '+++ /dev/null', '@@ -1 +0,0 @@', '-a'),
    );
  });

  it('handles insertions at the end', () => {
    expect(unifiedDiff(lines('a', 'b'), lines('a', 'b', 'c'), 'x', 'y')).toBe(
      lines('--- x', '+++ y', '@@ -1,2 +1,3 @@', ' a', ' b', '+c'),
    );
  });
});
