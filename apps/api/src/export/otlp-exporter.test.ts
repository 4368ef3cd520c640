import { afterEach, describe, expect, it, vi } from 'vitest';
import { edgePoint, spanRow } from '../../test/support/export-fixtures.ts';
import { exportConfig, type OtlpExportConfig } from './otlp-export-config.ts';
import { createOtlpExporter, type OtlpExporter } from './otlp-exporter.ts';

type Answer = { status: number; headers?: Record<string, string>; body?: string };

/** A fetch that answers from a script (the last answer repeats) and records what it was asked. */
function scriptedFetch(answers: Answer[]) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetchFn: typeof fetch = (input, init) => {
    calls.push({
      url: input instanceof Request ? input.url : input.toString(),
      headers: init?.headers as Record<string, string>,
    });
    const a = answers[Math.min(calls.length - 1, answers.length - 1)] as Answer;
    return Promise.resolve(new Response(a.body ?? '{}', { status: a.status, headers: a.headers }));
  };
  return { fetchFn, calls };
}

/** A fetch that never answers until it is aborted (a receiver that accepted the connection and hangs). */
const hangingFetch: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
  });

function config(overrides: Partial<OtlpExportConfig> = {}): OtlpExportConfig {
  return exportConfig(
    { endpoint: 'http://receiver.invalid:4318', headers: { 'x-api-key': 'k' }, timeoutMs: 60_000 },
    {
      scheduledDelayMs: 60_000,
      initialBackoffMs: 1,
      maxBackoffMs: 2,
      closeTimeoutMs: 5_000,
      gzip: false,
      ...overrides,
    },
  );
}

const spans = (n: number, from = 0) => Array.from({ length: n }, (_, i) => spanRow(from + i));
const lines: string[] = [];
const log = (line: string) => lines.push(line);
let exporter: OtlpExporter | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await exporter?.close();
  exporter = undefined;
  lines.length = 0;
});

describe('createOtlpExporter', () => {
  it('drops and counts what does not fit in the queue, without waiting', async () => {
    const { fetchFn } = scriptedFetch([{ status: 200 }]);
    exporter = createOtlpExporter(config({ maxQueueItems: 4 }), log, { fetch: fetchFn });
    exporter.exportSpans(spans(10));
    expect(exporter.stats().traces).toMatchObject({ queued: 4, dropped: 6, exported: 0 });
    expect(lines.join('\n')).toMatch(/traces queue full .* dropped 6/);
    await exporter.close();
    expect(exporter.stats().traces).toMatchObject({ queued: 0, dropped: 6, exported: 4, failed: 0 });
  });

  it('bounds the queue by bytes too', () => {
    const { fetchFn } = scriptedFetch([{ status: 200 }]);
    exporter = createOtlpExporter(config({ maxQueueBytes: 2_000 }), log, { fetch: fetchFn });
    exporter.exportEdgePoints(Array.from({ length: 10 }, (_, i) => edgePoint(i)));
    const m = exporter.stats().metrics;
    expect(m.queuedBytes).toBeLessThanOrEqual(2_000);
    expect(m.queued + m.dropped).toBe(10);
    expect(m.dropped).toBeGreaterThan(0);
  });

  it('sends a full batch at once, to the signal URL with the configured headers', async () => {
    const { fetchFn, calls } = scriptedFetch([{ status: 200 }]);
    exporter = createOtlpExporter(config({ maxBatchItems: 3 }), log, { fetch: fetchFn });
    exporter.exportSpans(spans(3));
    await vi.waitFor(() => expect(exporter?.stats().traces.exported).toBe(3));
    expect(calls[0]?.url).toBe('http://receiver.invalid:4318/v1/traces');
    expect(calls[0]?.headers).toMatchObject({ 'x-api-key': 'k', 'content-type': 'application/json' });
  });

  it('never retries a 4xx', async () => {
    const { fetchFn, calls } = scriptedFetch([{ status: 400, body: 'bad span' }]);
    exporter = createOtlpExporter(config({ maxBatchItems: 5 }), log, { fetch: fetchFn });
    exporter.exportSpans(spans(5));
    await vi.waitFor(() => expect(exporter?.stats().traces.failed).toBe(5));
    expect(calls).toHaveLength(1);
    expect(exporter.stats().traces).toMatchObject({ retries: 0, lastError: 'HTTP 400: bad span' });
    expect(lines.join('\n')).toMatch(/5 spans not delivered: HTTP 400/);
  });

  it('gives up after maxAttempts on retryable answers, and counts the batch as failed', async () => {
    const { fetchFn, calls } = scriptedFetch([{ status: 503 }]);
    exporter = createOtlpExporter(config({ maxBatchItems: 2, maxAttempts: 4 }), log, { fetch: fetchFn });
    exporter.exportEdgePoints([edgePoint(1), edgePoint(2)]);
    await vi.waitFor(() => expect(exporter?.stats().metrics.failed).toBe(2));
    expect(calls).toHaveLength(4);
    expect(exporter.stats().metrics).toMatchObject({ retries: 3, exported: 0 });
    expect(exporter.stats().metrics.lastError).toMatch(/^HTTP 503.*gave up after 4 attempts/);
  });

  it("waits for the receiver's Retry-After before retrying", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { fetchFn, calls } = scriptedFetch([
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 200 },
    ]);
    exporter = createOtlpExporter(config({ maxBatchItems: 1 }), log, { fetch: fetchFn });
    exporter.exportSpans(spans(1));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(exporter?.stats().traces.exported).toBe(1));
    expect(calls).toHaveLength(2);
  });

  it('counts items the receiver rejected in partial_success as failed', async () => {
    const { fetchFn } = scriptedFetch([
      {
        status: 200,
        body: JSON.stringify({ partialSuccess: { rejectedSpans: '2', errorMessage: 'too old' } }),
      },
    ]);
    exporter = createOtlpExporter(config({ maxBatchItems: 5 }), log, { fetch: fetchFn });
    exporter.exportSpans(spans(5));
    await vi.waitFor(() => expect(exporter?.stats().traces.failed).toBe(2));
    expect(exporter.stats().traces.exported).toBe(3);
  });

  it('close() gives up at its deadline and counts what was left as dropped', async () => {
    exporter = createOtlpExporter(config({ maxBatchItems: 2, closeTimeoutMs: 50 }), log, {
      fetch: hangingFetch,
    });
    exporter.exportSpans(spans(6));
    await exporter.close();
    await vi.waitFor(() => expect(exporter?.stats().traces.dropped).toBe(6));
    expect(exporter.stats().traces).toMatchObject({ queued: 0, exported: 0 });
    exporter.exportSpans(spans(1, 100));
    expect(exporter.stats().traces).toMatchObject({ queued: 0, dropped: 7 });
  });
});
