/**
 * Registration topology and readiness, on SQLite and PostgreSQL: zone and region from a registration reach
 * every proxy's endpoints, and a proxy that registers not ready leaves the endpoints at once (the next
 * config, without waiting for expiry) while it stays listed as a proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyConfig, ProxyRegistration } from '@weft/schema';
import { startApi, type RunningApi } from '../src/app.ts';
import type { ProxyConfigRow } from '../src/config-stream/hub.ts';
import { openDatabase, type OpenDatabase } from '../src/db/client.ts';
import { ServiceRegistry } from '../src/registry/registry.ts';
import { bearer, signIn, testApiOptions, trpcQuery, workloadToken, type Session } from './support/auth.ts';
import { BACKENDS, type TestDatabase } from './support/databases.ts';
import { waitFor } from './support/ports.ts';
import { startProxy, type ProxyProcess } from './support/proxy-process.ts';
import { startBeta, type TestService } from './support/upstreams.ts';

const registration = (n: number, extra: Partial<ProxyRegistration> = {}) => ({
  proxyId: `reviews-${n}`,
  service: 'reviews',
  namespace: 'it',
  version: 'v1',
  inboundAddress: `127.0.0.1:${16000 + n}`,
  adminAddress: `127.0.0.1:${17000 + n}`,
  ...extra,
});

const reviewsOf = (config: ProxyConfig) => config.services.find((s) => s.name === 'reviews')?.endpoints ?? [];

describe.each(BACKENDS)('registry topology and readiness on $name', (backend) => {
  describe('the registry on a frozen clock', () => {
    let database: TestDatabase;
    let opened: OpenDatabase;
    let registry: ServiceRegistry;
    let changes = 0;

    beforeAll(async () => {
      database = await backend.start();
      opened = await openDatabase(database.url);
      // A clock that never moves: the config is only rebuilt on a change event, never by its 1 s refresh.
      const now = Date.now();
      registry = new ServiceRegistry(opened.db, { ttlSeconds: 60, heartbeatSeconds: 5, now: () => now });
      registry.onChange(() => changes++);
    });
    afterAll(async () => {
      await opened?.close();
      await database?.stop();
    });

    it('hands out zone and region with the endpoints', async () => {
      await registry.register({
        ...registration(1, { zone: 'eu-1a', region: 'eu-1' }),
        mode: 'sidecar',
        ready: true,
      });
      await registry.register({ ...registration(2), mode: 'sidecar', ready: true });
      expect(reviewsOf(await registry.currentConfig())).toEqual([
        { proxyId: 'reviews-1', address: '127.0.0.1:16001', version: 'v1', zone: 'eu-1a', region: 'eu-1' },
        { proxyId: 'reviews-2', address: '127.0.0.1:16002', version: 'v1' },
      ]);
    });

    it('drops a not-ready instance from the endpoints with the next config, and takes it back when ready', async () => {
      const before = changes;
      await registry.register({ ...registration(2), mode: 'sidecar', ready: false });
      expect(changes).toBe(before + 1);
      expect(reviewsOf(await registry.currentConfig()).map((e) => e.proxyId)).toEqual(['reviews-1']);
      expect(await registry.notReady()).toEqual([
        { proxyId: 'reviews-2', service: 'reviews', namespace: 'it', version: 'v1' },
      ]);
      // A heartbeat that changes nothing is no change.
      await registry.register({ ...registration(2), mode: 'sidecar', ready: false });
      expect(changes).toBe(before + 1);
      await registry.register({ ...registration(2), mode: 'sidecar', ready: true });
      expect(changes).toBe(before + 2);
      expect(reviewsOf(await registry.currentConfig()).map((e) => e.proxyId)).toEqual([
        'reviews-1',
        'reviews-2',
      ]);
      expect(await registry.notReady()).toEqual([]);
    });

    it('treats a move to another zone as a change', async () => {
      const before = changes;
      await registry.register({
        ...registration(1, { zone: 'eu-1b', region: 'eu-1' }),
        mode: 'sidecar',
        ready: true,
      });
      expect(changes).toBe(before + 1);
      expect(reviewsOf(await registry.currentConfig())[0]).toMatchObject({ zone: 'eu-1b' });
    });
  });

  describe('through the API', () => {
    let database: TestDatabase;
    let api: RunningApi;
    let admin: Session;
    let token: string;

    beforeAll(async () => {
      database = await backend.start();
      api = await startApi(await testApiOptions(database.url), () => undefined);
      admin = await signIn(api.url);
      token = await workloadToken(api.url, admin, { namespace: 'it', service: 'reviews' });
    });
    afterAll(async () => {
      await api?.close();
      await database?.stop();
    });

    const register = async (body: object) => {
      const res = await fetch(`${api.url}/v1/proxies/register`, {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBe(200);
    };
    const config = async (): Promise<ProxyConfig> => {
      const res = await fetch(`${api.url}/v1/proxies/reviews-1/config`, { headers: bearer(token) });
      return (await res.json()) as ProxyConfig;
    };

    it('a ready:false registration drops the endpoint from the config; the proxy stays listed, not ready', async () => {
      await register(registration(1, { zone: 'eu-1a', region: 'eu-1' }));
      await register(registration(2, { zone: 'eu-1b', region: 'eu-1' }));
      expect(reviewsOf(await config())).toEqual([
        expect.objectContaining({ proxyId: 'reviews-1', zone: 'eu-1a', region: 'eu-1' }),
        expect.objectContaining({ proxyId: 'reviews-2', zone: 'eu-1b', region: 'eu-1' }),
      ]);
      const before = (await config()).version;

      await register(registration(2, { zone: 'eu-1b', region: 'eu-1', ready: false }));
      const after = await config();
      expect(after.version).not.toBe(before);
      expect(reviewsOf(after).map((e) => e.proxyId)).toEqual(['reviews-1']);
      const rows = await trpcQuery<ProxyConfigRow[]>(api.url, admin, 'proxies.list');
      expect(rows.map((r) => [r.proxyId, r.ready])).toEqual([
        ['reviews-1', true],
        ['reviews-2', false],
      ]);

      await register(registration(2, { zone: 'eu-1b', region: 'eu-1', ready: true }));
      expect(reviewsOf(await config()).map((e) => e.proxyId)).toEqual(['reviews-1', 'reviews-2']);
    });

    it("a real proxy's WEFT_ZONE / WEFT_REGION reach the endpoints other proxies get", async () => {
      const app: TestService = await startBeta(0);
      let proxy: ProxyProcess | undefined;
      try {
        proxy = await startProxy({
          service: 'reviews',
          namespace: 'it',
          app: app.address,
          controlPlane: api.url,
          token,
          env: { WEFT_ZONE: 'eu-1c', WEFT_REGION: 'eu-1' },
        });
        const inbound = proxy.inbound;
        const endpoint = await waitFor('the proxy to be an endpoint with its zone', async () =>
          reviewsOf(await config()).find((e) => e.address === inbound),
        );
        expect(endpoint).toMatchObject({ zone: 'eu-1c', region: 'eu-1' });
      } finally {
        await proxy?.stop();
        await app.close();
      }
    });

    it('refuses a zone that is not a label value', async () => {
      const res = await fetch(`${api.url}/v1/proxies/register`, {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify(registration(3, { zone: 'eu 1a' })),
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('zone');
    });
  });
});
