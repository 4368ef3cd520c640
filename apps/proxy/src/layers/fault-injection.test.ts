/** The fault-injection layer on its own: a hand-written terminal, fake timers for delays. */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Headers, type ProxyConfig, type ServicePolicy } from '@weft/schema';
import { ClientSignal } from '../http/client-signal.ts';
import { ProxyRequest, type ProxyResponse } from '../http/exchange.ts';
import { stack, type Handler } from '../http/layer.ts';
import { FaultCounters } from '../policies/fault/fault-counters.ts';
import { EndpointRegistry } from '../routing/endpoint-registry.ts';
import { RoundRobin } from '../routing/round-robin.ts';
import { RoutingTable } from '../routing/routing-table.ts';
import { faultInjection } from './fault-injection.ts';
import { matchRoute, pickVersion, resolveDestination } from './routing.ts';

const FAULT = 'FaultInjectionPolicy shop/ratings-faults';

function request(path = '/ratings/1', headers: Record<string, string> = {}): ProxyRequest {
  return new ProxyRequest({
    method: 'GET',
    path,
    authority: 'ratings',
    headers: { host: 'ratings', ...headers },
    body: null,
    remoteAddress: '127.0.0.1',
    receivedAt: 0,
    signal: new ClientSignal(),
  });
}

function setup(policies: ServicePolicy[], draws: number[]) {
  const config: ProxyConfig = {
    version: '1',
    services: [
      {
        name: 'ratings',
        namespace: 'shop',
        endpoints: [{ proxyId: 'r1', address: '10.0.0.1:15006', version: 'v1' }],
      },
    ],
    policies,
  };
  const table = new RoutingTable(config, {
    balancer: (items) => new RoundRobin(items, 0),
    endpoints: new EndpointRegistry(),
  });
  const counters = new FaultCounters();
  const reached: ProxyRequest[] = [];
  const terminal: Handler = (req) => {
    reached.push(req);
    return Promise.resolve<ProxyResponse>({ status: 200, headers: {}, body: Readable.from(['ok']) });
  };
  const random = () => {
    const next = draws.shift();
    if (next === undefined) throw new Error('random drawn more often than scripted');
    return next;
  };
  const handler = stack(
    [
      resolveDestination(() => table, 'shop'),
      matchRoute(() => table),
      pickVersion(),
      faultInjection({ policies: () => config.policies, counters, random }),
    ],
    terminal,
  );
  return { handler, reached, counters, draws };
}

const ratings = (extra: Partial<ServicePolicy>): ServicePolicy => ({
  namespace: 'shop',
  service: 'ratings',
  ...extra,
});

describe('faultInjection layer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with the configured status and x-weft-proxy-error: fault-injected, without forwarding', async () => {
    const s = setup(
      [ratings({ faultInjection: { source: FAULT, abort: { percentage: 20, status: 503 } } })],
      [0.1, 0.3],
    );
    const first = await s.handler(request());
    expect(first.status).toBe(503);
    expect(first.headers[Headers.proxyError]).toBe('fault-injected');
    expect(typeof first.body === 'string' ? first.body : '').toContain(FAULT);
    const second = await s.handler(request());
    expect(second.status).toBe(200);
    expect(s.reached).toHaveLength(1);
    expect(s.counters.entries()).toEqual([
      { kind: 'abort', service: 'ratings', namespace: 'shop', count: 1 },
    ]);
  });

  it('delays a drawn request by the duration, then forwards it', async () => {
    const s = setup(
      [ratings({ faultInjection: { source: FAULT, delay: { percentage: 50, duration: '2s' } } })],
      [0.2],
    );
    let settled = false;
    const pending = s.handler(request()).then((r) => {
      settled = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(settled).toBe(false);
    expect(s.reached).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).status).toBe(200);
    expect(s.reached).toHaveLength(1);
    expect(s.counters.entries()).toEqual([
      { kind: 'delay', service: 'ratings', namespace: 'shop', count: 1 },
    ]);
  });

  it('does not delay a request that loses the draw', async () => {
    const s = setup(
      [ratings({ faultInjection: { source: FAULT, delay: { percentage: 50, duration: '2s' } } })],
      [0.7],
    );
    expect((await s.handler(request())).status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
    expect(s.counters.entries()).toEqual([]);
  });

  it('delays and then aborts when both are drawn', async () => {
    const s = setup(
      [
        ratings({
          faultInjection: {
            source: FAULT,
            delay: { percentage: 100, duration: '100ms' },
            abort: { percentage: 100, status: 500 },
          },
        }),
      ],
      [0, 0],
    );
    const pending = s.handler(request());
    await vi.advanceTimersByTimeAsync(100);
    expect((await pending).status).toBe(500);
    expect(s.reached).toHaveLength(0);
    expect(s.counters.entries().map((c) => c.kind)).toEqual(['delay', 'abort']);
  });

  it('ends the wait when the client goes away: 499, nothing forwarded, no timer left', async () => {
    const s = setup(
      [ratings({ faultInjection: { source: FAULT, delay: { percentage: 100, duration: '5s' } } })],
      [0],
    );
    const req = request();
    const pending = s.handler(req);
    await vi.advanceTimersByTimeAsync(10);
    req.signal.abort();
    const res = await pending;
    expect(res.status).toBe(499);
    expect(req.error).toBe('client-aborted');
    expect(s.reached).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves requests its matches do not select alone, without drawing', async () => {
    const s = setup(
      [
        ratings({
          faultInjection: {
            source: FAULT,
            matches: [{ headers: [{ type: 'Exact', name: 'x-fault', value: 'yes' }] }],
            abort: { percentage: 100, status: 503 },
          },
        }),
      ],
      [0],
    );
    expect((await s.handler(request())).status).toBe(200);
    expect((await s.handler(request('/ratings/1', { 'x-fault': 'yes' }))).status).toBe(503);
  });

  it("prefers the matched route rule's policy over the service's", async () => {
    const s = setup(
      [
        ratings({
          faultInjection: { source: FAULT, abort: { percentage: 100, status: 503 } },
          routes: [
            {
              route: 'HTTPRoute shop/ratings',
              name: 'calm',
              index: 0,
              matches: [{ path: { type: 'PathPrefix', value: '/calm' } }],
              policies: {
                faultInjection: {
                  source: 'FaultInjectionPolicy shop/calm',
                  abort: { percentage: 100, status: 418 },
                },
              },
            },
            { route: 'HTTPRoute shop/ratings', index: 1, matches: [] },
          ],
        }),
      ],
      [0, 0],
    );
    expect((await s.handler(request('/calm/x'))).status).toBe(418);
    expect((await s.handler(request('/other'))).status).toBe(503);
  });
});
