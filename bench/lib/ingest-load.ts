/**
 * Sends prepared OTLP bodies to the API from N concurrent senders (one keep-alive connection each, one POST
 * in flight per sender, as a proxy's exporter does), bounded by count and by time, and probes the API's
 * responsiveness meanwhile.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import type { Payload } from './ingest-payloads.ts';

/** Longest one POST may take before it counts as failed. */
const POST_TIMEOUT_MS = 120_000;

export interface SendOutcome {
  posts: number;
  /** POSTs answered 200. */
  ok: number;
  /** Failures by reason (`HTTP 500`, `timeout`, …), with one example answer each. */
  failures: Map<string, { count: number; example: string }>;
  itemsSent: number;
  /** Items in POSTs answered 200. */
  itemsOk: number;
  /** Requests counted in the histogram points of POSTs answered 200 (metrics only). */
  requestsOk: number;
  /** What the API said it stored (`accepted` for traces, `stored` for metrics) and skipped as duplicates. */
  apiStored: number;
  apiDuplicates: number;
  /** OTLP partial success: data points the API reported as rejected inside a 200. */
  apiRejected: number;
  /** Payloads not sent because the time limit came first. */
  notSent: number;
  timeLimited: boolean;
  /** From the first POST to the last answer. */
  elapsedS: number;
  latenciesMs: number[];
  /** Items/s the senders were paced at (undefined: as fast as the API answers). */
  pacedAt: number | undefined;
  /** Paced: how far behind its schedule a POST started at worst (the API not keeping up). */
  maxBehindMs: number;
  /**
   * POSTs the API refused as overloaded (429/503 with Retry-After) and the sender sent again after waiting, as
   * a proxy's exporter does: back-pressure, not loss. Only the last answer of a POST counts as its outcome.
   */
  overloadRetries: number;
}

/** Most times one POST is sent again after 429/503 before its overload answer counts as its outcome. */
const MAX_OVERLOAD_RETRIES = 20;

interface ApiAnswer {
  accepted?: number;
  stored?: number;
  duplicates?: number;
  partialSuccess?: { rejectedDataPoints?: string; rejectedSpans?: string };
}

export interface SendOptions {
  apiUrl: string;
  path: '/v1/traces' | '/v1/metrics';
  /** Sent as `Authorization: Bearer <token>` (the API refuses OTLP without one). */
  token: string;
  payloads: readonly Payload[];
  senders: number;
  timeLimitS: number;
  /** Pace the POSTs so that items go out at this rate (items/s); default: as fast as the API answers. */
  ratePerS?: number;
  /** Called after every answer (progress). */
  onAnswer?: (done: number) => void;
  /** Checked before every POST: true stops sending (Ctrl-C). */
  shouldStop?: () => boolean;
}

