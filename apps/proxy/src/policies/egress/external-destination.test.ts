import { describe, expect, it } from 'vitest';
import { EXTERNAL_NAMESPACE, EXTERNAL_OTHER_HOSTS } from '@weft/schema';
import { EndpointRegistry } from '../../routing/endpoint-registry.ts';
import { RoundRobin } from '../../routing/round-robin.ts';
import { RoutingTable } from '../../routing/routing-table.ts';
import { classifyAuthority, ExternalDestinations, externalTarget } from './external-destination.ts';

const table = new RoutingTable(
  {
    version: '1',
    services: [
      {
        name: 'catalog',
        namespace: 'shop',
        endpoints: [{ proxyId: 'c', address: '10.0.0.1:15006', version: 'v1' }],
      },
      { name: 'ledger', namespace: 'billing', endpoints: [] },
    ],
  },
  { balancer: (items) => new RoundRobin(items, 0), endpoints: new EndpointRegistry() },
);

const kind = (authority: string, port = 80) => classifyAuthority(authority, port, 'storefront', table).kind;

describe('classifyAuthority', () => {
  it.each([
    'catalog',
    'catalog.shop',
    'catalog.shop:8080',
    'catalog.shop.svc',
    'catalog.shop.svc.cluster.local',
    // Unknown services in namespaces the mesh has, or of this proxy's namespace, stay mesh names (503).
    'unknown.shop',
    'anything',
    'anything.storefront',
    'ledger.billing',
    'x.nowhere.svc.cluster.local',
  ])('%s is a mesh name', (authority) => expect(kind(authority)).toBe('mesh'));

  it.each([
    'example.com',
    'example.test:8080',
    'api.github.com:443',
    '10.1.2.3',
    '10.1.2.3:9000',
    '[::1]:8080',
  ])('%s is outside the mesh', (authority) => expect(kind(authority)).toBe('external'));

  it('refuses what is neither', () => {
    expect(kind('example.com:99999')).toBe('invalid');
    expect(kind('exa mple.com')).toBe('invalid');
  });
});

describe('externalTarget', () => {
  it('connects to the port given, else the default, and names the host with its port unless 80 or 443', () => {
    expect(externalTarget('example.test:8080', 80)).toEqual({
      address: 'example.test:8080',
      host: 'example.test',
      port: 8080,
      service: 'example.test:8080',
    });
    expect(externalTarget('Example.COM.', 80)).toMatchObject({
      address: 'example.com:80',
      service: 'example.com',
    });
    expect(externalTarget('example.com', 443)).toMatchObject({
      address: 'example.com:443',
      service: 'example.com',
    });
    expect(externalTarget('[::1]:8443', 443)).toMatchObject({ address: '[::1]:8443', service: '[::1]:8443' });
    expect(externalTarget('[::1]', 80)).toMatchObject({ address: '[::1]:80', service: '[::1]' });
  });
});

describe('ExternalDestinations', () => {
  it('reports hosts by name in the external namespace, up to its limit, then as other hosts', () => {
    const names = new ExternalDestinations(2);
    const id = (authority: string) => names.identity(externalTarget(authority, 80)!);
    expect(id('a.example')).toEqual({
      service: 'a.example',
      namespace: EXTERNAL_NAMESPACE,
      version: 'unknown',
    });
    expect(id('b.example:81').service).toBe('b.example:81');
    expect(id('c.example').service).toBe(EXTERNAL_OTHER_HOSTS);
    expect(id('a.example').service).toBe('a.example');
  });
});
