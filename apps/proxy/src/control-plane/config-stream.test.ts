/** The config stream client against a scripted control plane (no sockets). */
import { describe, expect, it, vi } from 'vitest';
import { ConfigStore } from '../config/config-store.ts';
import type { Logger } from '../log.ts';
import { RoundRobin } from '../routing/round-robin.ts';
import { Backoff } from '../telemetry/backoff.ts';
import { ConfigPoller } from './config-poller.ts';
import type { ConfigAck } from '@weft/schema';
import { ConfigStream, MAX_ACK_REASON_CHARS, NOT_YET_REGISTERED_RETRY_MS } from './config-stream.ts';
import type {
  ControlPlaneResponse,
  SendOptions,
  StreamingControlPlaneClient,
  StreamOptions,
  StreamResponse,
} from './control-plane-http.ts';

/** A stream answer: status, body chunks, and optionally an error after the chunks (a dropped connection). */
interface StreamAnswer {
  status: number;
  contentType?: string;
  chunks?: string[];
  text?: string;
  failAfter?: Error;
}

function scripted(streams: (StreamAnswer | Error)[], polls: ControlPlaneResponse[] = []) {
  const acks: ConfigAck[] = [];
  const calls: string[] = [];
  let ackStatus = 204;
  const client: StreamingControlPlaneClient = {
    baseUrl: 'http://cp.test',
    hasToken: true,
    url: (path) => `http://cp.test${path}`,
    send: (method, path, options?: SendOptions) => {
      calls.push(`${method} ${path}`);
      if (path.endsWith('/config/ack')) {
        acks.push(options?.json as ConfigAck);
        return Promise.resolve({ status: ackStatus, headers: {}, text: '' });
      }
      const next = polls.shift();
      return next ? Promise.resolve(next) : Promise.reject(new Error('no more scripted polls'));
    },
    openStream: (path: string, _options: StreamOptions): Promise<StreamResponse> => {
      calls.push(`STREAM ${path}`);
      const next = streams.shift();
      if (next === undefined) return Promise.reject(new Error('no more scripted streams'));
      if (next instanceof Error) return Promise.reject(next);
      return Promise.resolve({
        status: next.status,
        headers: { 'content-type': next.contentType ?? 'text/event-stream; charset=utf-8' },
        body: (async function* () {
          for (const chunk of next.chunks ?? []) {
            await Promise.resolve();
            yield new TextEncoder().encode(chunk);
          }
          if (next.failAfter) throw next.failAfter;
        })(),
        text: () => Promise.resolve(next.text ?? ''),
        close: () => undefined,
      });
    },
  };
  return {
    client,
    acks,
    calls,
    setAckStatus: (s: number) => (ackStatus = s),
  };
}

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

const catalog = (...addresses: string[]) => ({
  name: 'catalog',
  namespace: 'shop',
  endpoints: addresses.map((address, i) => ({ proxyId: `c-${i}`, address, version: 'v1' })),
});

const event = (config: object, id = (config as { version?: string }).version ?? '') =>
  `event: config\nid: ${id}\ndata: ${JSON.stringify(config)}\n\n`;

const json = (status: number, body: unknown): ControlPlaneResponse => ({
  status,
  headers: {},
  text: JSON.stringify(body),
});

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

/** Lets the ACK sender's promise chain run. */

function setup(
  streams: (StreamAnswer | Error)[],
  polls: ControlPlaneResponse[] = [],
  isRegistered?: () => boolean,
) {
  const cp = scripted(streams, polls);
  const store = new ConfigStore((items) => new RoundRobin(items, 0));
  const log = recordingLog();
  const now = { ms: 1_000_000 };
  const stream = new ConfigStream({
    http: cp.client,
    proxyId: () => 'web.shop-1',
    ...(isRegistered ? { isRegistered } : {}),
    store,
    fallback: new ConfigPoller({
      http: cp.client,
      proxyId: () => 'web.shop-1',
      store,
      intervalMs: 1000,
      backoff: new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0 }),
      log,
    }),
    backoff: new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 0 }),
    ackBackoff: new Backoff({ initialMs: 1, maxMs: 1, jitter: 0 }),
    log,
    now: () => now.ms,
  });
  return { ...cp, stream, store, log, now };
}

