/**
 * Response cache benchmark: `npm run bench:cache` (= `tsx bench/cache.ts`). Run on demand, not in `npm test`.
 *
 * The same origin behind two shared caches, each one hop in front of it:
 *   - nginx `proxy_cache` (Debian package; `proxy_cache_revalidate`, `proxy_cache_lock`,
 *     `proxy_cache_background_update` on, the cache in the run's temp dir)
 *   - the Weft proxy's outbound listener with a CachePolicy for the origin's service (the real sidecar as a
 *     child process, with a static --config-file whose one endpoint is the origin)
 * First the correctness cases (RFC 9111 rules, one request sequence each): which of them each cache answers
 * from its store, as its x-cache header says; then hits (one stored key) and misses (a new key each time)
 * under load from an undici Pool in this process: req/s, p50, p99. Prints both tables and writes them as
 * markdown to bench/results/cache-<timestamp>.md. See bench/README.md.
 *
 * Flags: --duration S (5) --warmup S (1) --connections 1,32
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'undici';
import { interrupted, startBenchRun } from './lib/bench-run.ts';
import { freePorts, Supervisor, waitForHttp } from './lib/children.ts';
import { findNginx, nginxVersion, startNginx } from './lib/nginx.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const PROXY_MAIN = path.join(repoRoot, 'apps/proxy/src/main.ts');
const SERVICE = 'origin';
const NAMESPACE = 'bench';
const HOST = `${SERVICE}.${NAMESPACE}`;
/** Bound on requests per measurement, whatever the duration. */
const MAX_REQUESTS = 1_000_000;

interface Settings {
  durationS: number;
  warmupS: number;
  connections: number[];
}

function parseArgs(argv: readonly string[]): Settings {
  const s: Settings = { durationS: 5, warmupS: 1, connections: [1, 32] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help') {
      process.stdout.write(
        'Usage: npm run bench:cache [-- --duration S] [--warmup S] [--connections 1,32]\n',
      );
      process.exit(0);
    }
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--duration') s.durationS = Number(value);
    else if (flag === '--warmup') s.warmupS = Number(value);
    else if (flag === '--connections') s.connections = value.split(',').map(Number);
    else throw new Error(`unknown flag ${flag} (see --help)`);
    i++;
  }
  if (!(s.durationS > 0 && s.durationS <= 120)) throw new Error('--duration must be in (0, 120]');
  if (s.connections.some((c) => !(c >= 1 && c <= 256))) throw new Error('--connections: 1 to 256 each');
  return s;
}

/**
 * The origin, a child process of its own (so it does not share the load generator's event loop): the first
 * path segment names the case and sets the caching headers; every request is counted per path.
 */
const ORIGIN_SCRIPT = `
import http from 'node:http';
const port = Number(process.argv[2]);
const seen = new Map();
const body = 'x'.repeat(1024);
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const url = req.url ?? '/';
    const n = (seen.get(url) ?? 0) + 1;
    seen.set(url, n);
    const kind = url.split('/')[1] ?? '';
    const date = new Date().toUTCString();
    const h = { date, 'content-type': 'text/plain' };
    if (req.method === 'POST') { res.writeHead(204, { date }).end(); return; }
    if (url === '/ready' || url === '/') { res.writeHead(200, h).end('ok'); return; }
    const etag = '"v1"';
    const conditional = req.headers['if-none-match'] === etag;
    const send = (status, extra, text = body) => res.writeHead(status, { ...h, ...extra }).end(req.method === 'HEAD' ? undefined : text);
    switch (kind) {
      case 'max-age': return send(200, { 'cache-control': 'max-age=600', etag });
      case 'expires': return send(200, { expires: new Date(Date.now() + 600_000).toUTCString() });
      case 's-maxage': return send(200, { 'cache-control': 'max-age=0, s-maxage=600' });
      case 'no-store': return send(200, { 'cache-control': 'no-store' });
      case 'private': return send(200, { 'cache-control': 'private, max-age=600' });
      case 'set-cookie': return send(200, { 'cache-control': 'max-age=600', 'set-cookie': 'session=abc' });
      case 'vary': return send(200, { 'cache-control': 'max-age=600', vary: 'Accept-Language' }, String(req.headers['accept-language']));
      case 'vary-star': return send(200, { 'cache-control': 'max-age=600', vary: '*' });
      case 'auth': return send(200, { 'cache-control': 'max-age=600' });
      case 'auth-public': return send(200, { 'cache-control': 'public, max-age=600' });
      case 'no-cache':
        if (conditional) return res.writeHead(304, { date, etag, 'cache-control': 'no-cache' }).end();
        return send(200, { 'cache-control': 'no-cache', etag });
      case 'heuristic': return send(200, { 'last-modified': new Date(Date.now() - 10 * 86_400_000).toUTCString() });
      case 'found': return send(302, { location: '/max-age/elsewhere' });
      case 'not-found': return send(404, { 'cache-control': 'max-age=600' });
      case 'expiring':
        if (conditional) return res.writeHead(304, { date, etag, 'cache-control': 'max-age=1' }).end();
        return send(200, { 'cache-control': 'max-age=1', etag });
      case 'swr': return send(200, { 'cache-control': 'max-age=1, stale-while-revalidate=30' });
      case 'sie':
        if (n > 1) return send(503, { 'cache-control': 'no-store' }, 'down');
        return send(200, { 'cache-control': 'max-age=1, stale-if-error=30' });
      case 'invalidate': return send(200, { 'cache-control': 'max-age=600' });
      case 'hit': return send(200, { 'cache-control': 'max-age=3600' });
      case 'miss': return send(200, { 'cache-control': 'max-age=3600' });
      default: return send(404, { 'cache-control': 'no-store' });
    }
  });
}).listen(port, '127.0.0.1');
`;

