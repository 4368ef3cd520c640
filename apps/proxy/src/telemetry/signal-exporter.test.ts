import { describe, expect, it } from 'vitest';
import type { ControlPlaneClient, ControlPlaneResponse } from '../control-plane/control-plane-http.ts';
import type { Logger } from '../log.ts';
import { Backoff } from './backoff.ts';
import { BoundedQueue } from './bounded-queue.ts';
import { otlpTransport } from './otlp-transport.ts';
import { RequestMetrics, type DeltaPoint } from './request-metrics.ts';
import { SignalExporter, type ExportOutcome } from './signal-exporter.ts';
import { TelemetryPusher } from './telemetry-pusher.ts';

class FakeClock {
  ms = 1_000_000;
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
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

/** A receiver the test scripts answer by answer; it records every batch it was sent. */
function scriptedTransport(answers: ExportOutcome[], fallback: ExportOutcome = { kind: 'ok' }) {
  const sent: number[][] = [];
  const transport = (_path: string, json: string): Promise<ExportOutcome> => {
    sent.push(JSON.parse(json) as number[]);
    return Promise.resolve(answers.shift() ?? fallback);
  };
  return { sent, transport };
}

function exporter(
  queue: BoundedQueue<number>,
  transport: (p: string, b: string) => Promise<ExportOutcome>,
  clock: FakeClock,
  log = recordingLog(),
) {
  return new SignalExporter<number>({
    signal: 'spans',
    path: '/v1/traces',
    queue,
    encode: (items) => JSON.stringify(items),
    transport,
    backoff: new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0 }),
    maxBatch: 3,
    now: clock.now,
    log,
  });
}

const RETRY: ExportOutcome = { kind: 'retry', reason: 'HTTP 503' };

