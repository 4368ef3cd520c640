/**
 * What proxies route to never depends on the control plane being up: real proxies keep serving through an
 * API outage longer than the registry TTL and through the restart after it, and an endpoint that a proxy
 * can't use is refused alone while the rest of the config keeps updating.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi, type StartOptions } from '../src/app.ts';
import { openDatabase } from '../src/db/client.ts';
import { signIn, testApiOptions, workloadToken } from './support/auth.ts';
import { waitFor } from './support/ports.ts';
import { BACKENDS } from './support/databases.ts';
import { startProxy, type ProxyProcess } from './support/proxy-process.ts';
import { startAlpha, startBeta, type TestService } from './support/upstreams.ts';

const TTL_SECONDS = 3;

/** Sends requests through alpha's proxy (alpha → its outbound proxy → beta's proxy → beta) until stopped. */
function steadyLoad(entry: string) {
  let stopped = false;
  const failures: string[] = [];
  let sent = 0;
  const loop = (async () => {
    // Bounded: stops when told, and never runs past two minutes.
    const deadline = Date.now() + 120_000;
    while (!stopped && Date.now() < deadline) {
      sent++;
      try {
        const res = await fetch(`http://${entry}/call/ok`);
        const body = await res.text();
        if (res.status !== 200)
          failures.push(`${res.status} ${res.headers.get('x-weft-proxy-error') ?? ''} ${body.slice(0, 120)}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  })();
  return {
    get sent() {
      return sent;
    },
    failures,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function routedEndpoints(proxy: ProxyProcess, service: string): Promise<string[]> {
  const res = await fetch(`http://${proxy.admin}/config`);
  const config = (await res.json()) as { services?: { name: string; endpoints: { address: string }[] }[] };
  return (config.services ?? [])
    .filter((s) => s.name === service)
    .flatMap((s) => s.endpoints.map((e) => e.address));
}

async function registryState(api: RunningApi): Promise<string> {
  const res = await fetch(`${api.url}/healthz`);
  return ((await res.json()) as { registry: string }).registry;
}

describe.each(BACKENDS)('control plane restarts and bad endpoints on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let options: StartOptions;
  let api: RunningApi;
  let alpha: TestService;
  let beta: TestService;
  let alphaProxy: ProxyProcess;
  let betaProxy: ProxyProcess;

  beforeAll(async () => {
    database = await backend.start();
    options = await testApiOptions(database.url, { proxyTtlSeconds: TTL_SECONDS, heartbeatSeconds: 1 });
    api = await startApi(options, () => undefined);
    const admin = await signIn(api.url);
    beta = await startBeta(0);
    let alphaOutbound = '';
    alpha = await startAlpha(() => alphaOutbound);
    betaProxy = await startProxy({
      service: 'beta',
      namespace: 'it',
      app: beta.address,
      controlPlane: api.url,
      token: await workloadToken(api.url, admin, { namespace: 'it', service: 'beta' }),
    });
    alphaProxy = await startProxy({
      service: 'alpha',
      namespace: 'it',
      app: alpha.address,
      controlPlane: api.url,
      token: await workloadToken(api.url, admin, { namespace: 'it', service: 'alpha' }),
    });
    alphaOutbound = alphaProxy.outbound;
    await waitFor(
      'alpha proxy to route to beta',
      async () => (await routedEndpoints(alphaProxy, 'beta')).length === 1,
    );
  });

  afterAll(async () => {
    await Promise.allSettled([alphaProxy?.stop(), betaProxy?.stop()]);
    await Promise.allSettled([alpha?.close(), beta?.close()]);
    await api?.close();
    await database?.stop();
  });

  it('fails no request while the API is down longer than the TTL and while it restarts', async () => {
    const load = steadyLoad(alphaProxy.inbound);
    await waitFor('traffic to flow', () => Promise.resolve(load.sent > 20));
    await api.close();
    const downAt = Date.now();
    // The outage itself is the scenario: it must outlast the TTL, so every stored instance looks expired.
    await waitFor(
      'an outage longer than the TTL',
      () => Promise.resolve(Date.now() - downAt > (TTL_SECONDS + 1) * 1000 && load.sent > 40),
      20_000,
    );
    api = await startApi(options, () => undefined);
    expect(await registryState(api)).toBe('warming-up');
    await waitFor(
      'the registry to leave its warm-up',
      async () => (await registryState(api)) === 'ready',
      30_000,
    );
    const afterWarmUp = load.sent;
    await waitFor('traffic after the warm-up', () => Promise.resolve(load.sent > afterWarmUp + 50));
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(await routedEndpoints(alphaProxy, 'beta')).toEqual([betaProxy.inbound]);
  });

  it('refuses a poisoned endpoint alone and keeps applying other updates', async () => {
    // A row as an older API version could have stored it, before addresses were checked at registration.
    const direct = await openDatabase(database.url);
    try {
      await direct.db.serviceInstance.create({
        data: {
          proxyId: 'poisoned-1',
          service: 'beta',
          namespace: 'it',
          version: 'v1',
          inboundAddress: 'x/y:80',
          adminAddress: '127.0.0.1:1',
          mode: 'sidecar',
          lastSeenAt: new Date(Date.now() + 60_000),
        },
      });
    } finally {
      await direct.close();
    }
    const admin = await signIn(api.url);
    const gammaApp = await startBeta(0);
    const gammaProxy = await startProxy({
      service: 'gamma',
      namespace: 'it',
      app: gammaApp.address,
      controlPlane: api.url,
      token: await workloadToken(api.url, admin, { namespace: 'it', service: 'gamma' }),
    });
    try {
      // The update that came after the poisoned row (gamma joining) is applied...
      await waitFor(
        'alpha proxy to learn gamma',
        async () => (await routedEndpoints(alphaProxy, 'gamma')).length === 1,
      );
      // ...and beta keeps exactly its good endpoint.
      expect(await routedEndpoints(alphaProxy, 'beta')).toEqual([betaProxy.inbound]);
      const metrics = await (await fetch(`http://${alphaProxy.admin}/metrics`)).text();
      expect(metrics).toMatch(/weft_proxy_config_entries_refused_total\S* [1-9]/);
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`http://${alphaProxy.inbound}/call/ok`);
        await res.arrayBuffer();
        expect(res.status).toBe(200);
      }
    } finally {
      await gammaProxy.stop();
      await gammaApp.close();
    }
  });
});
