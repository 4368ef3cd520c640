/**
 * The walking skeleton end to end below the console: real proxies (child processes) in front of two
 * services, the real API on a real database, telemetry over OTLP/HTTP, read back through tRPC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  GoldenSignals,
  ServiceDetail,
  ServiceVersionStats,
  TopologyGraph,
  TraceDetail,
  TraceSummary,
} from '@weft/schema';
import { startApi, type RunningApi } from '../src/app.ts';
import { signIn, testApiOptions, trpcQuery, workloadToken, type Session } from './support/auth.ts';
import { waitFor } from './support/ports.ts';
import { BACKENDS } from './support/databases.ts';
import { startProxy, type ProxyProcess } from './support/proxy-process.ts';
import { startAlpha, startBeta, type TestService } from './support/upstreams.ts';

const OK = 12;
const FAIL = 5;
const SLOW = 3;
const TOTAL = OK + FAIL + SLOW;
const SLOW_MS = 250;
/** How often the proxies push telemetry. */
const FLUSH_MS = 300;

let viewer: Session;

function trpc<T>(api: RunningApi, procedure: string, input: unknown): Promise<T> {
  return trpcQuery<T>(api.url, viewer, procedure, input);
}

describe.each(BACKENDS)('mesh telemetry on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let api: RunningApi;
  let beta: TestService;
  let alpha: TestService;
  let betaProxy: ProxyProcess;
  let alphaProxy: ProxyProcess;
  const started = Date.now();
  const window = { fromMs: started - 60_000, toMs: started + 10 * 60_000 };

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url), () => undefined);
    viewer = await signIn(api.url);
    beta = await startBeta(SLOW_MS);
    let alphaOutbound = '';
    alpha = await startAlpha(() => alphaOutbound);
    betaProxy = await startProxy({
      service: 'beta',
      namespace: 'it',
      app: beta.address,
      controlPlane: api.url,
      token: await workloadToken(api.url, viewer, { namespace: 'it', service: 'beta' }),
      flushIntervalMs: FLUSH_MS,
    });
    alphaProxy = await startProxy({
      service: 'alpha',
      namespace: 'it',
      app: alpha.address,
      controlPlane: api.url,
      token: await workloadToken(api.url, viewer, { namespace: 'it', service: 'alpha' }),
      flushIntervalMs: FLUSH_MS,
    });
    alphaOutbound = alphaProxy.outbound;
    // alpha's proxy must have learned beta's endpoint from the control plane before traffic starts.
    await waitFor('alpha proxy to know beta', async () => {
      const res = await fetch(`http://${alphaProxy.admin}/config`);
      const config = (await res.json()) as { services: { name: string; endpoints: unknown[] }[] };
      return config.services.some((s) => s.name === 'beta' && s.endpoints.length > 0);
    });

    const paths = [
      ...Array<string>(OK).fill('/call/ok'),
      ...Array<string>(FAIL).fill('/call/fail'),
      ...Array<string>(SLOW).fill('/call/slow'),
    ];
    for (const p of paths) {
      const res = await fetch(`http://${alphaProxy.inbound}${p}`);
      await res.arrayBuffer();
      expect(res.status).toBe(p === '/call/fail' ? 500 : 200);
    }
  });

  afterAll(async () => {
    await Promise.allSettled([alphaProxy?.stop(), betaProxy?.stop()]);
    await Promise.allSettled([alpha?.close(), beta?.close()]);
    await api?.close();
    await database?.stop();
  });

  it('counts every request and error exactly on each edge of the topology', async () => {
    const graph = await waitFor('all requests to be reported', async () => {
      const g = await trpc<TopologyGraph>(api, 'topology.graph', { window });
      const reported = [
        ...g.edges.map((e) => e.traffic.requests),
        g.nodes.find((n) => n.id === 'it/beta')?.traffic.requests ?? 0,
      ];
      return g.edges.length === 2 && reported.every((r) => r >= TOTAL) ? g : undefined;
    });
    // Everything the proxies hold has been delivered (both queues empty on both proxies)...
    await waitFor('the proxies to have pushed all telemetry', async () => {
      const pages = await Promise.all(
        [alphaProxy, betaProxy].map(async (p) => (await fetch(`http://${p.admin}/metrics`)).text()),
      );
      return pages.every(
        (page) =>
          /^weft_proxy_telemetry_queued\{/m.test(page) &&
          !/^weft_proxy_telemetry_queued\{[^}]*\} [1-9]/m.test(page),
      );
    });
    // ...and nothing is counted twice: the scenario is "no change over the next flushes", so the graph is
    // read again throughout three flush periods (no event marks an idle flush) and must stay exact.
    const readings: TopologyGraph[] = [graph];
    const until = Date.now() + 3 * FLUSH_MS;
    do readings.push(await trpc<TopologyGraph>(api, 'topology.graph', { window }));
    while (Date.now() < until);
    for (const g of readings) {
      const byId = new Map(g.edges.map((e) => [e.id, e]));
      expect([...byId.keys()].sort()).toEqual(['it/alpha->it/beta', 'unknown->it/alpha']);
      expect(byId.get('it/alpha->it/beta')!.traffic).toMatchObject({ requests: TOTAL, errors: FAIL });
      expect(byId.get('unknown->it/alpha')!.traffic).toMatchObject({ requests: TOTAL, errors: FAIL });
      const beta = g.nodes.find((n) => n.id === 'it/beta')!;
      expect(beta).toMatchObject({ kind: 'service', instances: 1, versions: ['v1'] });
      expect(beta.traffic).toMatchObject({
        requests: TOTAL,
        errors: FAIL,
        successRate: (TOTAL - FAIL) / TOTAL,
      });
      expect(beta.health).toBe('failing');
    }
  });

  it('keeps the latency distribution: slow calls land in the tail, the rest in the body', async () => {
    const detail = await trpc<ServiceDetail>(api, 'services.detail', {
      namespace: 'it',
      service: 'beta',
      window,
    });
    const { p50, p99 } = detail.traffic;
    expect(p50).not.toBeNull();
    expect(p50!).toBeLessThan(SLOW_MS);
    expect(p99!).toBeGreaterThanOrEqual(SLOW_MS);
    expect(detail.inbound.map((e) => e.from)).toEqual(['it/alpha']);
    expect(detail.instancesList).toHaveLength(1);
    expect(detail.instancesList[0]).toMatchObject({ healthy: true, version: 'v1' });
  });

  it('reports golden signals per service and version', async () => {
    const rows = await trpc<ServiceVersionStats[]>(api, 'services.versions', { window, namespace: 'it' });
    expect(rows.map((r) => `${r.service}@${r.version}`)).toEqual(['alpha@v1', 'beta@v1']);
    const beta = rows.find((r) => r.service === 'beta')!;
    expect(beta.instances).toBe(1);
    expect(beta.traffic).toMatchObject({
      requests: TOTAL,
      errors: FAIL,
      successRate: (TOTAL - FAIL) / TOTAL,
    });
    expect(beta.traffic.p99!).toBeGreaterThanOrEqual(SLOW_MS);
  });

  it('returns golden-signal series whose points add up to the traffic sent', async () => {
    const signals = await trpc<GoldenSignals>(api, 'signals.service', {
      namespace: 'it',
      service: 'beta',
      window,
    });
    const requests = signals.points.reduce((n, p) => n + p.requests, 0);
    const errors = signals.points.reduce((n, p) => n + p.errors, 0);
    expect(requests).toBe(TOTAL);
    expect(errors).toBe(FAIL);
    expect(signals.points.some((p) => p.p99 !== null && p.p99 >= SLOW_MS)).toBe(true);
  });

  it('stores one trace per request with parent links across both proxies', async () => {
    const traces = await waitFor('all traces to arrive', async () => {
      const list = await trpc<TraceSummary[]>(api, 'traces.search', { window, limit: 100 });
      return list.length >= TOTAL && list.every((t) => t.spanCount === 3) ? list : undefined;
    });
    expect(traces).toHaveLength(TOTAL);
    expect(traces.filter((t) => t.errorCount > 0)).toHaveLength(FAIL);
    expect(traces.every((t) => t.rootService === 'it/alpha')).toBe(true);

    const trace = await trpc<TraceDetail>(api, 'traces.get', { traceId: traces[0]!.traceId });
    const server = trace.spans.find((s) => s.service === 'alpha' && s.kind === 'server')!;
    const client = trace.spans.find((s) => s.service === 'alpha' && s.kind === 'client')!;
    const betaServer = trace.spans.find((s) => s.service === 'beta' && s.kind === 'server')!;
    expect(server.parentSpanId).toBeNull();
    expect(client.parentSpanId).toBe(server.spanId);
    expect(betaServer.parentSpanId).toBe(client.spanId);
    // The callee's span sits inside the caller's span in time (separate processes: allow 2 ms for their clocks).
    const skewUs = 2000;
    expect(betaServer.offsetUs).toBeGreaterThanOrEqual(client.offsetUs - skewUs);
    expect(betaServer.offsetUs + betaServer.durationUs).toBeLessThanOrEqual(
      client.offsetUs + client.durationUs + skewUs,
    );

    const slow = await trpc<TraceSummary[]>(api, 'traces.search', {
      window,
      minDurationMs: SLOW_MS,
      limit: 100,
    });
    // Every slow call is found and nothing below the threshold is (other calls may be slow on a busy machine).
    expect(slow.filter((t) => t.rootName === 'GET /call/slow')).toHaveLength(SLOW);
    expect(slow.every((t) => t.durationMs >= SLOW_MS)).toBe(true);
    const errors = await trpc<TraceSummary[]>(api, 'traces.search', {
      window,
      errorsOnly: true,
      service: 'beta',
      limit: 100,
    });
    expect(errors).toHaveLength(FAIL);
  });
});