interface Step {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  /** Wait before this step (the cached response expires meanwhile). */
  waitMs?: number;
}

interface Case {
  name: string;
  /** First path segment: what the origin answers (see ORIGIN_SCRIPT). */
  kind: string;
  steps: Step[];
  /** Why the two may differ, when they do by design. */
  note?: string;
}

const AUTH = { authorization: 'Bearer secret' };
const CASES: Case[] = [
  { name: 'max-age=600', kind: 'max-age', steps: [{}, {}] },
  { name: 'HEAD after GET', kind: 'max-age', steps: [{}, { method: 'HEAD' }] },
  { name: 'Expires', kind: 'expires', steps: [{}, {}] },
  { name: 's-maxage over max-age=0', kind: 's-maxage', steps: [{}, {}] },
  { name: 'no-store', kind: 'no-store', steps: [{}, {}] },
  { name: 'private', kind: 'private', steps: [{}, {}] },
  { name: 'Set-Cookie', kind: 'set-cookie', steps: [{}, {}] },
  {
    name: 'Vary: Accept-Language (en, fr, en)',
    kind: 'vary',
    steps: [
      { headers: { 'accept-language': 'en' } },
      { headers: { 'accept-language': 'fr' } },
      { headers: { 'accept-language': 'en' } },
    ],
  },
  { name: 'Vary: *', kind: 'vary-star', steps: [{}, {}] },
  {
    name: 'Authorization, max-age only',
    kind: 'auth',
    steps: [{ headers: AUTH }, { headers: AUTH }],
    note: 'RFC 9111 §3.5: a shared cache stores it only with public, s-maxage or must-revalidate; nginx ignores Authorization',
  },
  { name: 'Authorization, public', kind: 'auth-public', steps: [{ headers: AUTH }, { headers: AUTH }] },
  {
    name: 'no-cache with ETag',
    kind: 'no-cache',
    steps: [{}, {}],
    note: 'RFC 9111 §5.2.2.4: storable, served after revalidation; nginx does not store no-cache',
  },
  {
    name: 'Last-Modified only (heuristic)',
    kind: 'heuristic',
    steps: [{}, {}],
    note: 'RFC 9111 §4.2.2 heuristic freshness (10% of the age, ≤ 1h); nginx caches nothing without explicit freshness',
  },
  { name: '302 without freshness', kind: 'found', steps: [{}, {}] },
  { name: '404 with max-age', kind: 'not-found', steps: [{}, {}] },
  { name: 'expired, revalidated by ETag', kind: 'expiring', steps: [{}, { waitMs: 2100 }] },
  { name: 'stale-while-revalidate', kind: 'swr', steps: [{}, { waitMs: 2100 }] },
  {
    name: 'stale-if-error (origin 503)',
    kind: 'sie',
    steps: [{}, { waitMs: 2100 }],
    note: 'RFC 5861 §4: a 5xx is an error too; nginx applies stale-if-error to connection errors and timeouts only (its `error`), unless proxy_cache_use_stale lists http_503',
  },
  {
    name: 'POST invalidates',
    kind: 'invalidate',
    steps: [{}, { method: 'POST' }, {}],
    note: 'RFC 9111 §4.4: a successful unsafe request invalidates the target; nginx has no invalidation',
  },
  {
    name: 'request Cache-Control: no-cache',
    kind: 'max-age',
    steps: [{}, { headers: { 'cache-control': 'no-cache' } }],
    note: 'RFC 9111 §5.2.1.4: the cache must revalidate; nginx ignores request directives by default',
  },
];

