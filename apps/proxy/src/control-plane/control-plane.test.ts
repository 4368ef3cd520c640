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

function scriptedClient(answers: Answer[]) {
  const calls: { method: string; path: string; options: SendOptions | undefined }[] = [];
  const client: ControlPlaneClient = {
    baseUrl: 'http://cp.test',
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
  function setup(answers: Answer[]) {
    const { client, calls } = scriptedClient(answers);
    const store = new ConfigStore((items) => new RoundRobin(items, 0));
    const log = recordingLog();
    const poller = new ConfigPoller({
      http: client,
      proxyId: () => 'web.shop-1',
      store,
      intervalMs: 1000,
      log,
    });
    return { poller, store, calls, log };
  }

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

  it('refuses an invalid config, keeps the last good one, and logs the refusal once', async () => {
    const bad = {
      version: '2',
      services: [
        {
          name: 'catalog',
          namespace: 'shop',
          endpoints: [{ proxyId: 'c', address: 'nowhere', version: 'v1' }],
        },
      ],
    };
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
      'error config 2 refused, keeping config 1: services.0.endpoints.0.address: "nowhere" is not HOST:PORT (e.g. 127.0.0.1:15001)',
    ]);
    expect(poller.lastProblem).toContain('invalid JSON');
  });

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