export async function sendAll(o: SendOptions): Promise<SendOutcome> {
  const pool = new Pool(o.apiUrl, {
    connections: o.senders,
    pipelining: 1,
    headersTimeout: POST_TIMEOUT_MS,
    bodyTimeout: POST_TIMEOUT_MS,
    keepAliveTimeout: 30_000,
  });
  const out: SendOutcome = {
    posts: 0,
    ok: 0,
    failures: new Map(),
    itemsSent: 0,
    itemsOk: 0,
    requestsOk: 0,
    apiStored: 0,
    apiDuplicates: 0,
    apiRejected: 0,
    notSent: 0,
    timeLimited: false,
    elapsedS: 0,
    latenciesMs: [],
    pacedAt: o.ratePerS,
    maxBehindMs: 0,
    overloadRetries: 0,
  };
  // Paced: POST i is due when the items before it have had their share of time.
  const dueMs: number[] = [];
  let itemsBefore = 0;
  for (const p of o.payloads) {
    dueMs.push(o.ratePerS ? (1000 * itemsBefore) / o.ratePerS : 0);
    itemsBefore += p.items;
  }
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${o.token}` };
  const fail = (reason: string, example: string): void => {
    const entry = out.failures.get(reason);
    if (entry) entry.count++;
    else out.failures.set(reason, { count: 1, example: example.slice(0, 300) });
  };
  const started = performance.now();
  const deadline = started + o.timeLimitS * 1000;
  let next = 0;
  let done = 0;
  const sender = async (): Promise<void> => {
    while (next < o.payloads.length && performance.now() < deadline && !o.shouldStop?.()) {
      const index = next++;
      const payload = o.payloads[index] as Payload;
      if (o.ratePerS) {
        const wait = started + (dueMs[index] ?? 0) - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else out.maxBehindMs = Math.max(out.maxBehindMs, -wait);
      }
      out.posts++;
      out.itemsSent += payload.items;
      const t0 = performance.now();
      try {
        let res = await pool.request({ method: 'POST', path: o.path, headers, body: payload.body });
        let text = await res.body.text();
        for (
          let retry = 0;
          (res.statusCode === 429 || res.statusCode === 503) &&
          retry < MAX_OVERLOAD_RETRIES &&
          !o.shouldStop?.();
          retry++
        ) {
          const after = Number(res.headers['retry-after']);
          await new Promise((r) => setTimeout(r, Number.isFinite(after) && after >= 0 ? after * 1000 : 1000));
          out.overloadRetries++;
          res = await pool.request({ method: 'POST', path: o.path, headers, body: payload.body });
          text = await res.body.text();
        }
        out.latenciesMs.push(performance.now() - t0);
        if (res.statusCode === 200) {
          out.ok++;
          out.itemsOk += payload.items;
          out.requestsOk += payload.requests;
          try {
            const answer = JSON.parse(text) as ApiAnswer;
            out.apiStored += answer.accepted ?? answer.stored ?? 0;
            out.apiDuplicates += answer.duplicates ?? 0;
            out.apiRejected += Number(
              answer.partialSuccess?.rejectedDataPoints ?? answer.partialSuccess?.rejectedSpans ?? 0,
            );
          } catch {
            fail('200 with a body that is not JSON', text);
          }
        } else {
          fail(`HTTP ${res.statusCode}`, text);
        }
      } catch (err) {
        out.latenciesMs.push(performance.now() - t0);
        const e = err as { code?: string; message?: string };
        fail(e.code ?? 'error', e.message ?? String(err));
      }
      done++;
      o.onAnswer?.(done);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.senders }, () => sender()));
  } finally {
    await pool.close().catch(() => {});
  }
  out.elapsedS = (performance.now() - started) / 1000;
  out.notSent = o.payloads.length - out.posts;
  out.timeLimited = out.notSent > 0;
  return out;
}

export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export interface ProbeSummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  overOneSecond: number;
  failures: number;
}

/**
 * Probes one URL every `intervalMs` (a probe waits for the previous one, so a stall shows once, with its
 * full length). Two are used: `GET /healthz` (event loop + a `SELECT 1` through the API's database client)
 * and `GET /v1/traces`, which the API answers 405 without touching the database: the event loop alone.
 */
export class LatencyProbe {
  readonly #url: string;
  readonly #intervalMs: number;
  readonly #expectStatus: number;
  readonly #samplesMs: number[] = [];
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<void> | undefined;

  constructor(url: string, expectStatus: number, intervalMs = 200) {
    this.#url = url;
    this.#expectStatus = expectStatus;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#timer ??= setInterval(() => {
      this.#pending ??= this.#probe().finally(() => {
        this.#pending = undefined;
      });
    }, this.#intervalMs);
  }

  /** Stops probing; waits for a probe in flight (so its stall is counted). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pending;
  }

  async #probe(): Promise<void> {
    const t0 = performance.now();
    try {
      const res = await fetch(this.#url, { signal: AbortSignal.timeout(60_000) });
      await res.arrayBuffer();
      if (res.status === this.#expectStatus) this.#samplesMs.push(performance.now() - t0);
      else this.#failures++;
    } catch {
      this.#failures++;
    }
  }

  summary(): ProbeSummary {
    return {
      samples: this.#samplesMs.length,
      p50Ms: percentile(this.#samplesMs, 0.5),
      p99Ms: percentile(this.#samplesMs, 0.99),
      maxMs: this.#samplesMs.length > 0 ? Math.max(...this.#samplesMs) : Number.NaN,
      overOneSecond: this.#samplesMs.filter((ms) => ms > 1000).length,
      failures: this.#failures,
    };
  }
}

/** VmRSS of one process in KiB (0 when it is gone). */
export function rssKib(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Highest VmRSS of a process seen while running (sampled every `intervalMs`). */
export class RssSampler {
  readonly #pid: number;
  readonly #intervalMs: number;
  #maxKib = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(pid: number, intervalMs = 200) {
    this.#pid = pid;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#maxKib = rssKib(this.#pid);
    this.#timer ??= setInterval(() => {
      this.#maxKib = Math.max(this.#maxKib, rssKib(this.#pid));
    }, this.#intervalMs);
  }

  stop(): number {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#maxKib = Math.max(this.#maxKib, rssKib(this.#pid));
    return this.#maxKib;
  }
}
