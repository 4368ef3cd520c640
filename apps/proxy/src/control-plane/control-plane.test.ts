/** Registration and config polling against a scripted client (no sockets). */
import { describe, expect, it } from 'vitest';
import { ConfigStore } from '../config/config-store.ts';
import type { Logger } from '../log.ts';
import { RoundRobin } from '../routing/round-robin.ts';
import { Backoff } from '../telemetry/backoff.ts';
import { ConfigPoller } from './config-poller.ts';
import type { ControlPlaneClient, ControlPlaneResponse, SendOptions } from './control-plane-http.ts';
import { Registration } from './registration.ts';

type Answer = ControlPlaneResponse | Error;

function scriptedClient(answers: Answer[], hasToken = true) {
  const calls: { method: string; path: string; options: SendOptions | undefined }[] = [];
  const client: ControlPlaneClient = {
    baseUrl: 'http://cp.test',
    hasToken,
    url: (path) => `http://cp.test${path}`,
    send: (method, path, options) => {
      calls.push({ method, path, options });
      const next = answers.shift();
      if (next === undefined) return Promise.reject(new Error('no more scripted answers'));
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  };
  return { client, calls };
}

const json = (status: number, body: unknown): ControlPlaneResponse => ({
  status,
  headers: {},
  text: JSON.stringify(body),
});
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

const config = (version: string) => ({
  version,
  services: [
    {
      name: 'catalog',
      namespace: 'shop',
      endpoints: [{ proxyId: 'c', address: '127.0.0.1:9', version: 'v1' }],
    },
  ],
});

describe('ConfigPoller', () => {
  function setup(answers: Answer[], hasToken = true) {
    const { client, calls } = scriptedClient(answers, hasToken);
    const store = new ConfigStore((items) => new RoundRobin(items, 0));
    const log = recordingLog();
    const poller = new ConfigPoller({
      http: client,
      proxyId: () => 'web.shop-1',
      store,
      intervalMs: 1000,
      backoff: new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0 }),
      log,
    });
    return { poller, store, calls, log };
  }

  const poisoned = (version: string, more: object[] = []) => ({
    version,
    services: [
      {
        name: 'catalog',
        namespace: 'shop',
        endpoints: [
          { proxyId: 'c', address: '127.0.0.1:9', version: 'v1' },
          { proxyId: 'evil', address: 'x/y:80', version: 'v1' },
        ],
      },
      ...more,
    ],
  });

  it('applies a new config, then asks with If-None-Match and keeps it on 304', async () => {
    const { poller, store, calls } = setup([json(200, config('1')), { status: 304, headers: {}, text: '' }]);
    await poller.pollOnce();
    expect(store.active?.config.version).toBe('1');
    await poller.pollOnce();
    expect(calls.map((c) => [c.method, c.path, c.options?.headers])).toEqual([
      ['GET', '/v1/proxies/web.shop-1/config', {}],
      // Once it has a version it long-polls: the control plane holds the request until the config changes.
      ['GET', '/v1/proxies/web.shop-1/config?wait=25', { 'if-none-match': '"1"' }],
    ]);
    expect(calls[1]?.options?.timeoutMs).toBeGreaterThan(25_000);
    expect(store.active?.config.version).toBe('1');
    expect(poller.lastProblem).toBeUndefined();
  });

  it('refuses a structurally invalid config, keeps the last good one, and logs the refusal once', async () => {
    const bad = { version: '2', services: { catalog: 'nowhere' } };
    const { poller, store, log } = setup([
      json(200, config('1')),
      json(200, bad),
      json(200, bad),
      { status: 200, headers: {}, text: '{oops' },
    ]);
    for (let i = 0; i < 4; i++) await poller.pollOnce();
    expect(store.active?.config.version).toBe('1');
    expect(store.rejections).toBe(1);
    expect(log.lines.filter((l) => l.startsWith('error'))).toEqual([
      'error config 2 refused, keeping config 1: services: must be a list of services (expected {"version": "1", "services": [{"name", "namespace", "endpoints": [{"proxyId", "address": "host:port", "version"}]}]})',
    ]);
    expect(poller.lastProblem).toContain('invalid JSON');
  });

  it('applies a config with a poisoned endpoint without it, logs the bad entry once, and applies later configs', async () => {
    const orders = {
      name: 'orders',
      namespace: 'shop',
      endpoints: [{ proxyId: 'o', address: '[::1]:15006', version: 'v1' }],
    };
    const { poller, store, log } = setup([json(200, poisoned('1')), json(200, poisoned('2', [orders]))]);
    await poller.pollOnce();
    expect(store.active?.config.services[0]?.endpoints.map((e) => e.proxyId)).toEqual(['c']);
    await poller.pollOnce();
    expect(store.active?.config.version).toBe('2');
    expect(store.active?.routes.lookup({ service: 'orders', namespace: 'shop' })?.endpoints).toHaveLength(1);
    expect(store.entriesRefused).toBe(1);
    expect(log.lines).toEqual([
      'info config 1 applied (1 services; 1 entry left out, see /config)',
      'warn config 1: left out endpoint evil (x/y:80) of catalog.shop (services.0.endpoints.1): address: "x/y:80": "x/y" is not a host name (letters, digits, "-" and "." only, at most 253 characters)',
      'info config 2 applied (2 services; 1 entry left out, see /config)',
    ]);
  });

  it('backs off while the control plane is unreachable and polls at the interval again once it answers', async () => {
    const notModified = { status: 304, headers: {}, text: '' };
    const { poller } = setup([
      refused(),
      refused(),
      refused(),
      refused(),
      refused(),
      notModified,
      notModified,
    ]);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) delays.push(await poller.pollOnce());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 1000, 1000]);
  });

  it.each([
    [
      401,
      true,
      'the control plane does not accept WEFT_PROXY_TOKEN (invalid, expired or revoked); the API says: token revoked',
    ],
    [
      401,
      false,
      'the control plane requires a workload token and WEFT_PROXY_TOKEN is not set; the API says: token revoked',
    ],
    [
      403,
      true,
      'WEFT_PROXY_TOKEN is out of scope for this call (a workload token acts only as the service, namespace and version it was issued for); the API says: token revoked',
    ],
  ])(
    'on HTTP %i (token set: %s) keeps the config, says what is wrong with the token once, and backs off',
    async (status, hasToken, why) => {
      const denied = json(status, { error: 'token revoked' });
      const { poller, store, log, calls } = setup(
        [json(200, config('1')), denied, denied, denied, json(200, config('2'))],
        hasToken,
      );
      const delays: number[] = [];
      for (let i = 0; i < 5; i++) delays.push(await poller.pollOnce());
      expect(delays).toEqual([1000, 1000, 2000, 4000, 1000]);
      expect(calls).toHaveLength(5);
      expect(log.lines).toEqual([
        'info config 1 applied (1 services)',
        `error config poll refused with HTTP ${status}: ${why}; keeping config 1, retrying with backoff`,
        'info config poll answered again',
        'info config 2 applied (1 services)',
      ]);
      expect(store.active?.config.version).toBe('2');
    },
  );

  it('logs an unreachable control plane once, not on every poll', async () => {
    const { poller, log } = setup([refused(), refused(), refused(), json(200, config('1'))]);
    for (let i = 0; i < 3; i++) await poller.pollOnce();
    expect(poller.lastProblem).toBe(
      'control plane unreachable at http://cp.test/v1/proxies/web.shop-1/config: ECONNREFUSED',
    );
    await poller.pollOnce();
    expect(log.lines).toHaveLength(3);
    expect(log.lines[0]).toMatch(/^warn control plane unreachable/);
    expect(log.lines[1]).toBe('info config poll answered again');
    expect(log.lines[2]).toBe('info config 1 applied (1 services)');
  });
});

