/**
 * A proxy against a scripted control plane on 127.0.0.1: the workload token on every call, what happens
 * when the API refuses the token, and a config with a poisoned endpoint.
 */
import { describe, expect, it } from 'vitest';
import type { ProxyConfig } from '@weft/schema';
import {
  adminGet,
  readBody,
  sample,
  send,
  startApp,
  startServer,
  startTestProxy,
  waitFor,
} from './helpers.ts';

interface Call {
  method: string;
  path: string;
  authorization: string | undefined;
  legacyToken: string | undefined;
}

/**
 * Registration (heartbeat every second), config (304 while the proxy has the current version), OTLP and
 * deregistration, or `deny` for every call as the API answers a refused token.
 */
async function startControlPlane(config: ProxyConfig) {
  const calls: Call[] = [];
  const state: { config: ProxyConfig; deny: { status: number; error: string } | undefined } = {
    config,
    deny: undefined,
  };
  const server = await startServer((req, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://cp');
      calls.push({
        method: req.method ?? '',
        path: url.pathname,
        authorization: req.headers.authorization,
        legacyToken: req.headers['x-weft-proxy-token'] as string | undefined,
      });
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (state.deny) return json(state.deny.status, { error: state.deny.error });
      if (req.method === 'POST' && url.pathname === '/v1/proxies/register') {
        const { proxyId } = JSON.parse(body.toString('utf8')) as { proxyId: string };
        return json(200, { proxyId, heartbeatSeconds: 1 });
      }
      if (req.method === 'GET' && url.pathname.endsWith('/config')) {
        const etag = `"${state.config.version}"`;
        if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
        res.setHeader('etag', etag);
        return json(200, state.config);
      }
      if (req.method === 'POST' && url.pathname.startsWith('/v1/')) return json(200, {});
      if (req.method === 'DELETE') return res.writeHead(204).end();
      return json(404, { error: 'not found' });
    });
  });
  return { ...server, url: new URL(`http://${server.hostPort}`), calls, state };
}

const configOf = (version: string, ...services: ProxyConfig['services']): ProxyConfig => ({
  version,
  services,
});

async function setup(token: string | undefined, config: (appAddress: string) => ProxyConfig) {
  const app = await startApp('catalog');
  const cp = await startControlPlane(config(app.hostPort));
  const proxy = await startTestProxy({
    service: 'web',
    app: app.address,
    controlPlane: cp.url,
    token,
    flushIntervalMs: 50,
    configPollMs: 50,
  });
  const stop = async () => {
    await proxy.stop();
    await Promise.all([cp.close(), app.close()]);
  };
  return { app, cp, proxy, stop };
}

const catalogAt = (address: string, ...more: { proxyId: string; address: string }[]) => ({
  name: 'catalog',
  namespace: 'shop',
  endpoints: [{ proxyId: 'catalog-1', address }, ...more].map((e) => ({ ...e, version: 'v1' })),
});

async function activeConfig(proxy: Parameters<typeof adminGet>[0]) {
  const res = await adminGet(proxy, '/config');
  return res.status === 200 ? (JSON.parse(res.text) as ProxyConfig & { refused: unknown[] }) : undefined;
}

