import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from './loadgen.ts';

describe('load generator against a local server', () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let delayMs = 0;
  let status = 200;
  let target = '';
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    paths.push(req.url ?? '');
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    }, delayMs);
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('sends the requested count at about the requested rate, without trace headers', async () => {
    seen.length = 0;
    const started = performance.now();
    const stats = await runLoad({ target, rps: 100, concurrency: 8, count: 50 });
    const seconds = (performance.now() - started) / 1000;
    expect(stats.sent).toBe(50);
    expect(stats.ok).toBe(50);
    expect(seen).toHaveLength(50);
    expect(seconds).toBeGreaterThan(0.4);
    expect(seconds).toBeLessThan(3);
    for (const h of seen) {
      expect(h.traceparent).toBeUndefined();
      expect(h.b3).toBeUndefined();
    }
    expect(paths.every((p) => /^\/(\?user=\w+|product\/\d+|cart(\?user=\w+)?)?$/.test(p))).toBe(true);
    // Every request comes from one of the shoppers' browsers: its session cookie.
    expect(seen.every((h) => /^session=s\d\d-\w+$/.test(h.cookie ?? ''))).toBe(true);
  });

  it('never has more than `concurrency` requests in flight and counts what it skipped', async () => {
    maxInFlight = 0;
    delayMs = 200;
    const stats = await runLoad({ target, rps: 200, concurrency: 3, durationMs: 600 });
    delayMs = 0;
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(stats.skipped).toBeGreaterThan(10);
    expect(stats.sent).toBeLessThanOrEqual(12);
  });

  it('counts 5xx answers and connection failures separately, and stops on abort', async () => {
    status = 503;
    const five = await runLoad({ target, rps: 100, concurrency: 4, count: 5 });
    status = 200;
    expect(five).toMatchObject({ sent: 5, serverErrors: 5, ok: 0 });
    expect(five.firstError).toMatch(/answered 503/);

    const dead = await runLoad({ target: '127.0.0.1:1', rps: 100, concurrency: 4, count: 3 });
    expect(dead).toMatchObject({ sent: 3, failures: 3 });
    expect(dead.firstError).toMatch(/ECONNREFUSED/);

    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 300);
    const started = performance.now();
    await runLoad({ target, rps: 20, concurrency: 4, signal: ctl.signal });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
