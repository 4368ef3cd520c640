/**
 * Retries and outlier ejections end to end: real proxies (child processes) with a RetryPolicy and a
 * CircuitBreakerPolicy on a service one of whose two instances always fails, the real API on a real database,
 * and the counts read back from `signals.service` as the console reads them. Also the ingest of those counters
 * over OTLP/HTTP: a batch with one bad counter is refused with its field and nothing of it is stored, and a
 * retried batch is stored once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AggregationTemporality,
  Attr,
  ResilienceMetric,
  type GoldenSignals,
  type PolicyResourceInput,
} from '@weft/schema';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApi, type RunningApi } from '../src/app.ts';
import {
  bearer,
  createToken,
  signIn,
  testApiOptions,
  trpcMutation,
  trpcQuery,
  workloadToken,
  type Session,
} from './support/auth.ts';
import { BACKENDS } from './support/databases.ts';
import { kv, metricsRequest, unixNano } from './support/otlp.ts';
import { startProxy, type ProxyProcess } from './support/proxy-process.ts';

const REQUESTS = 20;

interface App {
  address: string;
  close(): Promise<void>;
}

/** An application that answers every request with `status`. */
function startApp(status: number): Promise<App> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status === 200 ? 'ok' : 'failing');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        address: `127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** GET `path` of `host` (service.namespace) through an outbound listener; resolves with the status. */
function callThrough(outbound: string, host: string, path: string): Promise<number> {
  const [hostname, port] = outbound.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port: Number(port), path, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const sum = (signals: GoldenSignals, key: 'retries' | 'ejections' | 'requests' | 'errors') =>
  signals.points.reduce((n, p) => n + p[key], 0);

describe.each(BACKENDS)('retries and ejections in the service signals on $name', (backend) => {
  let database: { url: string; stop: () => Promise<void> };
  let api: RunningApi;
  let admin: Session;
  const apps: App[] = [];
  const proxies: ProxyProcess[] = [];
  const started = Date.now();
  const window = { fromMs: started - 60_000, toMs: started + 10 * 60_000 };

  const signals = (service: string) =>
    trpcQuery<GoldenSignals>(api.url, admin, 'signals.service', { namespace: 'it', service, window });

  beforeAll(async () => {
    database = await backend.start();
    api = await startApi(await testApiOptions(database.url), () => undefined);
    admin = await signIn(api.url);
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(apps.map((a) => a.close()));
    await api?.close();
    await database?.stop();
  });

  it('shows the retries callers made and the endpoint their outlier detection ejected', async () => {
    const [good, failing, caller] = await Promise.all([startApp(200), startApp(503), startApp(200)]);
    apps.push(good, failing, caller);
    const betaToken = await workloadToken(api.url, admin, { namespace: 'it', service: 'beta' });
    const alphaToken = await workloadToken(api.url, admin, { namespace: 'it', service: 'alpha' });
    // One at a time: each proxy gets the machine to itself while it starts.
    for (const [service, app, token] of [
      ['beta', good, betaToken],
      ['beta', failing, betaToken],
      ['alpha', caller, alphaToken],
    ] as const)
      proxies.push(
        await startProxy({ service, namespace: 'it', app: app.address, controlPlane: api.url, token }),
      );
    const alpha = proxies[2] as ProxyProcess;
    // Policies may only target a Service that exists: beta's proxies have registered by now.
    const retryPolicy: PolicyResourceInput = {
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'RetryPolicy',
      metadata: { name: 'beta-retry', namespace: 'it' },
      spec: {
        targetRef: { name: 'beta' },
        attempts: 3,
        retryOn: ['5xx'],
        backoff: { base: '1ms', max: '5ms' },
      },
    };
    const breakerPolicy: PolicyResourceInput = {
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'CircuitBreakerPolicy',
      metadata: { name: 'beta-breaker', namespace: 'it' },
      spec: {
        targetRef: { name: 'beta' },
        outlierDetection: { consecutive5xx: 2, baseEjectionTime: '60s', maxEjectionPercent: 50 },
      },
    };
    await trpcMutation(api.url, admin, 'policies.upsert', retryPolicy);
    await trpcMutation(api.url, admin, 'policies.upsert', breakerPolicy);

    // alpha's proxy must know both beta endpoints and both policies before traffic starts.
    await vi.waitFor(
      async () => {
        const config = (await (await fetch(`http://${alpha.admin}/config`)).json()) as {
          services: { name: string; endpoints: unknown[] }[];
          policies?: { service: string; retry?: unknown; circuitBreaker?: unknown }[];
        };
        expect(config.services.find((s) => s.name === 'beta')?.endpoints).toHaveLength(2);
        const beta = config.policies?.find((p) => p.service === 'beta');
        expect(beta?.retry).toBeDefined();
        expect(beta?.circuitBreaker).toBeDefined();
      },
      { timeout: 15_000, interval: 100 },
    );

    const statuses: number[] = [];
    for (let i = 0; i < REQUESTS; i++) statuses.push(await callThrough(alpha.outbound, 'beta.it', '/'));
    // Each 503 of the failing instance was retried on the good one, so the caller saw none.
    expect(statuses).toEqual(Array<number>(REQUESTS).fill(200));

    const seen = await vi.waitFor(
      async () => {
        const s = await signals('beta');
        // Two 503s in a row ejected the failing instance; each was retried once on the good one.
        expect(sum(s, 'ejections')).toBe(1);
        expect(sum(s, 'retries')).toBe(2);
        expect(Math.max(...s.points.map((p) => p.ejectedEndpoints))).toBe(1);
        return s;
      },
      { timeout: 15_000, interval: 200 },
    );
    // The ejected instance's proxy still reported what it answered before the ejection: 2 failures.
    await vi.waitFor(
      async () => {
        const s = await signals('beta');
        expect({ requests: sum(s, 'requests'), errors: sum(s, 'errors') }).toEqual({
          requests: REQUESTS + 2,
          errors: 2,
        });
      },
      { timeout: 15_000, interval: 200 },
    );
    // Nothing is counted for the caller itself.
    expect(sum(await signals('alpha'), 'retries')).toBe(0);
    expect(seen.points.every((p) => p.retries >= 0 && p.ejections >= 0)).toBe(true);
  });

  describe('ingest of the counters', () => {
    let ingestToken: string;
    const nowMs = Date.now();

    beforeAll(async () => {
      ingestToken = await createToken(api.url, admin, { kind: 'ingest', name: 'resilience-ingest' });
    });

    /** A request from a `gamma` proxy (instance `instance`): one histogram point to `delta`, and retries to `delta`. */
    function batch(retriesValue: string | number, instance = 'gamma-1') {
      const request = metricsRequest({
        resource: { service: 'gamma', instance },
        points: [
          {
            reporter: 'inbound',
            destination: { service: 'delta', namespace: 'it' },
            status: 200,
            count: 4,
            startMs: nowMs - 5000,
            endMs: nowMs,
          },
        ],
      });
      const scope = request.resourceMetrics[0]?.scopeMetrics?.[0];
      scope?.metrics?.push({
        name: ResilienceMetric.retries,
        sum: {
          aggregationTemporality: AggregationTemporality.DELTA,
          isMonotonic: true,
          dataPoints: [
            {
              attributes: [
                kv(Attr.destinationService, 'delta'),
                kv(Attr.destinationNamespace, 'it'),
                kv(Attr.reason, '503'),
              ],
              startTimeUnixNano: unixNano(nowMs - 5000),
              timeUnixNano: unixNano(nowMs),
              asInt: retriesValue,
            },
          ],
        },
      });
      return request;
    }

    async function post(body: unknown) {
      const res = await fetch(`${api.url}/v1/metrics`, {
        method: 'POST',
        headers: { ...bearer(ingestToken), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return {
        status: res.status,
        body: (await res.json()) as {
          issues?: { path: string; message: string }[];
          partialSuccess?: { rejectedDataPoints?: string; errorMessage?: string };
          stored?: number;
          duplicates?: number;
        },
      };
    }

    it('refuses only a bad counter of a batch, naming the field (OTLP partial success)', async () => {
      const res = await post(batch('-3', 'gamma-partial'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        partialSuccess: {
          rejectedDataPoints: '1',
          errorMessage:
            '1 data point refused: resourceMetrics.0.scopeMetrics.0.metrics.1.sum.dataPoints.0.asInt: must be an integer count from 0 to 2147483647 (asInt)',
        },
        stored: 1,
      });
      const s = await signals('delta');
      expect({ requests: sum(s, 'requests'), retries: sum(s, 'retries') }).toEqual({
        requests: 4,
        retries: 0,
      });
    });

    it('counts gRPC answers with a non-OK grpc-status as errors in the success rate', async () => {
      const request = metricsRequest({
        resource: { service: 'gamma', instance: 'gamma-1' },
        points: [0, 14].map((grpcStatus) => ({
          destination: { service: 'epsilon', namespace: 'it' },
          status: 200,
          count: grpcStatus === 0 ? 1 : 3,
          startMs: nowMs - 5000,
          endMs: nowMs,
        })),
      });
      const points = request.resourceMetrics[0]?.scopeMetrics?.[0]?.metrics?.[0]?.histogram?.dataPoints ?? [];
      points.forEach((p, i) =>
        p.attributes?.push({ key: Attr.grpcStatus, value: { intValue: i === 0 ? 0 : 14 } }),
      );
      expect((await post(request)).body).toMatchObject({ stored: 2 });
      const s = await signals('epsilon');
      const step = s.points.find((p) => p.requests > 0);
      expect(step).toMatchObject({ requests: 4, errors: 3, successRate: 0.25 });
    });

    it('stores a good batch once even when it is retried', async () => {
      expect((await post(batch('3'))).body).toMatchObject({ stored: 2, duplicates: 0 });
      expect((await post(batch('3'))).body).toMatchObject({ stored: 0, duplicates: 2 });
      const s = await signals('delta');
      // With the 4 requests of the partially refused batch above (another proxy).
      expect({ requests: sum(s, 'requests'), retries: sum(s, 'retries') }).toEqual({
        requests: 8,
        retries: 3,
      });
    });
  });
});
