/**
 * RateLimitPolicy on real sockets: test client → outbound of "web" or "cart" (which stamp x-weft-source) →
 * inbound of "pricing" (which enforces the policy of its own service) → its app.
 * - per-caller token buckets: N per interval + burst B lets exactly N + B through a burst, then 429 with
 *   Retry-After and the RateLimit fields; one caller using up its bucket leaves the other's untouched;
 * - a concurrency limit sheds with 503 `overloaded` while the app holds requests open;
 * - /metrics counts refusals by reason and rule, and the 429s are ordinary inbound requests in
 *   weft_requests_total; /config shows the limits as enforced.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Headers, type ProxyConfig, type ServicePolicy } from '@weft/schema';
import {
  adminGet,
  hostPortOf,
  sample,
  send,
  startApp,
  startTestProxy,
  waitFor,
  writeConfig,
  type Reply,
} from './helpers.ts';

type TestProxy = Awaited<ReturnType<typeof startTestProxy>>;

const POLICY = 'RateLimitPolicy shop/pricing-rate-limit';
/** Long enough that no token comes back while a test runs: what passes is the burst alone. */
const REQUESTS = 5;
const BURST = 3;
const INTERVAL = '1m';

/** The pricing app behind its proxy, with `policy` as its service's policies; callers web and cart. */
async function startMesh(
  rateLimit: NonNullable<ServicePolicy['rateLimit']>,
  raw: Parameters<typeof startApp>[1] = {},
) {
  const app = await startApp('pricing', raw);
  // Pricing's own config only needs its policy: its inbound listener forwards to its app.
  const policies: ServicePolicy[] = [{ namespace: 'shop', service: 'pricing', rateLimit }];
  const pricing = await startTestProxy({
    service: 'pricing',
    app: app.address,
    configFile: writeConfig({ version: 'pricing-1', services: [], policies }),
  });
  const callerConfig: ProxyConfig = {
    version: 'callers-1',
    services: [
      {
        name: 'pricing',
        namespace: 'shop',
        endpoints: [{ proxyId: 'pricing-1', address: hostPortOf(pricing.addresses.inbound), version: 'v1' }],
      },
    ],
    policies,
  };
  const callers = new Map<string, TestProxy>();
  for (const name of ['web', 'cart']) {
    // Callers need an app address of their own, though nothing calls them here.
    callers.set(
      name,
      await startTestProxy({ service: name, app: app.address, configFile: writeConfig(callerConfig) }),
    );
  }
  return {
    app,
    pricing,
    /** One request from `caller`'s application to pricing, through both proxies. */
    call: (caller: 'web' | 'cart', path = '/quote'): Promise<Reply> =>
      send((callers.get(caller) as TestProxy).addresses.outbound, {
        target: path,
        headers: { host: 'pricing.shop' },
      }),
    stop: async () => {
      await Promise.all([pricing.stop(), ...[...callers.values()].map((p) => p.stop())]);
      await app.close();
    },
  };
}

/** `n` requests one after another (a burst as fast as one connection at a time allows). */
async function burst(n: number, one: () => Promise<Reply>): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) out.push(await one());
  return out;
}

