/** rateLimit and concurrencyLimit on their own: a hand-written terminal, a clock stepped by hand. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Headers, type ProxyConfig } from '@weft/schema';
import { ClientSignal } from '../http/client-signal.ts';
import { ProxyRequest, type ProxyResponse } from '../http/exchange.ts';
import { stack } from '../http/layer.ts';
import { RateLimits } from '../policies/rate-limit/inbound-rate-limits.ts';
import { RateLimitMetrics } from '../policies/rate-limit/rate-limit-metrics.ts';
import { readSourceIdentity } from './identity.ts';
import { concurrencyLimit, rateLimit } from './rate-limit.ts';

const self = { service: 'pricing', namespace: 'shop', version: 'v1' };
const SOURCE = 'RateLimitPolicy shop/pricing-rate-limit';

function request(source: string): ProxyRequest {
  return new ProxyRequest({
    method: 'GET',
    path: '/quote',
    authority: 'pricing.shop',
    headers: { [Headers.source]: source },
    body: null,
    remoteAddress: '127.0.0.1',
    receivedAt: 0,
    signal: new ClientSignal(),
  });
}

function setup(rateLimitPolicy: NonNullable<NonNullable<ProxyConfig['policies']>[number]['rateLimit']>) {
  const config: ProxyConfig = {
    version: '1',
    services: [],
    policies: [{ namespace: 'shop', service: 'pricing', rateLimit: rateLimitPolicy }],
  };
  const limits = new RateLimits(self);
  const metrics = new RateLimitMetrics();
  const clock = { now: 0 };
  let answer = (): Promise<ProxyResponse> =>
    Promise.resolve({ status: 200, headers: {}, body: Readable.from(['ok']) });
  const handler = stack(
    [
      readSourceIdentity(self),
      rateLimit({ limits: () => limits.forConfig(config), metrics, now: () => clock.now }),
      concurrencyLimit(metrics),
    ],
    () => answer(),
  );
  return {
    clock,
    metrics,
    send: (source = 'web.shop@v1') => handler(request(source)),
    handle: (req: ProxyRequest) => handler(req),
    answerWith: (f: () => Promise<ProxyResponse>) => {
      answer = f;
    },
  };
}

describe('rateLimit layer', () => {
  it('refills with time: a refused caller passes again once a token is back', async () => {
    const mesh = setup({
      source: SOURCE,
      rules: [{ name: 'per-caller', limit: { requests: 2, interval: '1s', burst: 1 }, perClient: true }],
    });
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await mesh.send()).status);
      return out;
    };
    expect(await statuses(4)).toEqual([200, 200, 200, 429]);
    mesh.clock.now = 499;
    const refused = await mesh.send();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    mesh.clock.now = 500; // 2 per second: one token every 500 ms
    expect(await statuses(2)).toEqual([200, 429]);
    expect(mesh.metrics.total('rate')).toBe(3);
  });

  it('adds the RateLimit fields to the response it lets through', async () => {
    const mesh = setup({
      source: SOURCE,
      rules: [{ limit: { requests: 10, interval: '10s', burst: 0 }, perClient: false }],
    });
    const res = await mesh.send();
    expect(res.headers['ratelimit-policy']).toBe('"#0";q=10;w=10');
    expect(res.headers.ratelimit).toBe('"#0";r=9;t=1');
  });
});

describe('concurrencyLimit layer', () => {
  it('sheds the request past maxInFlight at once and lets one in when an exchange has ended', async () => {
    const mesh = setup({ source: SOURCE, concurrency: { maxInFlight: 1 } });
    let release: (() => void) | undefined;
    mesh.answerWith(
      () =>
        new Promise((resolve) => {
          release = () => resolve({ status: 200, headers: {}, body: null });
        }),
    );
    const first = request('web.shop@v1');
    const answered = mesh.handle(first);

    const shed = await mesh.send('cart.shop@v1');
    expect(shed.status).toBe(503);
    expect(shed.headers[Headers.proxyError]).toBe('overloaded');
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.headers[Headers.rateLimitedBy]).toBe(`${SOURCE} concurrency`);

    release?.();
    expect((await answered).status).toBe(200);
    // Headers are out but the body may still stream: the slot is held until the exchange ends.
    expect((await mesh.send('cart.shop@v1')).status).toBe(503);
    first.complete({ status: 200, endedAt: 1, aborted: false });
    mesh.answerWith(() => Promise.resolve({ status: 200, headers: {}, body: null }));
    expect((await mesh.send('cart.shop@v1')).status).toBe(200);
    expect(mesh.metrics.total('concurrency')).toBe(2);
  });

  it('passes everything through for a service without a RateLimitPolicy', async () => {
    const limits = new RateLimits(self);
    const metrics = new RateLimitMetrics();
    const handler = stack(
      [
        readSourceIdentity(self),
        rateLimit({ limits: () => limits.forConfig({ version: '1', services: [] }), metrics }),
        concurrencyLimit(metrics),
      ],
      (req) =>
        Promise.resolve({ status: 200, headers: {}, body: req.rateLimit === undefined ? 'none' : 'set' }),
    );
    const res = await handler(request('web.shop@v1'));
    expect(res).toEqual({ status: 200, headers: {}, body: 'none' });
  });
});