describe('SignalExporter', () => {
  it('sends everything queued in batches', async () => {
    const queue = new BoundedQueue<number>(100);
    queue.pushAll([1, 2, 3, 4, 5, 6, 7]);
    const { sent, transport } = scriptedTransport([]);
    const e = exporter(queue, transport, new FakeClock());
    await e.flush();
    expect(sent).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(e.exported).toBe(7);
    expect(queue.size).toBe(0);
  });

  it('keeps a failed batch and waits out the backoff before trying again', async () => {
    const clock = new FakeClock();
    const queue = new BoundedQueue<number>(100);
    queue.pushAll([1, 2, 3, 4]);
    const { sent, transport } = scriptedTransport([RETRY, RETRY]);
    const log = recordingLog();
    const e = exporter(queue, transport, clock, log);

    await e.flush();
    expect(sent).toHaveLength(1);
    expect(queue.size).toBe(4);
    expect(e.nextAttemptAt).toBe(clock.ms + 1000);

    clock.advance(999);
    await e.flush();
    expect(sent).toHaveLength(1); // still backing off

    clock.advance(1);
    await e.flush();
    expect(sent).toHaveLength(2); // second failure: now 2 s
    expect(e.nextAttemptAt).toBe(clock.ms + 2000);

    queue.push(5);
    clock.advance(2000);
    await e.flush();
    expect(sent.slice(2)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(e.exported).toBe(5);
    expect(e.failedAttempts).toBe(2);
    expect(log.lines.filter((l) => l.startsWith('warn'))).toHaveLength(1); // logged once, not per attempt
    expect(log.lines.at(-1)).toBe('info spans export recovered; 2 still queued');
  });

  it('treats a transport that throws like an unreachable receiver', async () => {
    const queue = new BoundedQueue<number>(10);
    queue.push(1);
    const e = exporter(queue, () => Promise.reject(new Error('ECONNREFUSED')), new FakeClock());
    await e.flush();
    expect(queue.size).toBe(1);
    expect(e.failedAttempts).toBe(1);
  });

  it('drops the oldest beyond the cap during an outage and counts them', async () => {
    const clock = new FakeClock();
    const queue = new BoundedQueue<number>(5);
    const { transport } = scriptedTransport([], RETRY);
    const e = exporter(queue, transport, clock);
    for (let i = 1; i <= 8; i++) {
      queue.push(i);
      clock.advance(10_000);
      await e.flush();
    }
    expect(e.dropped).toBe(3);
    expect(queue.take(10)).toEqual([4, 5, 6, 7, 8]);
  });

  it('drops a batch the receiver refuses (4xx), logs the reason once, and goes on', async () => {
    const queue = new BoundedQueue<number>(100);
    queue.pushAll([1, 2, 3, 4, 5, 6, 7]);
    const bad: ExportOutcome = {
      kind: 'reject',
      status: 400,
      cause: 'rejected',
      reason: 'spanId must be 16 hex',
    };
    const { sent, transport } = scriptedTransport([bad, bad]);
    const log = recordingLog();
    const e = exporter(queue, transport, new FakeClock(), log);
    await e.flush();
    expect(sent).toHaveLength(3);
    expect(e.rejected).toBe(6);
    expect(e.exported).toBe(1);
    expect(log.lines).toEqual([
      'error spans export refused with HTTP 400, dropping 3: spanId must be 16 hex',
    ]);
  });

  it('never runs two flushes at once', async () => {
    const queue = new BoundedQueue<number>(100);
    queue.pushAll([1, 2, 3, 4]);
    let release: () => void = () => {};
    let calls = 0;
    const e = exporter(
      queue,
      () => {
        calls++;
        return new Promise<ExportOutcome>((resolve) => {
          release = () => resolve({ kind: 'ok' });
        });
      },
      new FakeClock(),
    );
    const a = e.flush();
    const b = e.flush();
    expect(calls).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all([a, b]);
    expect(calls).toBe(2);
    expect(e.exported).toBe(4);
  });

  it('forced flush ignores the backoff (shutdown)', async () => {
    const clock = new FakeClock();
    const queue = new BoundedQueue<number>(10);
    queue.push(1);
    const { sent, transport } = scriptedTransport([RETRY]);
    const e = exporter(queue, transport, clock);
    await e.flush();
    await e.flush(true);
    expect(sent).toHaveLength(2);
    expect(queue.size).toBe(0);
  });
});

/** The API as the transport sees it: answers scripted per request; `null` is a refused connection. */
function scriptedApi(answers: (ControlPlaneResponse | null)[], hasToken = true) {
  const paths: string[] = [];
  const client: ControlPlaneClient = {
    baseUrl: 'http://cp.test',
    hasToken,
    url: (path) => `http://cp.test${path}`,
    send: (_method, path) => {
      paths.push(path);
      const next = answers.shift();
      if (next === undefined) return Promise.resolve({ status: 200, headers: {}, text: '{}' });
      if (next === null)
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      return Promise.resolve(next);
    },
  };
  return { client, paths };
}

const apiError = (status: number, error: string): ControlPlaneResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  text: JSON.stringify({ error }),
});

