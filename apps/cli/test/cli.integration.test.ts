/**
 * The CLI as a user runs it: bin/weft.js as a child process against the real API on a SQLite file, with
 * registered workloads (workload tokens) and reported traffic (OTLP metrics with an ingest token).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../api/src/app.ts';
import {
  bearer,
  createToken,
  signIn,
  TEST_ADMIN_PASSWORD,
  testApiOptions,
  trpcMutation,
  workloadToken,
} from '../../api/test/support/auth.ts';
import { sqliteDatabase, type TestDatabase } from '../../api/test/support/databases.ts';
import { metricsRequest } from '../../api/test/support/otlp.ts';
import { freePort } from '../../api/test/support/ports.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/weft.js');
const EXAMPLE = 'examples/policies/reviews-to-v2.yaml';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `weft …` from the repository root with its own config directory; `stdin` is written and closed. */
function weft(args: string[], options: { configHome: string; env?: Record<string, string>; stdin?: string }) {
  return new Promise<Result>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: options.configHome, ...options.env };
    if (!options.env?.WEFT_TOKEN) delete env.WEFT_TOKEN;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

const WORKLOADS = [
  { proxyId: 'reviews-v1-1', service: 'reviews', version: 'v1' },
  { proxyId: 'reviews-v2-1', service: 'reviews', version: 'v2' },
  { proxyId: 'ratings-v1-1', service: 'ratings', version: 'v1' },
] as const;