describe('ConfigStream', () => {
  it('applies every snapshot and ACKs each version it put in force; heartbeats are ignored', async () => {
    const { stream, store, acks, calls, log } = setup([
      {
        status: 200,
        chunks: [
          ': keep-alive\n\n',
          event({ version: 'a', services: [catalog('127.0.0.1:9')] }).slice(0, 30),
          event({ version: 'a', services: [catalog('127.0.0.1:9')] }).slice(30),
          ': keep-alive\n\n',
          event({ version: 'b', services: [catalog('127.0.0.1:9', '127.0.0.1:10')] }),
        ],
      },
    ]);
    const delay = await stream.connectOnce();
    await vi.waitFor(() => expect(acks).toHaveLength(2));
    expect(calls[0]).toBe('STREAM /v1/proxies/web.shop-1/config/stream');
    expect(store.active?.config.version).toBe('b');
    expect(acks).toEqual([
      { version: 'a', status: 'ACK' },
      { version: 'b', status: 'ACK' },
    ]);
    // The API ended the stream after delivering: reconnect after the first backoff step.
    expect(delay).toBe(500);
    expect(stream.lastProblem).toBeUndefined();
    expect(log.lines).toContain('info config stream connected to http://cp.test');
  });

  it('NACKs a config it left parts out of (naming them) but runs the rest', async () => {
    const { stream, store, acks } = setup([
      { status: 200, chunks: [event({ version: 'p', services: [catalog('127.0.0.1:9', 'x/y:80')] })] },
    ]);
    await stream.connectOnce();
    await vi.waitFor(() => expect(acks).toHaveLength(1));
    expect(store.active?.config.services[0]?.endpoints).toHaveLength(1);
    expect(acks).toEqual([
      {
        version: 'p',
        status: 'NACK',
        reason: expect.stringMatching(
          /^left out 1 entry and runs the rest: services\.0\.endpoints\.1 endpoint c-1 \(x\/y:80\) of catalog\.shop: address: /,
        ) as string,
      },
    ]);
  });

  it('NACKs a structurally broken config and keeps the last good one; logs the refusal once', async () => {
    const bad = { version: 'broken', services: { catalog: 'nowhere' } };
    const { stream, store, acks, log } = setup([
      {
        status: 200,
        chunks: [event({ version: 'good', services: [catalog('127.0.0.1:9')] }), event(bad), event(bad)],
      },
    ]);
    await stream.connectOnce();
    await vi.waitFor(() => expect(acks.at(-1)?.version).toBe('broken'));
    expect(store.active?.config.version).toBe('good');
    expect(acks.at(-1)).toEqual({
      version: 'broken',
      status: 'NACK',
      reason: expect.stringContaining(
        'refused the whole config, keeping config good: services: must be a list',
      ) as string,
    });
    expect(log.lines.filter((l) => l.includes('config broken refused'))).toHaveLength(1);
  });

  it('NACKs an event that is not JSON, by its id', async () => {
    const { stream, acks } = setup([{ status: 200, chunks: ['event: config\nid: v9\ndata: {oops\n\n'] }]);
    await stream.connectOnce();
    await vi.waitFor(() => expect(acks).toHaveLength(1));
    expect(acks).toEqual([
      { version: 'v9', status: 'NACK', reason: expect.stringContaining('not JSON') as string },
    ]);
  });

  it('answers the same version again after a reconnect (the API may have lost its state)', async () => {
    const config = { version: 'a', services: [catalog('127.0.0.1:9')] };
    const { stream, acks } = setup([
      { status: 200, chunks: [event(config)] },
      { status: 200, chunks: [event(config)] },
    ]);
    await stream.connectOnce();
    await vi.waitFor(() => expect(acks).toHaveLength(1));
    await stream.connectOnce();
    await vi.waitFor(() => expect(acks).toHaveLength(2));
    expect(acks).toEqual([
      { version: 'a', status: 'ACK' },
      { version: 'a', status: 'ACK' },
    ]);
  });

  it('caps a long NACK reason', async () => {
    const many = Array.from({ length: 200 }, (_, i) => `bad-${i}/x:80`);
    const { stream, acks } = setup([
      { status: 200, chunks: [event({ version: 'n', services: [catalog('127.0.0.1:9', ...many)] })] },
    ]);
    await stream.connectOnce();
    await vi.waitFor(() => expect(acks).toHaveLength(1));
    expect(acks[0]?.reason?.length).toBe(MAX_ACK_REASON_CHARS);
  });

  it('backs off on failures up to the cap, logs each kind of problem once, keeps the config', async () => {
    const dropped = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const { stream, store, log } = setup([
      { status: 200, chunks: [event({ version: 'a', services: [catalog('127.0.0.1:9')] })] },
      refused(),
      refused(),
      { status: 401, text: JSON.stringify({ error: 'token revoked' }) },
      { status: 401, text: JSON.stringify({ error: 'token revoked' }) },
      { status: 200, chunks: [': keep-alive\n\n'], failAfter: dropped },
      { status: 200, contentType: 'application/json', text: '{}' },
      refused(),
      refused(),
    ]);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) delays.push(await stream.connectOnce());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
    expect(store.active?.config.version).toBe('a');
    expect(log.lines.filter((l) => !l.startsWith('info'))).toEqual([
      'warn control plane unreachable at http://cp.test/v1/proxies/web.shop-1/config/stream: ECONNREFUSED; keeping config a',
      'error config stream refused with HTTP 401: the control plane does not accept WEFT_PROXY_TOKEN (invalid, expired or revoked); the API says: token revoked; keeping config a, retrying with backoff',
      'warn config stream interrupted: UND_ERR_SOCKET (other side closed); keeping config a, reconnecting',
      'warn config stream answered application/json, not text/event-stream; keeping config a',
      'warn control plane unreachable at http://cp.test/v1/proxies/web.shop-1/config/stream: ECONNREFUSED; keeping config a',
    ]);
    expect(stream.lastProblem).toContain('unreachable');
  });

  it('long-polls an API without the stream (404 "no route") and tries the stream again later', async () => {
    const config = { version: 'old-api', services: [catalog('127.0.0.1:9')] };
    const { stream, store, calls, acks, log, now } = setup(
      [
        {
          status: 404,
          text: JSON.stringify({ error: 'no route for GET /v1/proxies/web.shop-1/config/stream' }),
        },
        {
          status: 404,
          text: JSON.stringify({ error: 'no route for GET /v1/proxies/web.shop-1/config/stream' }),
        },
      ],
      [json(200, config), { status: 304, headers: {}, text: '' }],
    );
    stream.start();
    await vi.waitFor(() => expect(store.active?.config.version).toBe('old-api'));
    expect(stream.polling).toBe(true);
    expect(calls.slice(0, 2)).toEqual([
      'STREAM /v1/proxies/web.shop-1/config/stream',
      'GET /v1/proxies/web.shop-1/config',
    ]);
    // No ACKs to an API that has no ACK endpoint.
    expect(acks).toEqual([]);
    // Later, the stream is tried again (and the fallback logged only once).
    now.ms += 10 * 60_000;
    stream.stop();
    expect(await stream.connectOnce()).toBe(0);
    expect(log.lines.filter((l) => l.includes('no config stream'))).toHaveLength(1);
  });

  it('does not fall back when the 404 says the proxy is not registered yet: it retries the stream', async () => {
    const { stream } = setup([
      {
        status: 404,
        text: JSON.stringify({
          error: 'proxy web.shop-1 is not registered: POST /v1/proxies/register first',
        }),
      },
    ]);
    expect(await stream.connectOnce()).toBe(500);
    expect(stream.polling).toBe(false);
    expect(stream.lastProblem).toContain('is not registered');
  });

  it('waits quietly for the first registration, and warns about a 404 only once registered', async () => {
    const notRegistered = {
      status: 404,
      text: JSON.stringify({ error: 'proxy web.shop-1 is not registered: POST /v1/proxies/register first' }),
    };
    let registered = false;
    const { stream, log } = setup([notRegistered, notRegistered], [], () => registered);
    expect(await stream.connectOnce()).toBe(NOT_YET_REGISTERED_RETRY_MS);
    expect(log.lines).toEqual([]);
    expect(stream.lastProblem).toContain('waiting for registration');
    registered = true;
    expect(await stream.connectOnce()).toBe(500);
    expect(log.lines.filter((l) => l.includes('is not registered'))).toHaveLength(1);
  });

  it('retries an ACK the API could not take, and drops one it refuses', async () => {
    const { stream, acks, setAckStatus, log } = setup([
      { status: 200, chunks: [event({ version: 'a', services: [] })] },
      { status: 200, chunks: [event({ version: 'b', services: [] })] },
    ]);
    setAckStatus(503);
    await stream.connectOnce();
    await vi.waitFor(() => expect(acks.length).toBeGreaterThan(1));
    expect(acks.every((a) => a.version === 'a')).toBe(true);
    setAckStatus(400);
    await stream.connectOnce();
    await vi.waitFor(() => expect(log.lines.some((l) => l.includes('answered HTTP 400'))).toBe(true));
    const sentB = acks.filter((a) => a.version === 'b').length;
    expect(sentB).toBe(1);
    expect(log.lines.filter((l) => l.includes('answered HTTP 503'))).toHaveLength(1);
    expect(log.lines.filter((l) => l.includes('answered HTTP 400')).at(0)).toMatch(/; dropped$/);
    stream.stop();
  });
});
