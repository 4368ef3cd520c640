/**
 * Evidence that the Weft proxy's telemetry really flowed during the bench (what the API stored, what the
 * proxy still holds), and how responsive the API stayed while it ingested it.
 */
import { sessionHeaders, type Session } from './api-auth.ts';

interface TrpcEnvelope<T> {
  result?: { data: T };
  error?: unknown;
}

/** One tRPC query over HTTP with the signed-in session's cookie (every query needs a viewer or better). */
async function trpcQuery<T>(apiUrl: string, session: Session, procedure: string, input: unknown): Promise<T> {
  const res = await fetch(`${apiUrl}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, {
    headers: sessionHeaders(session),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as TrpcEnvelope<T>;
  if (!res.ok || !body.result)
    throw new Error(`${procedure}: HTTP ${res.status} ${JSON.stringify(body.error)}`);
  return body.result.data;
}

interface ExportState {
  queuedSpans: number | undefined;
  exportedSpans: number | undefined;
  /** Non-comment series about export, queues and drops, as the proxy prints them. */
  lines: string[];
}

async function proxyExportState(adminUrl: string): Promise<ExportState> {
  const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const lines = text.split('\n').filter((l) => !l.startsWith('#') && /drop|export|queue/i.test(l));
  const value = (re: RegExp): number | undefined => {
    const line = lines.find((l) => re.test(l));
    const n = line === undefined ? Number.NaN : Number(line.trim().split(/\s+/).pop());
    return Number.isFinite(n) ? n : undefined;
  };
  return {
    queuedSpans: value(/^weft_proxy_telemetry_queued\{signal="spans"\}/),
    exportedSpans: value(/^weft_proxy_telemetry_exported_total\{signal="spans"\}/),
    lines,
  };
}

export interface TelemetryEvidenceOptions {
  apiUrl: string;
  /** A signed-in session (tRPC queries need one). */
  session: Session;
  adminUrl: string;
  namespace: string;
  service: string;
  startedAt: number;
  /** Requests wrk saw complete through the proxy (warm-ups included). */
  sent: number;
  /** How long to wait for the proxy's span queue to drain. */
  waitMs: number;
}

/** Waits (bounded) for the proxy's telemetry to reach the API, then says what arrived and what did not. */
export async function telemetryEvidence(o: TelemetryEvidenceOptions): Promise<string[]> {
  const lines: string[] = [];
  // Well inside QueryLimits.maxWindowMs (90 days).
  const window = { fromMs: o.startedAt - 60_000, toMs: Date.now() + 10 * 60_000 };
  let stored = -1;
  let traces = -1;
  let problem = '';
  let state: ExportState | undefined;
  let first: { at: number; exported: number; queued: number } | undefined;
  let last: { at: number; exported: number } | undefined;
  const waitStarted = Date.now();
  const deadline = waitStarted + o.waitMs;
  for (;;) {
    try {
      state = await proxyExportState(o.adminUrl);
      if (state.exportedSpans !== undefined) {
        const now = Date.now();
        first ??= { at: now, exported: state.exportedSpans, queued: state.queuedSpans ?? 0 };
        last = { at: now, exported: state.exportedSpans };
      }
      const detail = await trpcQuery<{ traffic: { requests: number } }>(
        o.apiUrl,
        o.session,
        'services.detail',
        {
          namespace: o.namespace,
          service: o.service,
          window,
        },
      );
      stored = detail.traffic.requests;
      const found = await trpcQuery<unknown[]>(o.apiUrl, o.session, 'traces.search', {
        window,
        namespace: o.namespace,
        service: o.service,
        limit: 500,
      });
      traces = Array.isArray(found) ? found.length : -1;
      problem = '';
      if (stored >= o.sent && (state.queuedSpans ?? 0) === 0) break;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (stored >= 0) {
    lines.push(
      `Telemetry: the API stored ${stored.toLocaleString('en-US')} requests in its metrics for ${o.namespace}/${o.service} (wrk counted ${o.sent.toLocaleString('en-US')} through the Weft proxy, warm-ups included); traces.search returned ${traces < 0 ? '?' : traces === 500 ? '≥ 500' : traces} trace(s).`,
    );
  } else {
    lines.push(`Telemetry: could not read what the API stored (${problem}).`);
  }
  if (state?.queuedSpans !== undefined) {
    const queued = state.queuedSpans;
    let rate = '';
    if (first && last && last.at - first.at >= 2000 && first.queued > 0) {
      const perS = ((last.exported - first.exported) * 1000) / (last.at - first.at);
      rate = ` While draining after the load, span export ran at ${Math.round(perS).toLocaleString('en-US')} spans/s (${first.queued.toLocaleString('en-US')} were queued when the wait began).`;
    }
    lines.push(
      queued === 0
        ? `Span queue in the proxy drained ${((Date.now() - waitStarted) / 1000).toFixed(0)} s after the last measurement.${rate}`
        : `**${queued.toLocaleString('en-US')} spans were still queued in the proxy ${Math.round(o.waitMs / 1000)} s after its last load** (export slower than the proxy produces them).${rate}`,
    );
  }
  if (state && state.lines.length > 0) {
    lines.push(`Proxy /metrics (export and queue series): \`${state.lines.slice(0, 12).join('`, `')}\``);
  }
  return lines;
}

/**
 * Probes the API's /healthz (which touches the database) every `intervalMs` while the Weft proxy is under
 * load: a slow answer means telemetry ingest is blocking the control plane too.
 */
export class ApiProbe {
  readonly #url: string;
  readonly #intervalMs: number;
  readonly #samplesMs: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pending = false;
  #failures = 0;

  constructor(apiUrl: string, intervalMs = 250) {
    this.#url = `${apiUrl}/healthz`;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#probe(), this.#intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #probe(): Promise<void> {
    if (this.#pending) return;
    this.#pending = true;
    const t0 = performance.now();
    try {
      const res = await fetch(this.#url, { signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      this.#samplesMs.push(performance.now() - t0);
    } catch {
      this.#failures++;
    } finally {
      this.#pending = false;
    }
  }

  summary(): string | undefined {
    const n = this.#samplesMs.length;
    if (n === 0 && this.#failures === 0) return undefined;
    const sorted = [...this.#samplesMs].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? 0;
    const slow = sorted.filter((ms) => ms > 1000).length;
    return `Weft API \`GET /healthz\` every ${this.#intervalMs} ms during the Weft measurements: p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${(sorted[n - 1] ?? 0).toFixed(0)} ms; ${slow} of ${n} over 1 s${this.#failures > 0 ? `, ${this.#failures} failed` : ''} (probes wait for each other, so a stall shows once).`;
  }
}