/** nginx's $upstream_cache_status in the Weft vocabulary: EXPIRED fetched anew (a miss), UPDATING served stale. */
function normalise(status: string | undefined): string {
  if (status === undefined || status === '') return '-';
  if (status === 'EXPIRED') return 'MISS';
  if (status === 'UPDATING') return 'STALE';
  return status;
}

function nginxCacheConfig(prefix: string, port: number, originPort: number): string {
  return `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/temp/client_body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  proxy_cache_path ${prefix}/cache levels=1:2 keys_zone=bench:10m max_size=64m inactive=10m use_temp_path=off;
  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      proxy_cache_key $scheme$proxy_host$request_uri;
      proxy_cache_revalidate on;
      proxy_cache_lock on;
      proxy_cache_background_update on;
      add_header x-cache $upstream_cache_status always;
    }
  }
}
`;
}

interface Target {
  name: 'nginx proxy_cache' | 'Weft CachePolicy';
  port: number;
  /** Response header that says HIT/MISS. */
  statusHeader: string;
}

interface LoadResult {
  requests: number;
  requestsPerS: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  /** Responses whose x-cache said otherwise than the measurement expects (a HIT run that missed). */
  unexpected: number;
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const log = (m: string) => process.stderr.write(`[bench:cache] ${m}\n`);
  const supervisor = new Supervisor();
  const run = startBenchRun({
    tmpPrefix: 'weft-bench-cache-',
    log,
    stop: () => supervisor.stopAll(),
    killNow: () => supervisor.killAllNow(),
  });
  try {
    const [originPort, nginxPort, inbound, outbound, admin, app] = (await freePorts(6)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const originFile = path.join(run.tmp, 'origin.mjs');
    writeFileSync(originFile, ORIGIN_SCRIPT);
    const origin = supervisor.start('origin', process.execPath, [originFile, String(originPort)]);
    await waitForHttp(`http://127.0.0.1:${originPort}/ready`, origin, 10_000);

    const targets: Target[] = [];
    const nginx = findNginx();
    if (nginx === undefined) log('nginx not installed (apt-get install nginx): its rows are skipped');
    else {
      // The run's temp dir is 0700 (mkdtemp): the worker must get through it to its cache.
      chmodSync(run.tmp, 0o755);
      const prefix = path.join(run.tmp, 'nginx');
      // The worker (nobody, when the master is root) writes the cache.
      mkdirSync(path.join(prefix, 'cache'), { recursive: true, mode: 0o777 });
      chmodSync(path.join(prefix, 'cache'), 0o777);
      await startNginx(
        supervisor,
        nginx,
        'nginx',
        prefix,
        nginxCacheConfig(prefix, nginxPort, originPort),
        nginxPort,
      );
      targets.push({ name: 'nginx proxy_cache', port: nginxPort, statusHeader: 'x-cache' });
      log(nginxVersion(nginx));
    }

    const configFile = path.join(run.tmp, 'proxy-config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        version: 'bench-cache-1',
        services: [
          {
            name: SERVICE,
            namespace: NAMESPACE,
            endpoints: [{ proxyId: 'origin-1', address: `127.0.0.1:${originPort}`, version: 'v1' }],
          },
        ],
        policies: [
          {
            service: SERVICE,
            namespace: NAMESPACE,
            cache: {
              source: 'CachePolicy bench/origin-cache',
              maxBytes: 64 * 1024 * 1024,
              maxEntryBytes: 1024 * 1024,
              heuristicPercent: 10,
              heuristicMax: '1h',
            },
          },
        ],
      }),
    );
    const proxy = supervisor.start(
      'weft-proxy',
      process.execPath,
      [
        '--import',
        'tsx',
        PROXY_MAIN,
        '--service',
        'bench-client',
        '--namespace',
        NAMESPACE,
        '--version',
        'v1',
        '--app',
        `127.0.0.1:${app}`,
        '--inbound',
        `127.0.0.1:${inbound}`,
        '--outbound',
        `127.0.0.1:${outbound}`,
        '--admin',
        `127.0.0.1:${admin}`,
        '--config-file',
        configFile,
      ],
      { cwd: repoRoot },
    );
    await waitForHttp(`http://127.0.0.1:${admin}/live`, proxy, 30_000);
    targets.push({ name: 'Weft CachePolicy', port: outbound, statusHeader: 'x-weft-cache' });

