/**
 * A line-based unified diff (`diff -u` format, three lines of context) of two texts: what `weft policy diff`
 * prints and the console shows before an apply, so both say the same thing.
 */

type Op = { type: ' ' | '-' | '+'; line: string };

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The edit script from `a` to `b` by longest common subsequence (policies are short: O(n·m) is fine). */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the LCS of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i]!;
    const next = lcs[i + 1]!;
    for (let j = m - 1; j >= 0; j--) {
      row[j] = a[i] === b[j] ? next[j + 1]! + 1 : Math.max(next[j]!, row[j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ type: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      ops.push({ type: '-', line: a[i++]! });
    } else {
      ops.push({ type: '+', line: b[j++]! });
    }
  }
  while (i < n) ops.push({ type: '-', line: a[i++]! });
  while (j < m) ops.push({ type: '+', line: b[j++]! });
  return ops;
}

function range(start: number, count: number): string {
  // diff -u: an empty range names the line before it.
  if (count === 0) return `${start},0`;
  return count === 1 ? `${start + 1}` : `${start + 1},${count}`;
}

/** "" when the texts are equal; otherwise the ---/+++ header and the hunks, each line ending in "\n". */
export function unifiedDiff(
  oldText: string,
  newText: string,
  oldLabel: string,
  newLabel: string,
  context = 3,
): string {
  const ops = editScript(splitLines(oldText), splitLines(newText));
  if (ops.every((op) => op.type === ' ')) return '';
  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  // Positions (in ops) of the changes, grouped into hunks whose context would touch or overlap.
  const changes = ops.flatMap((op, k) => (op.type === ' ' ? [] : [k]));
  let g = 0;
  while (g < changes.length) {
    let last = g;
    while (last + 1 < changes.length && changes[last + 1]! - changes[last]! <= 2 * context + 1) last++;
    const from = Math.max(0, changes[g]! - context);
    const to = Math.min(ops.length, changes[last]! + context + 1);
    let oldStart = 0;
    let newStart = 0;
    for (let k = 0; k < from; k++) {
      if (ops[k]!.type !== '+') oldStart++;
      if (ops[k]!.type !== '-') newStart++;
    }
    const hunk = ops.slice(from, to);
    const oldCount = hunk.filter((op) => op.type !== '+').length;
    const newCount = hunk.filter((op) => op.type !== '-').length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const op of hunk) out.push(`${op.type}${op.line}`);
    g = last + 1;
  }
  return out.map((l) => `${l}\n`).join('');
}

/** Lines added and removed in a unified diff (its ---/+++ header not counted). */
export function diffCounts(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of splitLines(diff)) {
    if (line.startsWith('+++ ') || line.startsWith('--- ')) continue;
    if (line.startsWith('+')) added++;
    else if (line.startsWith('-')) removed++;
  }
  return { added, removed };
}
