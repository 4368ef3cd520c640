import { describe, expect, it } from 'vitest';
import type { ProxyConfig } from '@weft/schema';
import type { Db } from '../db/client.ts';
import { registryServices } from './cluster-view.ts';

describe('registryServices', () => {
  it('counts live endpoints per version and lists versions with only expired registrations as 0', async () => {
    const config: ProxyConfig = {
      version: 'x',
      services: [
        {
          name: 'reviews',
          namespace: 'shop',
          endpoints: [
            { proxyId: 'r1', address: '127.0.0.1:1', version: 'v1' },
            { proxyId: 'r2', address: '127.0.0.1:2', version: 'v1' },
            { proxyId: 'r3', address: '127.0.0.1:3', version: 'v2' },
          ],
        },
      ],
    };
    const known = [
      { namespace: 'shop', service: 'reviews', version: 'v1' },
      { namespace: 'shop', service: 'reviews', version: 'v3' },
      { namespace: 'shop', service: 'ratings', version: 'v1' },
    ];
    const db = { serviceInstance: { groupBy: () => Promise.resolve(known) } } as unknown as Db;
    const services = await registryServices(db, { currentConfig: () => Promise.resolve(config) });
    expect(services).toEqual([
      {
        namespace: 'shop',
        name: 'reviews',
        versions: [
          { version: 'v1', instances: 2 },
          { version: 'v3', instances: 0 },
          { version: 'v2', instances: 1 },
        ],
      },
      { namespace: 'shop', name: 'ratings', versions: [{ version: 'v1', instances: 0 }] },
    ]);
  });
});
