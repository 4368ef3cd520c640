/** The hub's SSE streams on a real socket: heartbeats, pushes, the stream age limit, the stream bound. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpError } from '../http/body.ts';
import { compileConfig, type CompiledConfig } from './compile.ts';
import { ConfigStreamHub, type ConfigSource, type ConfigStreamOptions } from './hub.ts';

const endpoint = (id: string) => ({ proxyId: id, address: '127.0.0.1:1', version: 'v1' });
const configWith = (...ids: string[]): CompiledConfig =>
  compileConfig([{ name: 'svc', namespace: 'ns', endpoints: ids.map(endpoint) }], []);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(options: Partial<ConfigStreamOptions> = {}) {
  let compiled = configWith('a');
  const listeners: (() => void)[] = [];
  const source: ConfigSource = {
    currentCompiled: () => Promise.resolve(compiled),
    onChange: (l) => {
      listeners.push(l);
      return () => undefined;
    },
    usePolicies: () => () => undefined,
  };
  const hub = new ConfigStreamHub({ source, log: () => undefined, ...options });
  const server = http.createServer((req, res) => {
    const proxyId = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? 'a';
    hub.serve(proxyId, req, res).catch((err: unknown) => {
      res.writeHead(err instanceof HttpError ? err.status : 500).end((err as Error).message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    hub,
    url,
    change(next: CompiledConfig) {
      compiled = next;
      for (const l of listeners) l();
    },
  };
}

/**
 * Collects the raw text of a stream until `until` matches it or it ends; `seen`, when given, holds the text
 * so far while reading.
 */
async function read(url: string, until: (text: string) => boolean, seen = { text: '' }, timeoutMs = 3000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  try {
    while (!until(text)) {
      const chunk = await reader.read();
      if (chunk.done) {
        ended = true;
        break;
      }
      text += decoder.decode(chunk.value as Uint8Array, { stream: true });
      seen.text = text;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return { status: res.status, type: res.headers.get('content-type'), text, ended };
}

describe('config streams', () => {
  it('starts with the snapshot, sends heartbeats as comments, and pushes a change at once', async () => {
    const served = await serve({ heartbeatMs: 50 });
    const { url } = served;
    const first = configWith('a');
    const second = configWith('a', 'b');
    const seen = { text: '' };
    const reading = read(url, (t) => t.includes(`id: ${second.config.version}`), seen);
    // Change only once the snapshot and two heartbeats have arrived, so all of them precede the push.
    await vi.waitFor(
      () => {
        expect(seen.text.startsWith(`event: config\nid: ${first.config.version}\n`)).toBe(true);
        expect(seen.text.split(': keep-alive\n\n').length - 1).toBeGreaterThanOrEqual(2);
      },
      { timeout: 2000, interval: 10 },
    );
    served.change(second);
    const { status, type, text } = await reading;
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    const events = text.split('\n\n').filter((b) => b !== '');
    expect(events[0]).toBe(
      `event: config\nid: ${first.config.version}\ndata: ${JSON.stringify(first.config)}`,
    );
    expect(events.filter((e) => e === ': keep-alive').length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)).toBe(
      `event: config\nid: ${second.config.version}\ndata: ${JSON.stringify(second.config)}`,
    );
  });

  it('ends a stream after its maximum age (the proxy reconnects and is authenticated again)', async () => {
    const { url } = await serve({ maxStreamAgeMs: 100 });
    const started = Date.now();
    const { ended } = await read(url, () => false);
    expect(ended).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses streams beyond the bound with 503, but a proxy may always replace its own', async () => {
    const { url } = await serve({ maxStreams: 1 });
    const held = await fetch(url);
    cleanups.push(() => held.body?.cancel());
    expect(held.status).toBe(200);
    expect((await fetch(`${url}?id=b`)).status).toBe(503);
    const replacing = await read(url, (t) => t.includes('\n\n'));
    expect(replacing.status).toBe(200);
  });
});
