/**
 * Layered left→right layout for the service graph, in the spirit of Sugiyama but small:
 *  1. break cycles (DFS back edges are ignored for layering),
 *  2. layer = longest call depth from a caller nobody calls (`unknown`, frontends),
 *  3. one horizontal band per namespace (callers outside the mesh first), so each namespace can be drawn as
 *     one box that never overlaps another; on a big mesh the bands wrap into side-by-side stacks so the whole
 *     picture keeps a screen-like aspect ratio instead of becoming one very tall strip,
 *  4. inside a band, each column is ordered by the mean height of its callers (barycentre), which removes
 *     most edge crossings in one sweep.
 * Nodes may be taller than NODE_HEIGHT (a service split by version is a box of version nodes): a column
 * stacks its nodes by their heights, and a band is as tall as its tallest column.
 * O(nodes + edges · log) — fine for thousands of services; no dependency.
 */

export interface LayoutNodeInput {
  id: string;
  /** Band the node is drawn in (its namespace; callers outside the mesh get their own band). */
  group: string;
  /** Height in px; NODE_HEIGHT unless said (a service split by version is a taller box). */
  height?: number;
}

export interface LayoutEdgeInput {
  source: string;
  target: string;
}

export interface XY {
  x: number;
  y: number;
}

export interface LayoutResult {
  positions: Map<string, XY>;
  depth: Map<string, number>;
  /** Bands top to bottom. */
  groups: string[];
}

export const NODE_WIDTH = 196;
export const NODE_HEIGHT = 66;
export const COLUMN_GAP = 120;
export const ROW_GAP = 26;
/** Space above a band's first row for the namespace label, and between bands. */
export const BAND_HEADER = 34;
export const BAND_PADDING = 18;
export const BAND_GAP = 28;
/** Width/height the stacked bands aim for (a wide screen). */
const TARGET_ASPECT = 1.6;
const STACK_GAP = 160;

const COLUMN = NODE_WIDTH + COLUMN_GAP;