describe('per-caller token buckets', () => {
  let mesh: Awaited<ReturnType<typeof startMesh>>;

  beforeAll(async () => {
    mesh = await startMesh({
      source: POLICY,
      rules: [
        {
          name: 'per-caller',
          limit: { requests: REQUESTS, interval: INTERVAL, burst: BURST },
          perClient: true,
        },
      ],
    });
  });
  afterAll(() => mesh.stop());

  it('lets exactly N + B through a burst, then answers 429 with Retry-After and the RateLimit fields', async () => {
    const replies = await burst(REQUESTS + BURST + 4, () => mesh.call('web'));
    const statuses = replies.map((r) => r.status);
    expect(statuses).toEqual([...Array<number>(REQUESTS + BURST).fill(200), ...Array<number>(4).fill(429)]);
    // The app saw exactly the requests that passed.
    expect(mesh.app.seen.length).toBe(REQUESTS + BURST);

    const first = replies[0] as Reply;
    expect(first.headers['ratelimit-policy']).toBe(`"per-caller";q=${REQUESTS};w=60;weft-burst=${BURST}`);
    expect(first.headers.ratelimit).toMatch(
      new RegExp(`^"per-caller";r=${REQUESTS + BURST - 1};t=\\d+;pk=:[A-Za-z0-9+/=]+:$`),
    );

    const refused = replies[REQUESTS + BURST] as Reply;
    // One token per 60 s / 5 = 12 s, counted from the last one taken a moment ago.
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(11);
    expect(retryAfter).toBeLessThanOrEqual(12);
    expect(refused.headers[Headers.proxyError]).toBe('rate-limited');
    expect(refused.headers[Headers.rateLimitedBy]).toBe(`${POLICY} rule per-caller`);
    expect(refused.headers.ratelimit).toBe(
      `"per-caller";r=0;t=${retryAfter};pk=:${Buffer.from('web.shop').toString('base64')}:`,
    );
    expect(refused.text).toContain(`rate limited by ${POLICY} rule per-caller`);
    expect(refused.text).toContain('web.shop');
  });

  it("leaves one caller's bucket untouched when another has used up its own, even all at once", async () => {
    // All in parallel: however they interleave, the bucket lets N + B through and no more.
    const replies = await Promise.all(Array.from({ length: REQUESTS + BURST + 2 }, () => mesh.call('cart')));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(REQUESTS + BURST);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(2);
    // And web is still refused: cart's requests gave it nothing back.
    expect((await mesh.call('web')).status).toBe(429);
  });

  it('counts refusals by reason and rule on /metrics, and the 429s as inbound requests', async () => {
    const metrics = (await adminGet(mesh.pricing, '/metrics')).text;
    expect(
      sample(metrics, 'weft_proxy_rate_limited_total', {
        reason: 'rate',
        policy: POLICY,
        rule: 'per-caller',
      }),
    ).toBe(4 + 2 + 1);
    const inbound = (source: string, code: string) =>
      sample(metrics, 'weft_requests_total', {
        reporter: 'inbound',
        source_service: source,
        source_namespace: 'shop',
        source_version: 'v1',
        destination_service: 'pricing',
        destination_namespace: 'shop',
        destination_version: 'v1',
        response_code: code,
      });
    expect(inbound('web', '429')).toBe(5);
    expect(inbound('cart', '429')).toBe(2);
    expect(inbound('cart', '200')).toBe(REQUESTS + BURST);
  });

  it('shows the limit as enforced on /config', async () => {
    const body = JSON.parse((await adminGet(mesh.pricing, '/config')).text) as {
      rateLimits?: unknown;
    };
    expect(body.rateLimits).toEqual([
      {
        source: POLICY,
        rules: [
          {
            name: 'per-caller',
            limit: `${REQUESTS} per ${INTERVAL} + burst ${BURST}`,
            perClient: true,
            matches: 0,
            overrides: [],
            buckets: 2,
          },
        ],
        problems: [],
      },
    ]);
  });
});

describe('concurrency limit', () => {
  const MAX_IN_FLIGHT = 2;
  let mesh: Awaited<ReturnType<typeof startMesh>>;
  /** Held requests of the app, answered when the test says so. */
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    mesh = await startMesh(
      { source: POLICY, concurrency: { maxInFlight: MAX_IN_FLIGHT } },
      {
        '/hold': (_req: IncomingMessage, res: ServerResponse) => {
          held.push(res);
        },
      },
    );
  });
  afterAll(async () => {
    for (const res of held) if (!res.writableEnded) res.end();
    await mesh.stop();
  });

  it('sheds with 503 overloaded and Retry-After while maxInFlight requests are held open', async () => {
    const holding = Array.from({ length: MAX_IN_FLIGHT }, () => mesh.call('web', '/hold'));
    await waitFor(() => held.length === MAX_IN_FLIGHT);

    const shed = await mesh.call('cart', '/quote');
    expect(shed.status).toBe(503);
    expect(shed.headers[Headers.proxyError]).toBe('overloaded');
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.headers[Headers.rateLimitedBy]).toBe(`${POLICY} concurrency`);
    expect(mesh.app.seen.some((s) => s.url === '/quote')).toBe(false);

    for (const res of held) res.writeHead(200, { 'x-app': 'pricing' }).end('done');
    expect((await Promise.all(holding)).map((r) => r.status)).toEqual([200, 200]);
    // The slots are free again once the held responses have been written.
    await waitFor(
      async () =>
        sample((await adminGet(mesh.pricing, '/metrics')).text, 'weft_proxy_in_flight_requests', {
          listener: 'inbound',
        }) === 0,
    );
    expect((await mesh.call('cart', '/quote')).status).toBe(200);

    const metrics = (await adminGet(mesh.pricing, '/metrics')).text;
    expect(
      sample(metrics, 'weft_proxy_rate_limited_total', {
        reason: 'concurrency',
        policy: POLICY,
        rule: 'concurrency',
      }),
    ).toBe(1);
  });
});
