import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServicePolicy } from '@weft/schema';
import { ClientSignal } from '../http/client-signal.ts';
import { ProxyRequest, type ProxyResponse } from '../http/exchange.ts';
import { stack, type Layer } from '../http/layer.ts';
import { RetryMetrics } from '../policies/retry/retry-metrics.ts';
import type { ServiceRoute } from '../routing/routing-table.ts';
import type { FinishedSpan } from '../telemetry/finished-span.ts';
import { RequestMetrics } from '../telemetry/request-metrics.ts';
import { parseTraceparent } from '../telemetry/trace-context.ts';
import { retry } from './retry.ts';
import { telemetry } from './telemetry.ts';

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const policies: ServicePolicy[] = [
  {
    service: 'reviews',
    namespace: 'shop',
    retry: {
      source: 'RetryPolicy shop/reviews',
      attempts: 3,
      backoff: { base: '10ms', max: '100ms', jitter: 0 },
      retryOn: ['gateway-error'],
      nonIdempotent: false,
      budget: { ratio: 0.2, minPerSecond: 10 },
    },
  },
];

function request(method = 'GET'): ProxyRequest {
  return new ProxyRequest({
    method,
    path: '/items',
    authority: 'reviews',
    headers: { traceparent: PARENT },
    body: null,
    remoteAddress: '127.0.0.1',
    receivedAt: performance.now(),
    signal: new ClientSignal(),
  });
}

/** Stands in for resolveDestination above the retry layer and pickEndpoint below it. */
const destination: Layer = (next) => (req) => {
  req.route = { service: 'reviews', namespace: 'shop' } as ServiceRoute;
  return next(req);
};
let picks = 0;
const endpoint: Layer = (next) => (req) => {
  picks++;
  req.upstream = `10.0.0.${picks}:1`;
  req.destination = { service: 'reviews', namespace: 'shop', version: `v${picks}` };
  return next(req);
};

function chain(statuses: number[]) {
  const spans: FinishedSpan[] = [];
  const metrics = new RequestMetrics(0);
  const retries = new RetryMetrics();
  const seen: string[] = [];
  const handler = stack(
    [
      telemetry({ reporter: 'outbound', metrics, spans: { push: (s) => spans.push(s) } }),
      destination,
      retry({ policies: () => policies, metrics: retries }),
      endpoint,
    ],
    (req): Promise<ProxyResponse> => {
      seen.push(String(req.headers.traceparent));
      return Promise.resolve({ status: statuses.shift() ?? 200, headers: {}, body: null });
    },
  );
  return { handler, spans, metrics, seen };
}

beforeEach(() => {
  picks = 0;
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry and telemetry', () => {
  it('records one CLIENT span per try, siblings under the caller, and the request once in metrics', async () => {
    const c = chain([503, 502, 200]);
    const req = request();
    const answer = c.handler(req);
    await vi.runAllTimersAsync();
    expect((await answer).status).toBe(200);
    req.complete({ status: 200, endedAt: performance.now(), aborted: false });

    expect(c.spans.map((s) => [s.status, s.retryAttempt, s.peer.version, s.parentSpanId])).toEqual([
      [503, 1, 'v1', 'b7ad6b7169203331'],
      [502, 2, 'v2', 'b7ad6b7169203331'],
      [200, 3, 'v3', 'b7ad6b7169203331'],
    ]);
    // Each try carried its own span id to the next hop.
    expect(c.seen.map((t) => parseTraceparent(t)?.parentSpanId)).toEqual(c.spans.map((s) => s.spanId));
    expect(new Set(c.spans.map((s) => s.spanId)).size).toBe(3);
    const series = [...c.metrics.series()];
    expect(series.map((s) => [s.labels.status, s.total.count])).toEqual([[200, 1]]);
  });

  it('records a request tried once as before: one span, no attempt attribute', async () => {
    const c = chain([200]);
    const req = request();
    const answer = c.handler(req);
    await vi.runAllTimersAsync();
    await answer;
    req.complete({ status: 200, endedAt: performance.now(), aborted: false });
    expect(c.spans.map((s) => [s.status, s.retryAttempt])).toEqual([[200, undefined]]);
  });

  it('stops waiting to retry when the client goes away', async () => {
    const c = chain([503, 200]);
    const req = request();
    const answer = c.handler(req);
    await vi.advanceTimersByTimeAsync(1); // the first try is answered; the backoff (10 ms) runs
    req.signal.abort();
    expect((await answer).status).toBe(503);
    await vi.runAllTimersAsync();
    expect(c.seen).toHaveLength(1);
  });

  it('does not retry a POST under a policy without nonIdempotent', async () => {
    const c = chain([503, 200]);
    const answer = c.handler(request('POST'));
    await vi.runAllTimersAsync();
    expect((await answer).status).toBe(503);
    expect(c.seen).toHaveLength(1);
  });
});