export function layeredLayout(
  nodes: readonly LayoutNodeInput[],
  edges: readonly LayoutEdgeInput[],
  groupOrder: (a: string, b: string) => number = (a, b) => a.localeCompare(b),
): LayoutResult {
  const ids = nodes.map((n) => n.id).sort();
  const known = new Set(ids);
  const groupOf = new Map(nodes.map((n) => [n.id, n.group]));
  const heightOf = new Map(nodes.map((n) => [n.id, n.height ?? NODE_HEIGHT]));
  // Columns stack nodes of their own heights: a column's height in px, gaps included.
  const columnHeight = (col: readonly string[]) =>
    col.reduce((sum, id) => sum + heightOf.get(id)!, 0) + Math.max(0, col.length - 1) * ROW_GAP;

  const out = new Map<string, string[]>();
  const indegree = new Map<string, number>();
  for (const id of ids) {
    out.set(id, []);
    indegree.set(id, 0);
  }
  for (const e of edges) {
    if (e.source === e.target || !known.has(e.source) || !known.has(e.target)) continue;
    out.get(e.source)!.push(e.target);
  }
  for (const targets of out.values()) targets.sort();

  // 1. Mark back edges with an iterative DFS, starting from nodes nobody calls (deterministic order).
  for (const targets of out.values()) for (const t of targets) indegree.set(t, indegree.get(t)! + 1);
  const roots = ids.filter((id) => indegree.get(id) === 0);
  const state = new Map<string, 1 | 2>(); // 1 = on stack, 2 = done
  const back = new Set<string>();
  const visit = (start: string) => {
    if (state.has(start)) return;
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    state.set(start, 1);
    while (stack.length) {
      const frame = stack[stack.length - 1]!;
      const targets = out.get(frame.id)!;
      if (frame.next < targets.length) {
        const t = targets[frame.next++]!;
        const s = state.get(t);
        if (s === 1) back.add(`${frame.id}\u0000${t}`);
        else if (s === undefined) {
          state.set(t, 1);
          stack.push({ id: t, next: 0 });
        }
      } else {
        state.set(frame.id, 2);
        stack.pop();
      }
    }
  };
  for (const r of roots) visit(r);
  for (const id of ids) visit(id);

  // 2. Longest-path layering over the acyclic remainder (Kahn's order).
  const dagOut = new Map<string, string[]>();
  const dagIn = new Map<string, string[]>();
  const remaining = new Map<string, number>();
  for (const id of ids) {
    dagOut.set(id, []);
    dagIn.set(id, []);
    remaining.set(id, 0);
  }
  for (const [s, targets] of out) {
    for (const t of targets) {
      if (back.has(`${s}\u0000${t}`)) continue;
      dagOut.get(s)!.push(t);
      dagIn.get(t)!.push(s);
      remaining.set(t, remaining.get(t)! + 1);
    }
  }
  const depth = new Map<string, number>();
  const queue = ids.filter((id) => remaining.get(id) === 0);
  for (const id of queue) depth.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const d = depth.get(id)!;
    for (const t of dagOut.get(id)!) {
      depth.set(t, Math.max(depth.get(t) ?? 0, d + 1));
      const left = remaining.get(t)! - 1;
      remaining.set(t, left);
      if (left === 0) queue.push(t);
    }
  }

  // 3. Bands: one per group, ordered by the shallowest depth they contain, then by the given order.
  const minDepth = new Map<string, number>();
  for (const id of ids) {
    const g = groupOf.get(id)!;
    minDepth.set(g, Math.min(minDepth.get(g) ?? Infinity, depth.get(id)!));
  }
  const groups = [...minDepth.keys()].sort((a, b) => minDepth.get(a)! - minDepth.get(b)! || groupOrder(a, b));

  // columns[group][depth] = node ids
  const columns = new Map<string, Map<number, string[]>>();
  for (const g of groups) columns.set(g, new Map());
  for (const id of ids) {
    const cols = columns.get(groupOf.get(id)!)!;
    const d = depth.get(id)!;
    const col = cols.get(d);
    if (col) col.push(id);
    else cols.set(d, [id]);
  }
  const maxDepth = Math.max(0, ...depth.values());
  const bandContent = new Map<string, number>();
  const bandHeight = new Map<string, number>();
  for (const g of groups) {
    const content = Math.max(...[...columns.get(g)!.values()].map(columnHeight));
    bandContent.set(g, content);
    bandHeight.set(g, BAND_HEADER + content + BAND_PADDING + BAND_GAP);
  }
  // Wrap bands into s stacks: s·W wide and H/s tall is closest to the target aspect when s² ≈ aspect·H/W.
  const width = (maxDepth + 1) * COLUMN;
  const totalHeight = [...bandHeight.values()].reduce((a, b) => a + b, 0);
  const stacks = Math.max(
    1,
    Math.min(groups.length, Math.round(Math.sqrt((TARGET_ASPECT * totalHeight) / width))),
  );
  const stackHeight = totalHeight / stacks;
  const bandTop = new Map<string, number>();
  const bandLeft = new Map<string, number>();
  let stack = 0;
  let y = 0;
  for (const g of groups) {
    if (y > 0 && y + bandHeight.get(g)! / 2 > stackHeight && stack < stacks - 1) {
      stack++;
      y = 0;
    }
    bandTop.set(g, y + BAND_HEADER);
    bandLeft.set(g, stack * (width + STACK_GAP));
    y += bandHeight.get(g)!;
  }

  // 4. Column by column, left to right: order by the barycentre of already-placed callers.
  const positions = new Map<string, XY>();
  for (let d = 0; d <= maxDepth; d++) {
    for (const g of groups) {
      const col = columns.get(g)!.get(d);
      if (!col) continue;
      const key = new Map<string, number>();
      for (const id of col) {
        // Barycentre of the callers' middles (their tops, when every node has the same height).
        const ys = dagIn
          .get(id)!
          .map((p) => {
            const at = positions.get(p);
            return at && at.y + heightOf.get(p)! / 2;
          })
          .filter((v): v is number => v !== undefined);
        key.set(id, ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Infinity);
      }
      col.sort((a, b) => key.get(a)! - key.get(b)! || a.localeCompare(b));
      let top = bandTop.get(g)! + (bandContent.get(g)! - columnHeight(col)) / 2;
      const x = bandLeft.get(g)! + d * COLUMN;
      for (const id of col) {
        positions.set(id, { x, y: top });
        top += heightOf.get(id)! + ROW_GAP;
      }
    }
  }

  return { positions, depth, groups };
}

export interface GroupBox {
  group: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The box around each group's nodes (from their current positions, so it follows dragged nodes). */
export function groupBoxes(
  nodes: Iterable<{ group: string; position: XY; height?: number | undefined }>,
): GroupBox[] {
  const bounds = new Map<string, { x0: number; y0: number; x1: number; y1: number }>();
  for (const n of nodes) {
    const b = bounds.get(n.group);
    const x1 = n.position.x + NODE_WIDTH;
    const y1 = n.position.y + (n.height ?? NODE_HEIGHT);
    if (!b) bounds.set(n.group, { x0: n.position.x, y0: n.position.y, x1, y1 });
    else {
      b.x0 = Math.min(b.x0, n.position.x);
      b.y0 = Math.min(b.y0, n.position.y);
      b.x1 = Math.max(b.x1, x1);
      b.y1 = Math.max(b.y1, y1);
    }
  }
  return [...bounds].map(([group, b]) => ({
    group,
    x: b.x0 - BAND_PADDING,
    y: b.y0 - BAND_HEADER + 4,
    width: b.x1 - b.x0 + 2 * BAND_PADDING,
    height: b.y1 - b.y0 + BAND_HEADER - 4 + BAND_PADDING,
  }));
}