describe('SignalExporter over the OTLP transport', () => {
  function setup(answers: (ControlPlaneResponse | null)[], hasToken = true) {
    const clock = new FakeClock();
    const queue = new BoundedQueue<number>(100);
    const log = recordingLog();
    const { client, paths } = scriptedApi(answers, hasToken);
    const e = exporter(queue, otlpTransport(client, log), clock, log);
    return { clock, queue, log, paths, e };
  }

  it.each([408, 429, 500, 503])(
    'keeps a batch answered %i and sends it again after the backoff',
    async (status) => {
      const { clock, queue, log, paths, e } = setup([apiError(status, 'busy')]);
      queue.pushAll([1, 2]);
      await e.flush();
      expect(queue.size).toBe(2);
      expect(e.failedAttempts).toBe(1);
      expect(e.rejected + e.unauthorized).toBe(0);
      clock.advance(999);
      await e.flush();
      expect(paths).toHaveLength(1);
      clock.advance(1);
      await e.flush();
      expect(paths).toHaveLength(2);
      expect(e.exported).toBe(2);
      expect(log.lines).toEqual([
        `warn spans export failed (HTTP ${status} from http://cp.test/v1/traces: busy); keeping 2 queued, retrying with backoff`,
        'info spans export recovered; 0 still queued',
      ]);
    },
  );

  it('keeps batches while the API is unreachable', async () => {
    const { queue, e } = setup([null]);
    queue.pushAll([1]);
    await e.flush();
    expect(queue.size).toBe(1);
    expect(e.failedAttempts).toBe(1);
  });

  it.each([400, 404, 413, 422])(
    'drops a batch answered %i at once, counts it as rejected, and logs the API message once',
    async (status) => {
      const { clock, queue, log, paths, e } = setup([
        apiError(status, 'resourceSpans.0.spans.0.spanId: must be 16 hex digits'),
        apiError(status, 'resourceSpans.0.spans.0.spanId: must be 16 hex digits'),
      ]);
      queue.pushAll([1, 2, 3, 4, 5, 6, 7]);
      await e.flush();
      expect(paths).toHaveLength(3); // each batch sent once, none again
      expect(e).toMatchObject({
        rejected: 6,
        unauthorized: 0,
        exported: 1,
        failedAttempts: 0,
        nextAttemptAt: 0,
      });
      expect(queue.size).toBe(0);
      expect(log.lines).toEqual([
        `error spans export refused with HTTP ${status}, dropping 3: resourceSpans.0.spans.0.spanId: must be 16 hex digits`,
      ]);
      queue.push(8);
      clock.advance(1);
      await e.flush();
      expect(e.exported).toBe(2);
    },
  );

  it.each([
    [401, true, 'the control plane does not accept WEFT_PROXY_TOKEN (invalid, expired or revoked)'],
    [401, false, 'the control plane requires a workload token and WEFT_PROXY_TOKEN is not set'],
    [
      403,
      true,
      'WEFT_PROXY_TOKEN is out of scope for this call (a workload token acts only as the service, namespace and version it was issued for)',
    ],
  ])(
    'drops a batch answered %i (token set: %s) as unauthorized and says what is wrong with the token once',
    async (status, hasToken, why) => {
      const { queue, log, e } = setup(
        [apiError(status, 'no telemetry for web.shop'), apiError(status, 'no telemetry for web.shop')],
        hasToken,
      );
      queue.pushAll([1, 2, 3, 4, 5, 6]);
      await e.flush();
      expect(e).toMatchObject({ unauthorized: 6, rejected: 0, failedAttempts: 0 });
      expect(log.lines).toEqual([
        `error spans export refused with HTTP ${status}, dropping 3: ${why}; the API says: no telemetry for web.shop`,
      ]);
    },
  );
});

describe('TelemetryPusher', () => {
  it('moves each flush window of metrics into the queue and exports it', async () => {
    const clock = new FakeClock();
    const metrics = new RequestMetrics(clock.ms);
    const points = new BoundedQueue<DeltaPoint>(100);
    const flushed: boolean[] = [];
    const pusher = new TelemetryPusher({
      metrics,
      metricPoints: points,
      exporters: [{ flush: (force) => (flushed.push(force), Promise.resolve()) }],
      intervalMs: 5000,
      now: clock.now,
    });
    const id = { service: 'a', namespace: 'b', version: 'v1' };
    metrics.record('inbound', id, id, 200, 3);
    clock.advance(5000);
    await pusher.tick();
    clock.advance(5000);
    await pusher.tick();
    expect(points.size).toBe(1);
    const [point] = points.take(1);
    expect(point).toMatchObject({ startMs: clock.ms - 10_000, endMs: clock.ms - 5000, count: 1 });
    expect(flushed).toEqual([false, false]);
  });
});