describe('weft against the real API', () => {
  let database: TestDatabase;
  let api: RunningApi;
  let scratch: string;
  let adminHome: string;
  let ingestToken: string;
  let run: (args: string[], stdin?: string) => Promise<Result>;

  beforeAll(async () => {
    database = await sqliteDatabase();
    // Registrations outlive the test (each CLI run is a fresh Node process, a second or more): no heartbeats.
    api = await startApi(await testApiOptions(database.url, { proxyTtlSeconds: 600 }), () => undefined);
    scratch = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-it-'));
    adminHome = path.join(scratch, 'admin-config');
    run = (args, stdin) => weft(args, { configHome: adminHome, env: { WEFT_API_URL: api.url }, stdin });

    const admin = await signIn(api.url);
    await trpcMutation(api.url, admin, 'users.create', {
      username: 'viewer-user',
      role: 'viewer',
      password: 'viewer-password-123',
    });
    for (const [i, w] of WORKLOADS.entries()) {
      const token = await workloadToken(api.url, admin, { namespace: 'shop', ...w });
      const res = await fetch(`${api.url}/v1/proxies/register`, {
        method: 'POST',
        headers: bearer(token),
        body: JSON.stringify({
          ...w,
          namespace: 'shop',
          inboundAddress: `127.0.0.1:${16100 + i}`,
          adminAddress: `127.0.0.1:${16200 + i}`,
        }),
      });
      expect(res.status, `register ${w.proxyId}`).toBe(200);
    }
    // Traffic as the inbound proxies report it: reviews (v1 and v2) and ratings, 25% of ratings failing.
    ingestToken = await createToken(api.url, admin, { kind: 'ingest', name: 'cli-test' });
    const startMs = Date.now() - 60_000;
    const points = {
      'reviews-v1-1': [{ status: 200, count: 40 }],
      'reviews-v2-1': [{ status: 200, count: 20 }],
      'ratings-v1-1': [
        { status: 200, count: 30 },
        { status: 503, count: 10 },
      ],
    };
    for (const w of WORKLOADS) {
      const body = metricsRequest({
        resource: { service: w.service, instance: w.proxyId },
        points: points[w.proxyId].map((p) => ({
          destination: { service: w.service, namespace: 'shop', version: w.version },
          status: p.status,
          count: p.count,
          sum: p.count * 5,
          buckets: { 3: p.count },
          startMs,
          endMs: startMs + 10_000,
        })),
      });
      const res = await fetch(`${api.url}/v1/metrics`, {
        method: 'POST',
        headers: bearer(ingestToken),
        body: JSON.stringify(body),
      });
      expect(res.status, `metrics of ${w.proxyId}`).toBe(200);
    }
  });

  afterAll(async () => {
    await api?.close();
    await database?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('is not signed in at first (exit 4), and refuses a wrong password (exit 4)', async () => {
    const before = await run(['stat']);
    expect(before.code).toBe(4);
    expect(before.stderr).toContain(`not signed in to ${api.url}: run weft login`);
    const wrong = await run(['login', '--username', 'admin', '--password-stdin'], 'not-the-password\n');
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('wrong username or password');
  });

  it('signs in with the password on stdin and saves the session readable only by the user', async () => {
    const result = await run(
      ['login', '--username', 'admin', '--password-stdin'],
      `${TEST_ADMIN_PASSWORD}\n`,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Signed in to ${api.url} as admin (admin)`);
    const file = path.join(adminHome, 'weft', 'sessions.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { sessions: Record<string, { cookie: string }> };
    expect(saved.sessions[api.url]?.cookie).toMatch(/^weft_session=/);
  });

  it('stat -o json: a row per service and version with exactly the documented fields', async () => {
    const result = await run(['stat', '-n', 'shop', '--window', '5m', '-o', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as Record<string, unknown>[];
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        ['namespace', 'p50Ms', 'p95Ms', 'p99Ms', 'rps', 'service', 'successRate', 'version'].sort(),
      );
    }
    const ratings = rows.find((r) => r.service === 'ratings');
    expect(ratings).toMatchObject({ namespace: 'shop', version: 'v1', successRate: 0.75 });
    expect(ratings?.rps).toBeGreaterThan(0);
    expect(typeof ratings?.p50Ms).toBe('number');
    expect(ratings?.p99Ms as number).toBeGreaterThanOrEqual(ratings?.p50Ms as number);
    const reviews = rows.filter((r) => r.service === 'reviews');
    expect(reviews.map((r) => r.version)).toEqual(['v1', 'v2']);
    expect(reviews.every((r) => r.successRate === 1)).toBe(true);
    // 40 requests to v1 and 20 to v2 in the same window: v1 serves twice v2's rate.
    expect(reviews[0]!.rps as number).toBeCloseTo((reviews[1]!.rps as number) * 2, 5);
    expect(result.stderr).toBe('');

    const table = await run(['stat']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAMESPACE\s+SERVICE\s+VERSION\s+RPS\s+SUCCESS\s+P50\s+P95\s+P99\n/);
    expect(table.stdout).toMatch(/^shop\s+ratings\s+v1\s+\S+\s+75\.00%/m);
  });

  it('policy get: nothing yet', async () => {
    const result = await run(['policy', 'get']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('No policies found.\n');
  });

  it('policy diff against nothing, apply, apply again (unchanged), diff clean', async () => {
    const before = await run(['policy', 'diff', '-f', EXAMPLE]);
    expect(before.code, before.stderr).toBe(1);
    expect(before.stdout).toContain('--- /dev/null\n');
    expect(before.stdout).toContain('+  - version: v2\n+    weight: 100\n');

    const created = await run(['policy', 'apply', '-f', EXAMPLE]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('trafficsplit.policy.weft.dev/reviews-to-v2 created\n');

    const again = await run(['policy', 'apply', '-f', EXAMPLE]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('trafficsplit.policy.weft.dev/reviews-to-v2 unchanged\n');

    const after = await run(['policy', 'diff', '-f', EXAMPLE]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toBe('');
  });

  it('policy get: the table, and one policy as JSON', async () => {
    const table = await run(['policy', 'get', '-n', 'shop']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^NAMESPACE\s+NAME\s+KIND\s+TARGET\s+ACCEPTED\s+PROGRAMMED\s+AGE\n/);
    expect(table.stdout).toMatch(/^shop\s+reviews-to-v2\s+TrafficSplit\s+reviews\s+True\s+\S+\s+\d+s$/m);

    const one = await run(['policy', 'get', 'ts', 'reviews-to-v2', '-n', 'shop', '-o', 'json']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({
      kind: 'TrafficSplit',
      metadata: { name: 'reviews-to-v2', namespace: 'shop', generation: 1 },
      spec: {
        backends: [
          { version: 'v1', weight: 0 },
          { version: 'v2', weight: 100 },
        ],
      },
    });
  });

  it('policy apply: a change is "configured" after diff shows it; a refused one prints its findings (exit 1)', async () => {
    const changed = path.join(scratch, 'half.yaml');
    writeFileSync(
      changed,
      readFileSync(path.join(ROOT, EXAMPLE), 'utf8')
        .replace('weight: 0', 'weight: 50')
        .replace('weight: 100', 'weight: 50'),
    );
    const diff = await run(['policy', 'diff', '-f', changed]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('-    weight: 0\n+    weight: 50\n');
    const configured = await run(['policy', 'apply', '-f', changed]);
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stdout).toBe('trafficsplit.policy.weft.dev/reviews-to-v2 configured\n');

    const bad = path.join(scratch, 'v3.yaml');
    writeFileSync(bad, readFileSync(path.join(ROOT, EXAMPLE), 'utf8').replace('version: v2', 'version: v3'));
    const refused = await run(['policy', 'apply', '-f', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ {2}WEFT2002 error spec\.backends\.1\.version: .*"v3"/);
    expect(refused.stdout).toBe('');
  });

  it('proxies: the registered proxies', async () => {
    const result = await run(['proxies']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^PROXY\s+SERVICE\s+VERSION\s+CONFIG\s+ACKED\n/);
    for (const w of WORKLOADS)
      expect(result.stdout).toMatch(
        new RegExp(`^${w.proxyId}\\s+${w.service}\\.shop\\s+${w.version}\\s`, 'm'),
      );
  });

  it('a viewer may read but not apply (exit 4, naming the role)', async () => {
    const viewerHome = path.join(scratch, 'viewer-config');
    const asViewer = (args: string[], stdin?: string) =>
      weft(args, { configHome: viewerHome, env: { WEFT_API_URL: api.url }, stdin });
    expect(
      (await asViewer(['login', '-u', 'viewer-user', '--password-stdin'], 'viewer-password-123')).code,
    ).toBe(0);
    expect((await asViewer(['policy', 'get'])).code).toBe(0);
    const denied = await asViewer(['policy', 'apply', '-f', EXAMPLE]);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain('needs the editor role');
  });

  it('WEFT_TOKEN: an API token works without login; an ingest token is refused with what to use (exit 4)', async () => {
    const admin = await signIn(api.url);
    const created = await trpcMutation<{ token: string }>(api.url, admin, 'tokens.create', {
      kind: 'user',
      name: 'cli-ci',
      role: 'editor',
    });
    const configHome = path.join(scratch, 'token-config');
    const stat = await weft(['stat', '-n', 'shop', '-o', 'json'], {
      configHome,
      env: { WEFT_API_URL: api.url, WEFT_TOKEN: created.token },
    });
    expect(stat.code, stat.stderr).toBe(0);
    expect((JSON.parse(stat.stdout) as unknown[]).length).toBeGreaterThan(0);
    const refused = await weft(['stat'], {
      configHome,
      env: { WEFT_API_URL: api.url, WEFT_TOKEN: ingestToken },
    });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('refused the token in WEFT_TOKEN');
    expect(refused.stderr).toContain('WEFT_TOKEN must be an API token');
  });

  it('an unreachable API: exit 3 with its URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await weft(['stat', '--api', url], {
      configHome: adminHome,
      env: { WEFT_TOKEN: 'weft_unused' },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach the Weft API at ${url}`);
  });

  it('policy delete, then logout', async () => {
    const deleted = await run(['policy', 'delete', 'trafficsplit', 'reviews-to-v2', '-n', 'shop']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe('trafficsplit.policy.weft.dev "reviews-to-v2" deleted\n');
    const gone = await run(['policy', 'delete', 'ts/reviews-to-v2', '-n', 'shop']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('not found in namespace "shop"');

    expect((await run(['logout'])).code).toBe(0);
    const after = await run(['policy', 'get']);
    expect(after.code).toBe(4);
    expect(after.stderr).toContain('run weft login');
  });
});