    // Correctness: each case on its own path per target, steps in order.
    const observed = new Map<string, Map<string, string[]>>();
    for (const target of targets) {
      const pool = new Pool(`http://127.0.0.1:${target.port}`, { connections: 4 });
      const byCase = new Map<string, string[]>();
      for (const [i, c] of CASES.entries()) {
        const p = `/${c.kind}/${i}-${target.port}`;
        const statuses: string[] = [];
        for (const step of c.steps) {
          if (step.waitMs) await new Promise((r) => setTimeout(r, step.waitMs));
          const method = step.method ?? 'GET';
          const res = await pool.request({
            path: p,
            method,
            headers: { host: HOST, ...step.headers, ...(method === 'POST' ? { 'content-length': '0' } : {}) },
          });
          await res.body.dump();
          const raw = res.headers[target.statusHeader];
          statuses.push(`${normalise(typeof raw === 'string' ? raw : undefined)} ${res.statusCode}`);
          // Let a background revalidation land before the next case.
        }
        byCase.set(c.name, statuses);
      }
      await pool.close();
      observed.set(target.name, byCase);
    }
    const correctness = correctnessTable(targets, observed);
    process.stdout.write(`\n${correctness}\n`);

    // Load: hits on one stored key, misses on a new key each request.
    const rows: string[] = [];
    rows.push('| target | case | connections | req/s | p50 µs | p99 µs | errors | wrong x-cache |');
    rows.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const connections of settings.connections) {
      for (const target of targets) {
        for (const kind of ['hit', 'miss'] as const) {
          if (interrupted()) return;
          let n = 0;
          const pathFor =
            kind === 'hit' ? () => `/hit/${target.port}` : () => `/miss/${target.port}-${connections}-${n++}`;
          await load(target, pathFor, kind, connections, settings.warmupS);
          const r = await load(target, pathFor, kind, connections, settings.durationS);
          rows.push(
            `| ${target.name} | ${kind} | ${connections} | ${Math.round(r.requestsPerS)} | ${Math.round(r.p50Us)} | ${Math.round(r.p99Us)} | ${r.errors} | ${r.unexpected} |`,
          );
          log(`${target.name} ${kind} c=${connections}: ${Math.round(r.requestsPerS)} req/s`);
        }
      }
    }
    const loadTable = rows.join('\n');
    process.stdout.write(`\n${loadTable}\n`);
    const out = path.join(repoRoot, 'bench/results', `cache-${run.stamp}.md`);
    writeFileSync(
      out,
      `# bench:cache ${run.stamp}\n\n${nginx ? nginxVersion(nginx) : 'nginx: not installed'}, Node ${process.version}, ` +
        `${settings.durationS}s per row after ${settings.warmupS}s warm-up, undici Pool load in the bench process\n\n` +
        `## Correctness cases (x-cache per request, status)\n\n${correctness}\n\n## Load\n\n${loadTable}\n`,
    );
    log(`written to ${path.relative(repoRoot, out)}`);
  } finally {
    await run.cleanup();
  }
}

function correctnessTable(targets: readonly Target[], observed: Map<string, Map<string, string[]>>): string {
  const lines = [
    `| case | ${targets.map((t) => t.name).join(' | ')} | agree | why they differ |`,
    `| --- | ${targets.map(() => '---').join(' | ')} | --- | --- |`,
  ];
  for (const c of CASES) {
    const cells = targets.map((t) => observed.get(t.name)?.get(c.name) ?? []);
    // Agreement on what was served from the store (status codes aside: nginx has no only-if-cached etc.).
    const fromStore = cells.map((s) => s.map((x) => x.split(' ')[0]).join(','));
    const agree = fromStore.every((s) => s === fromStore[0]);
    lines.push(
      `| ${c.name} | ${cells.map((s) => s.join(' → ')).join(' | ')} | ${agree ? 'yes' : 'no'} | ${agree ? '' : (c.note ?? '')} |`,
    );
  }
  return lines.join('\n');
}

/** A bounded closed loop: `connections` workers, until `durationS` passed or MAX_REQUESTS were sent. */
async function load(
  target: Target,
  pathFor: () => string,
  kind: 'hit' | 'miss',
  connections: number,
  durationS: number,
): Promise<LoadResult> {
  const pool = new Pool(`http://127.0.0.1:${target.port}`, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let unexpected = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(durationS * 1e9));
  const worker = async () => {
    while (latencies.length + errors < MAX_REQUESTS) {
      const t0 = process.hrtime.bigint();
      if (t0 >= deadline) return;
      try {
        const res = await pool.request({ path: pathFor(), method: 'GET', headers: { host: HOST } });
        await res.body.dump();
        latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
        if (res.statusCode !== 200) errors++;
        const status = normalise(res.headers[target.statusHeader] as string | undefined);
        if (status !== (kind === 'hit' ? 'HIT' : 'MISS')) unexpected++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0;
  return {
    requests: latencies.length,
    requestsPerS: latencies.length / seconds,
    p50Us: pct(0.5),
    p99Us: pct(0.99),
    errors,
    unexpected,
  };
}

await main();
