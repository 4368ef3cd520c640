/**
 * Load generators: wrk (preferred; its `done` hook reports exact percentiles in µs) and, when wrk is not
 * installed, a Node one on an undici Pool, bounded by time and by count.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** Per-request timeout. */
  timeoutS: number;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  requestsPerS: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
  /** Response bytes (headers + body) per request. */
  bytesPerResponse: number;
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
}

export interface LoadGenerator {
  readonly name: string;
  run(options: LoadOptions, track: (child: ChildProcess | undefined) => void): Promise<LoadResult>;
}

const WRK_CANDIDATES = ['/usr/bin/wrk', '/usr/local/bin/wrk'];

export function findWrk(): string | undefined {
  const fromPath = (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => path.join(dir, 'wrk'));
  for (const candidate of [...fromPath, ...WRK_CANDIDATES]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** wrk's `done` hook: one JSON line with everything we need, latencies in µs. */
const WRK_SCRIPT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WEFT_BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

interface WrkJson {
  requests: number;
  duration_us: number;
  bytes: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

function isWrkJson(value: unknown): value is WrkJson {
  if (typeof value !== 'object' || value === null) return false;
  const keys = ['requests', 'duration_us', 'bytes', 'p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;
  return keys.every((k) => typeof (value as Record<string, unknown>)[k] === 'number');
}

export function wrkGenerator(binary: string, scratchDir: string): LoadGenerator {
  const scriptPath = path.join(scratchDir, 'wrk-report.lua');
  writeFileSync(scriptPath, WRK_SCRIPT);
  return {
    name: `wrk (${binary}, 1 thread)`,
    async run(options, track) {
      // One wrk thread: on 2 cores shared with the proxy and the upstream, a second thread only adds contention.
      const args = [
        '-t1',
        `-c${options.connections}`,
        `-d${options.durationS}s`,
        `--timeout`,
        `${options.timeoutS}s`,
        '-s',
        scriptPath,
        options.url,
      ];
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      track(child);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | string>((resolve) => {
        child.once('exit', (c, s) => resolve(c ?? s ?? 'unknown'));
        child.once('error', (err) => {
          out += err.message;
          resolve('spawn-error');
        });
      });
      track(undefined);
      const line = out.split('\n').find((l) => l.startsWith('WEFT_BENCH_JSON '));
      if (code !== 0 || !line) throw new Error(`wrk ${args.join(' ')} failed (${code}):\n${out}`);
      const parsed = JSON.parse(line.slice('WEFT_BENCH_JSON '.length)) as unknown;
      if (!isWrkJson(parsed)) throw new Error(`unexpected wrk report: ${line}`);
      const durationS = parsed.duration_us / 1e6;
      return {
        requests: parsed.requests,
        durationS,
        requestsPerS: parsed.requests / durationS,
        p50Us: parsed.p50,
        p90Us: parsed.p90,
        p99Us: parsed.p99,
        p999Us: parsed.p999,
        maxUs: parsed.max,
        meanUs: parsed.mean,
        bytesPerResponse: parsed.requests > 0 ? parsed.bytes / parsed.requests : 0,
        errors: {
          connect: parsed.connect,
          read: parsed.read,
          write: parsed.write,
          timeout: parsed.timeout,
          status: parsed.status,
        },
      };
    },
  };
}

/** Upper bound on requests per Node-generated measurement (also bounds the latency array: 8 bytes each). */
const NODE_MAX_REQUESTS = 2_000_000;

export function nodeGenerator(): LoadGenerator {
  return {
    name: 'Node (undici Pool, in the bench process)',
    async run(options, track) {
      track(undefined);
      const { Pool } = await import('undici');
      const target = new URL(options.url);
      const pool = new Pool(target.origin, {
        connections: options.connections,
        pipelining: 1,
        keepAliveTimeout: 60_000,
        headersTimeout: options.timeoutS * 1000,
        bodyTimeout: options.timeoutS * 1000,
      });
      const latencies = new Float64Array(NODE_MAX_REQUESTS);
      let count = 0;
      let bytes = 0;
      const errors = { connect: 0, read: 0, write: 0, timeout: 0, status: 0 };
      const startedAt = process.hrtime.bigint();
      const deadline = startedAt + BigInt(Math.round(options.durationS * 1e9));
      const path_ = `${target.pathname}${target.search}`;
      const worker = async (): Promise<void> => {
        while (count < NODE_MAX_REQUESTS) {
          const t0 = process.hrtime.bigint();
          if (t0 >= deadline) return;
          try {
            const res = await pool.request({ path: path_, method: 'GET' });
            const body = Buffer.from(await res.body.arrayBuffer());
            const t1 = process.hrtime.bigint();
            if (res.statusCode >= 400) errors.status++;
            bytes += body.length;
            if (count < NODE_MAX_REQUESTS) latencies[count++] = Number(t1 - t0) / 1000;
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') errors.timeout++;
            else if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') errors.connect++;
            else errors.read++;
            // Don't spin on a dead target.
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      };
      await Promise.all(Array.from({ length: options.connections }, worker));
      const durationS = Number(process.hrtime.bigint() - startedAt) / 1e9;
      await pool.close();
      const sorted = latencies.subarray(0, count).sort();
      const pct = (q: number): number =>
        count === 0 ? 0 : (sorted[Math.min(count - 1, Math.ceil(q * count) - 1)] ?? 0);
      let sum = 0;
      for (const v of sorted) sum += v;
      return {
        requests: count,
        durationS,
        requestsPerS: count / durationS,
        p50Us: pct(0.5),
        p90Us: pct(0.9),
        p99Us: pct(0.99),
        p999Us: pct(0.999),
        maxUs: count === 0 ? 0 : (sorted[count - 1] ?? 0),
        meanUs: count === 0 ? 0 : sum / count,
        // Only the body is seen through undici; headers are not counted here.
        bytesPerResponse: count > 0 ? bytes / count : 0,
        errors,
      };
    },
  };
}
