/**
 * The mesh's egress switch end to end, on SQLite and PostgreSQL: the API started with
 * WEFT_OUTBOUND_TRAFFIC_POLICY sends it in every proxy's config, and a real proxy process then forwards a
 * request for a host outside the mesh (ALLOW_ANY, the default) or answers 502 egress-blocked (REGISTRY_ONLY).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Headers, type OutboundTrafficPolicyMode } from '@weft/schema';
import { startApi, type RunningApi } from '../src/app.ts';
import { loadEnv } from '../src/env.ts';
import { signIn, testApiOptions, workloadToken } from './support/auth.ts';
import { BACKENDS, type TestDatabase } from './support/databases.ts';
import { freePort, waitFor } from './support/ports.ts';
import { startProxy, type ProxyProcess } from './support/proxy-process.ts';
import { startBeta, type TestService } from './support/upstreams.ts';

/** A GET as an application with HTTP_PROXY sends it: the absolute URL as the request target. */
function viaProxy(
  proxy: string,
  url: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const [host, port] = [
    proxy.slice(0, proxy.lastIndexOf(':')),
    Number(proxy.slice(proxy.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, path: url, headers: { host: new URL(url).host }, agent: false },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('WEFT_OUTBOUND_TRAFFIC_POLICY', () => {
  it('is ALLOW_ANY unless set, takes REGISTRY_ONLY, and names the choices when wrong', () => {
    expect(loadEnv({}).outboundTrafficPolicy).toBe('ALLOW_ANY');
    expect(loadEnv({ WEFT_OUTBOUND_TRAFFIC_POLICY: 'REGISTRY_ONLY' }).outboundTrafficPolicy).toBe(
      'REGISTRY_ONLY',
    );
    expect(() => loadEnv({ WEFT_OUTBOUND_TRAFFIC_POLICY: 'deny' })).toThrow(
      'WEFT_OUTBOUND_TRAFFIC_POLICY: must be one of ALLOW_ANY, REGISTRY_ONLY',
    );
  });
});

describe.each(BACKENDS)('egress policy through the API on $name', (backend) => {
  describe.each(['ALLOW_ANY', 'REGISTRY_ONLY'] as const)('%s', (mode: OutboundTrafficPolicyMode) => {
    let database: TestDatabase;
    let api: RunningApi;
    let outside: TestService;
    let proxy: ProxyProcess;

    beforeAll(async () => {
      database = await backend.start();
      api = await startApi(
        await testApiOptions(database.url, mode === 'ALLOW_ANY' ? {} : { outboundTrafficPolicy: mode }),
        () => undefined,
      );
      const admin = await signIn(api.url);
      const token = await workloadToken(api.url, admin, { namespace: 'it', service: 'alpha' });
      outside = await startBeta(0);
      proxy = await startProxy({
        service: 'alpha',
        namespace: 'it',
        app: `127.0.0.1:${await freePort()}`,
        controlPlane: api.url,
        token,
      });
    });
    afterAll(async () => {
      await proxy?.stop();
      await outside?.close();
      await api?.close();
      await database?.stop();
    });

    it('reaches the proxy in its config', async () => {
      const config = await waitFor('the proxy to hold a config', async () => {
        const res = await fetch(`http://${proxy.admin}/config`);
        const body = (await res.json()) as { outboundTrafficPolicy?: { mode: string } };
        return res.status === 200 && body;
      });
      expect(config.outboundTrafficPolicy).toEqual({ mode });
    });

    it(
      mode === 'ALLOW_ANY' ? 'lets the app reach a host outside the mesh' : 'blocks a host outside the mesh',
      async () => {
        const res = await viaProxy(proxy.outbound, `http://${outside.address}/ok`);
        if (mode === 'ALLOW_ANY') {
          expect(res.status, res.text).toBe(200);
          expect(JSON.parse(res.text)).toMatchObject({ service: 'beta', path: '/ok' });
        } else {
          expect(res.status).toBe(502);
          expect(res.headers[Headers.proxyError]).toBe('egress-blocked');
          expect(res.text).toContain('REGISTRY_ONLY');
        }
      },
    );
  });
});