describe('the workload token', () => {
  it('goes as "Authorization: Bearer" on every control-plane call and never into the log', async () => {
    const token = 'weft_s3cret-workload-token';
    const { cp, proxy, stop } = await setup(token, (app) => configOf('1', catalogAt(app)));
    try {
      await waitFor(() => activeConfig(proxy));
      expect(
        (await send(proxy.addresses.outbound, { target: '/', headers: { host: 'catalog' } })).status,
      ).toBe(200);
      await waitFor(
        () => cp.calls.some((c) => c.path === '/v1/traces') && cp.calls.some((c) => c.path === '/v1/metrics'),
      );
    } finally {
      await stop();
    }
    const kinds = new Set(cp.calls.map((c) => `${c.method} ${c.path.replace('web.shop-test', 'ID')}`));
    expect([...kinds].sort()).toEqual([
      'DELETE /v1/proxies/ID',
      'GET /v1/proxies/ID/config',
      'GET /v1/proxies/ID/config/stream',
      'POST /v1/metrics',
      'POST /v1/proxies/register',
      'POST /v1/traces',
    ]);
    expect(cp.calls.filter((c) => c.authorization !== `Bearer ${token}`)).toEqual([]);
    expect(cp.calls.filter((c) => c.legacyToken !== undefined)).toEqual([]);
    expect(proxy.log.lines.join('\n')).not.toContain(token);
  });

  it('refused by the API: the proxy keeps serving with its last good config and says why once per call', async () => {
    const token = 'weft_revoked-token';
    const { cp, proxy, stop } = await setup(token, (app) => configOf('1', catalogAt(app)));
    try {
      await waitFor(() => activeConfig(proxy));
      await waitFor(
        async () =>
          sample((await adminGet(proxy, '/metrics')).text, 'weft_proxy_control_plane_registered') === 1,
      );
      cp.state.deny = { status: 401, error: 'token revoked' };
      const deniedFrom = cp.calls.length;

      // Traffic still flows with the config in force, and produces telemetry the API now refuses.
      for (let i = 0; i < 3; i++) {
        const res = await send(proxy.addresses.outbound, {
          target: `/still-${i}`,
          headers: { host: 'catalog' },
        });
        expect(res.status).toBe(200);
        expect(res.headers['x-app']).toBe('catalog');
      }
      const why =
        'HTTP 401: the control plane does not accept WEFT_PROXY_TOKEN (invalid, expired or revoked); the API says: token revoked';
      await waitFor(() => {
        const l = proxy.log.lines;
        return (
          l.includes(`error config poll refused with ${why}; keeping config 1, retrying with backoff`) &&
          l.includes(`error registration refused with ${why}; retrying with backoff`) &&
          l.some(
            (x) => x.startsWith('error spans export refused with HTTP 401') && x.endsWith('token revoked'),
          )
        );
      });
      // Several more refused polls and heartbeats later, nothing is logged again.
      await waitFor(
        () =>
          cp.calls.slice(deniedFrom).filter((c) => c.path.endsWith('/config')).length >= 4 &&
          cp.calls.slice(deniedFrom).filter((c) => c.path.endsWith('/register')).length >= 2,
        15_000,
      );
      // One line each: registration, config poll, spans export, metrics export.
      expect(proxy.log.lines.filter((l) => l.includes('refused with HTTP 401'))).toHaveLength(4);
      expect(proxy.log.lines.filter((l) => l.includes('config poll refused'))).toHaveLength(1);

      const metrics = (await adminGet(proxy, '/metrics')).text;
      expect(sample(metrics, 'weft_proxy_control_plane_registered')).toBe(0);
      expect(
        sample(metrics, 'weft_proxy_telemetry_dropped_total', { signal: 'spans', reason: 'unauthorized' }),
      ).toBeGreaterThan(0);
      expect((await adminGet(proxy, '/ready')).text).toBe('ready\n');
      expect((await activeConfig(proxy))?.version).toBe('1');
      expect(proxy.log.lines.join('\n')).not.toContain(token);
    } finally {
      await stop();
    }
  });
});

describe('a config with a poisoned endpoint', () => {
  const REASON =
    'address: "x/y:80": "x/y" is not a host name (letters, digits, "-" and "." only, at most 253 characters)';

  it('is applied without it; /config and /metrics show it; it is logged once; later configs still apply', async () => {
    const poisoned = { proxyId: 'evil', address: 'x/y:80' };
    const { cp, app, proxy, stop } = await setup(undefined, (a) => configOf('1', catalogAt(a, poisoned)));
    try {
      const first = await waitFor(() => activeConfig(proxy));
      expect(first).toEqual({
        version: '1',
        services: [catalogAt(app.hostPort)],
        refused: [
          {
            path: 'services.0.endpoints.1',
            entry: 'endpoint evil (x/y:80) of catalog.shop',
            reason: REASON,
          },
        ],
      });
      for (let i = 0; i < 2; i++) {
        const res = await send(proxy.addresses.outbound, { target: '/', headers: { host: 'catalog' } });
        expect(res.headers['x-app']).toBe('catalog');
      }

      // Another workload registers; the poisoned endpoint is still there, now further down.
      const orders = {
        name: 'orders',
        namespace: 'shop',
        endpoints: [{ proxyId: 'o-1', address: '[::1]:15010', version: 'v1' }],
      };
      cp.state.config = configOf('2', orders, catalogAt(app.hostPort, poisoned));
      const second = await waitFor(async () => {
        const c = await activeConfig(proxy);
        return c?.version === '2' && c;
      });
      expect(second.services.map((s) => s.name)).toEqual(['orders', 'catalog']);
      expect(second.refused).toEqual([expect.objectContaining({ path: 'services.1.endpoints.1' })]);

      const metrics = (await adminGet(proxy, '/metrics')).text;
      expect(sample(metrics, 'weft_proxy_config_entries_refused_total')).toBe(1);
      expect(sample(metrics, 'weft_proxy_config_rejections_total')).toBe(0);
      expect(
        sample(metrics, 'weft_proxy_config_refused_entry_info', {
          version: '2',
          path: 'services.1.endpoints.1',
          entry: 'endpoint evil (x/y:80) of catalog.shop',
          reason: REASON.replace(/"/g, '\\"'), // as Prometheus escapes it
        }),
      ).toBe(1);
      expect(proxy.log.lines.filter((l) => l.includes('left out endpoint evil'))).toEqual([
        `warn config 1: left out endpoint evil (x/y:80) of catalog.shop (services.0.endpoints.1): ${REASON}`,
      ]);
    } finally {
      await stop();
    }
  });
});