describe('Registration', () => {
  const body = {
    proxyId: 'web.shop-1',
    service: 'web',
    namespace: 'shop',
    version: 'v1',
    inboundAddress: '127.0.0.1:15006',
    adminAddress: '127.0.0.1:15000',
  };

  function setup(answers: Answer[]) {
    const { client, calls } = scriptedClient(answers);
    const log = recordingLog();
    const registration = new Registration({
      http: client,
      registration: body,
      backoff: new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0 }),
      log,
    });
    return { registration, calls, log };
  }

  it('registers, then comes back every heartbeatSeconds', async () => {
    const { registration, calls } = setup([json(200, { proxyId: 'web.shop-1', heartbeatSeconds: 10 })]);
    expect(await registration.registerOnce()).toBe(10_000);
    expect(registration.registered).toBe(true);
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/v1/proxies/register', options: { json: body } });
  });

  it('retries with backoff while the control plane is down, never longer than the heartbeat once known', async () => {
    const { registration, log } = setup([
      refused(),
      refused(),
      json(200, { proxyId: 'web.shop-1', heartbeatSeconds: 3 }),
      json(503, { error: 'starting' }),
      json(503, { error: 'starting' }),
      json(503, { error: 'starting' }),
    ]);
    expect([await registration.registerOnce(), await registration.registerOnce()]).toEqual([1000, 2000]);
    expect(registration.registered).toBe(false);
    expect(await registration.registerOnce()).toBe(3000);
    expect([
      await registration.registerOnce(),
      await registration.registerOnce(),
      await registration.registerOnce(),
    ]).toEqual([1000, 2000, 3000]);
    expect(log.lines.filter((l) => l.startsWith('warn'))).toHaveLength(2); // one per distinct problem
  });

  it('says once that the token was refused, with the API message, and keeps retrying with backoff', async () => {
    const denied = json(403, { error: 'token is for catalog.shop@v1, not web.shop@v1' });
    const { registration, log } = setup([
      denied,
      denied,
      denied,
      json(200, { proxyId: 'web.shop-1', heartbeatSeconds: 10 }),
    ]);
    const delays = [];
    for (let i = 0; i < 4; i++) delays.push(await registration.registerOnce());
    expect(delays).toEqual([1000, 2000, 4000, 10_000]);
    expect(log.lines).toEqual([
      'error registration refused with HTTP 403: WEFT_PROXY_TOKEN is out of scope for this call (a workload token acts only as the service, namespace and version it was issued for); the API says: token is for catalog.shop@v1, not web.shop@v1; retrying with backoff',
      'info registered with http://cp.test as web.shop-1',
    ]);
  });

  it('adopts the id the control plane assigns and deregisters with it', async () => {
    const { registration, calls } = setup([
      json(201, { proxyId: 'assigned-7', heartbeatSeconds: 10 }),
      json(204, {}),
    ]);
    await registration.registerOnce();
    expect(registration.proxyId).toBe('assigned-7');
    await registration.stop(500);
    expect(calls[1]).toMatchObject({ method: 'DELETE', path: '/v1/proxies/assigned-7' });
  });

  it('treats an answer without proxyId/heartbeatSeconds as a failure', async () => {
    const { registration } = setup([json(200, { ok: true })]);
    expect(await registration.registerOnce()).toBe(1000);
    expect(registration.registered).toBe(false);
  });

  it('deregistering never throws when the control plane is gone', async () => {
    const { registration } = setup([refused()]);
    await expect(registration.stop(100)).resolves.toBeUndefined();
  });
});
