import { describe, expect, it } from 'vitest';
import { RoundRobin } from '../round-robin.ts';
import { levelShares, LocalityBalancer, priorityOf } from './locality.ts';

describe('priorityOf', () => {
  const local = { zone: 'eu-1a', region: 'eu-1' };
  it.each([
    ['same zone and region', { zone: 'eu-1a', region: 'eu-1' }, 0],
    ['same zone, region unknown', { zone: 'eu-1a' }, 0],
    ['another zone of the region', { zone: 'eu-1b', region: 'eu-1' }, 1],
    ['another region', { zone: 'us-1a', region: 'us-1' }, 2],
    ['a zone of the same name in another region', { zone: 'eu-1a', region: 'us-1' }, 2],
    ['no topology', {}, 2],
  ])('%s', (_name, endpoint, level) => {
    expect(priorityOf(endpoint, local)).toBe(level);
  });

  it('with only a region known, the region is the best level', () => {
    expect(priorityOf({ zone: 'eu-1a', region: 'eu-1' }, { region: 'eu-1' })).toBe(1);
  });
});

describe('levelShares', () => {
  it('keeps everything on priority 0 while at least minHealthyPercent of it is usable', () => {
    expect(levelShares([1, 1, 1], 70)).toEqual([1, 0, 0]);
    expect(levelShares([0.7, 1, 1], 70)).toEqual([1, 0, 0]);
  });

  it('spills over in proportion below it', () => {
    const [p0, p1, p2] = levelShares([0.35, 1, 1], 70);
    expect(p0).toBeCloseTo(0.5);
    expect(p1).toBeCloseTo(0.5);
    expect(p2).toBe(0);
  });

  it('goes past a drained level to the next one', () => {
    expect(levelShares([0, 1, 1], 70)).toEqual([0, 1, 0]);
    expect(levelShares([0, 0, 1], 70)).toEqual([0, 0, 1]);
    expect(levelShares([0, 0, 0.5], 70)).toEqual([0, 0, 1]); // normalised: the only place left
  });

  it('is all zero when no level has a usable endpoint', () => {
    expect(levelShares([0, 0, 0], 70)).toEqual([0, 0, 0]);
  });
});

describe('LocalityBalancer', () => {
  const level = (priority: number, ...names: string[]) => ({
    priority,
    endpoints: names,
    balancer: new RoundRobin(names, 0),
  });

  it('uses the local zone while it is healthy, and fails over to the next level when it is drained', () => {
    const lb = new LocalityBalancer([level(0, 'a1', 'a2'), level(1, 'b1'), level(2, 'c1')], 70);
    expect(Array.from({ length: 4 }, () => lb.pick())).toEqual(['a1', 'a2', 'a1', 'a2']);
    const drained = new Set(['a1', 'a2']);
    for (let i = 0; i < 10; i++) expect(lb.pick((e) => !drained.has(e))).toBe('b1');
    drained.add('b1');
    for (let i = 0; i < 10; i++) expect(lb.pick((e) => !drained.has(e))).toBe('c1');
  });

  it('splits by health when the local zone is only partly healthy', () => {
    let r = 0;
    const draws = [0.1, 0.3, 0.6, 0.9];
    const lb = new LocalityBalancer(
      [level(0, 'a1', 'a2', 'a3', 'a4'), level(1, 'b1')],
      100,
      () => draws[r++ % draws.length] as number,
    );
    // 2 of 4 usable with minHealthyPercent 100: half the traffic stays local.
    const usable = (e: string) => e !== 'a3' && e !== 'a4';
    expect(lb.shares(usable)).toEqual([0.5, 0.5]);
    expect(Array.from({ length: 4 }, () => lb.pick(usable))).toEqual(['a1', 'a2', 'b1', 'b1']);
  });

  it('skips empty levels and panics on the first level when nothing is usable', () => {
    const lb = new LocalityBalancer([level(0), level(1, 'b1', 'b2'), level(2, 'c1')], 70);
    expect(lb.levels.map((l) => l.priority)).toEqual([1, 2]);
    expect(lb.pick(() => false)).toBe('b1');
  });
});
