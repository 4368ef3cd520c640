import { describe, expect, it } from 'vitest';
import { RoundRobin } from '../routing/round-robin.ts';
import { ConfigStore } from './config-store.ts';

const good = (version: string, address = '127.0.0.1:15006') => ({
  version,
  services: [{ name: 'catalog', namespace: 'shop', endpoints: [{ proxyId: 'c1', address, version: 'v1' }] }],
});

function store() {
  return new ConfigStore(
    (items) => new RoundRobin(items, 0),
    () => 42,
  );
}

describe('ConfigStore', () => {
  it('applies a valid config with its routing table and tells listeners', () => {
    const s = store();
    const applied: string[] = [];
    s.onApplied((a) => applied.push(a.config.version));
    const result = s.offer(good('1'), 'control-plane');
    expect(result.kind).toBe('applied');
    expect(s.active?.routes.lookup({ service: 'catalog', namespace: 'shop' })?.endpoints).toHaveLength(1);
    expect(s.active).toMatchObject({ source: 'control-plane', appliedAtMs: 42 });
    expect(s.offer(good('1'), 'control-plane').kind).toBe('unchanged');
    expect(applied).toEqual(['1']);
  });

  it.each([
    ['a schema violation', { version: '', services: [] }, 'version:'],
    ['a missing field', { version: '2' }, 'services:'],
    ['not an object', 'nope', '(root):'],
    [
      'an endpoint address that is not host:port',
      good('2', 'catalog'),
      'services.0.endpoints.0.address: "catalog" is not HOST:PORT',
    ],
    [
      'a service name no host can resolve to',
      { version: '2', services: [{ name: 'Cat_alog', namespace: 'shop', endpoints: [] }] },
      'services.0.name',
    ],
  ])('refuses %s and keeps the last good config', (_name, raw, reason) => {
    const s = store();
    s.offer(good('1'), 'control-plane');
    const result = s.offer(raw, 'control-plane');
    expect(result.kind).toBe('rejected');
    expect(s.lastRejection?.reason).toContain(reason);
    expect(s.active?.config.version).toBe('1');
    expect(s.rejections).toBe(1);
  });

  it('counts the same refused config once however often it is offered', () => {
    const s = store();
    const bad = good('9', 'nowhere');
    expect(s.offer(bad, 'control-plane')).toMatchObject({ kind: 'rejected', repeated: false });
    expect(s.offer(bad, 'control-plane')).toMatchObject({ kind: 'rejected', repeated: true });
    expect(s.rejections).toBe(1);
    expect(s.lastRejection?.version).toBe('9');
    expect(s.active).toBeUndefined();
    s.offer(good('10', 'nowhere-else'), 'control-plane');
    expect(s.rejections).toBe(2);
  });
});
