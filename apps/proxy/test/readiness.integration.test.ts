/**
 * A proxy notices when its own application dies, without any policy: /ready answers 503 and it
 * re-registers at once with `ready: false` (and `ready: true` when the app is back), as a scripted control
 * plane on 127.0.0.1 sees it. With --app-ready-path the app's own readiness answer decides.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostPort } from '@weft/schema';
import type { ProxyOptions } from '../src/cli/flags.ts';
import { startProxy } from '../src/proxy.ts';
import {
  adminGet,
  readBody,
  recordingLog,
  sample,
  startServer,
  waitFor,
  writeConfig,
  loopback,
  type TestServer,
} from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** Registration answered with a heartbeat of an hour: a re-registration within the test is a prompt one. */
async function startControlPlane() {
  const registrations: { proxyId: string; ready?: boolean }[] = [];
  const server = await startServer((req, res) => {
    void readBody(req).then((body) => {
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'POST' && req.url === '/v1/proxies/register') {
        const reg = JSON.parse(body.toString('utf8')) as { proxyId: string; ready?: boolean };
        registrations.push(reg);
        return json(200, { proxyId: reg.proxyId, heartbeatSeconds: 3600 });
      }
      if (req.method === 'DELETE') return res.writeHead(204).end();
      return json(200, {});
    });
  });
  cleanups.push(() => server.close());
  return { ...server, url: new URL(`http://${server.hostPort}`), registrations };
}

async function startAppServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok'),
  on?: HostPort,
): Promise<TestServer> {
  const app = await startServer(handler, on);
  cleanups.push(() => app.close());
  return app;
}

async function proxyFor(app: HostPort, controlPlane: URL, appReadyPath?: string) {
  const any = loopback(0);
  const options: ProxyOptions = {
    service: 'catalog',
    namespace: 'shop',
    version: 'v1',
    app,
    inbound: any,
    outbound: any,
    admin: any,
    advertise: undefined,
    controlPlane,
    proxyId: 'catalog.shop-readiness',
    flushIntervalMs: 60_000,
    configPollMs: 60_000,
    configFile: writeConfig({ version: 'static-1', services: [] }),
    appReadyPath,
  };
  const log = recordingLog();
  const proxy = await startProxy(options, { controlPlaneToken: undefined }, log, {
    appCheckIntervalMs: 50,
    appCheckFailures: 2,
    appCheckTimeoutMs: 500,
  });
  cleanups.push(() => proxy.stop());
  return Object.assign(proxy, { log });
}

describe('the proxy checks its own application', () => {
  it('a killed app makes /ready 503 and the registration say ready: false at once; back when the app is', async () => {
    const cp = await startControlPlane();
    const app = await startAppServer();
    const proxy = await proxyFor(app.address, cp.url);
    await waitFor(() => cp.registrations.length > 0);
    expect(cp.registrations[0]?.ready).toBe(true);
    expect((await adminGet(proxy, '/ready')).text).toBe('ready\n');

    await app.close();
    const notReady = await waitFor(async () => {
      const r = await adminGet(proxy, '/ready');
      return r.status === 503 ? r : undefined;
    });
    expect(notReady.text).toMatch(
      /^not ready: application not ready: cannot connect to the app at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
    // Not the hourly heartbeat: a registration right after the change.
    await waitFor(() => cp.registrations.at(-1)?.ready === false);
    expect(cp.registrations.length).toBe(2);
    expect(sample((await adminGet(proxy, '/metrics')).text, 'weft_proxy_app_ready')).toBe(0);
    expect(proxy.log.lines.some((l) => l.startsWith('warn application not ready'))).toBe(true);

    await startAppServer(undefined, app.address);
    await waitFor(async () => (await adminGet(proxy, '/ready')).status === 200);
    await waitFor(() => cp.registrations.at(-1)?.ready === true);
    expect(cp.registrations.map((r) => r.ready)).toEqual([true, false, true]);
  });

  it('with --app-ready-path, the app answering it with 503 is not ready though it accepts connections', async () => {
    const cp = await startControlPlane();
    const state = { ready: true };
    const app = await startAppServer((req, res) => {
      if (req.url === '/healthz') res.writeHead(state.ready ? 200 : 503).end();
      else res.writeHead(404).end();
    });
    const proxy = await proxyFor(app.address, cp.url, '/healthz');
    await waitFor(() => cp.registrations.length > 0);
    expect((await adminGet(proxy, '/ready')).status).toBe(200);
    state.ready = false;
    const r = await waitFor(async () => {
      const reply = await adminGet(proxy, '/ready');
      return reply.status === 503 ? reply : undefined;
    });
    expect(r.text).toMatch(
      /application not ready: readiness check GET http:\/\/127\.0\.0\.1:\d+\/healthz answered 503/,
    );
    await waitFor(() => cp.registrations.at(-1)?.ready === false);
  });
});
