import { describe, expect, it } from 'vitest';
import { NODE_HEIGHT, NODE_WIDTH, groupBoxes, layeredLayout } from './layout.ts';

const nodes = [
  { id: 'unknown', group: '' },
  { id: 'storefront/frontend', group: 'storefront' },
  { id: 'shop/catalog', group: 'shop' },
  { id: 'shop/pricing', group: 'shop' },
  { id: 'shop/reviews', group: 'shop' },
];
const edges = [
  { source: 'unknown', target: 'storefront/frontend' },
  { source: 'storefront/frontend', target: 'shop/catalog' },
  { source: 'shop/catalog', target: 'shop/pricing' },
  { source: 'shop/catalog', target: 'shop/reviews' },
  { source: 'shop/reviews', target: 'shop/catalog' }, // a cycle must not break layering
];

describe('layeredLayout', () => {
  it('places callers left of the services they call, by call depth', () => {
    const { positions, depth } = layeredLayout(nodes, edges);
    expect(depth.get('unknown')).toBe(0);
    expect(depth.get('storefront/frontend')).toBe(1);
    expect(depth.get('shop/catalog')).toBe(2);
    expect(depth.get('shop/pricing')).toBe(3);
    const x = (id: string) => positions.get(id)!.x;
    expect(x('unknown')).toBeLessThan(x('storefront/frontend'));
    expect(x('storefront/frontend')).toBeLessThan(x('shop/catalog'));
    expect(x('shop/catalog')).toBeLessThan(x('shop/pricing'));
  });

  it('never overlaps two nodes, and namespace boxes do not overlap', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ id: `ns${i % 7}/s${i}`, group: `ns${i % 7}` }));
    const links = many.slice(1).map((n, i) => ({ source: many[Math.floor(i / 3)]!.id, target: n.id }));
    const { positions } = layeredLayout(many, links);
    const boxes = [...positions.values()];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const overlap = Math.abs(a.x - b.x) < NODE_WIDTH && Math.abs(a.y - b.y) < NODE_HEIGHT;
        expect(overlap, `nodes ${i} and ${j} overlap`).toBe(false);
      }
    }
    const groups = groupBoxes(many.map((n) => ({ group: n.group, position: positions.get(n.id)! })));
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const a = groups[i]!;
        const b = groups[j]!;
        const apart =
          a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `boxes ${a.group} and ${b.group} overlap`).toBe(true);
      }
    }
  });
});

describe('layeredLayout with taller nodes (services split by version)', () => {
  it('stacks nodes of a column by their heights, without overlap, inside their namespace box', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      id: `ns${i % 4}/s${i}`,
      group: `ns${i % 4}`,
      ...(i % 5 === 0 ? { height: NODE_HEIGHT * (2 + (i % 3)) } : {}),
    }));
    const links = many.slice(1).map((n, i) => ({ source: many[Math.floor(i / 4)]!.id, target: n.id }));
    const { positions } = layeredLayout(many, links);
    const placed = many.map((n) => ({ ...n, position: positions.get(n.id)!, h: n.height ?? NODE_HEIGHT }));
    for (let i = 0; i < placed.length; i++) {
      for (let j = i + 1; j < placed.length; j++) {
        const a = placed[i]!;
        const b = placed[j]!;
        const apart =
          Math.abs(a.position.x - b.position.x) >= NODE_WIDTH ||
          a.position.y + a.h <= b.position.y ||
          b.position.y + b.h <= a.position.y;
        expect(apart, `${a.id} and ${b.id} overlap`).toBe(true);
      }
    }
    const boxes = new Map(groupBoxes(placed.map((p) => ({ ...p, height: p.h }))).map((b) => [b.group, b]));
    for (const p of placed) {
      const box = boxes.get(p.group)!;
      expect(p.position.y + p.h).toBeLessThanOrEqual(box.y + box.height);
    }
  });
});
