/**
 * The launcher as users run it. Refusals must happen before anything is started; full runs use the real API,
 * proxies, shop and load generator (`--no-console`: no console build), on free ports and a fresh data dir.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isPortFree } from '../common/net.ts';
import { DEMO_WORKLOADS, OUTSIDE_SERVICES, RECOMMENDATIONS } from '../topology.ts';
import { allocateWorkloadPorts, portSpan } from './ports.ts';
import type { ServiceVersionStats, TokenSummary } from '@weft/schema';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CLEAN_ENV,
  freeLayout,
  here,
  HOST,
  pidsOf,
  removeTempDirs,
  repoRoot,
  savedPassword,
  signIn,
  spawnLauncher,
  startHeadless,
  stopLeftoverLaunchers,
  tempDir,
  waitForTraffic,
  type Running,
} from './test-helpers.ts';

function runLauncher(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'main.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...CLEAN_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`launcher did not exit: ${stdout}${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function freePort(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return String(port);
}

describe('launcher refusals', () => {
  const blocker = net.createServer();
  let busyPort = 0;
  let free1 = '';
  let free2 = '';
  beforeAll(async () => {
    [free1, free2] = await Promise.all([freePort(), freePort()]);
    await new Promise<void>((r) => blocker.listen(0, HOST, r));
    busyPort = (blocker.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((r) => blocker.close(r)));

  it('prints help', async () => {
    const r = await runLauncher(['--help']);
    expect(r.code).toBe(0);
    for (const s of [
      '--console-port',
      'WEFT_API_PORT',
      '--port-base',
      '--data-dir',
      '--rps',
      '--no-console',
      'WEFT_NO_CONSOLE=1',
      'pids.json',
      'proxy inbound',
      'admin-password',
      'WEFT_ADMIN_PASSWORD',
      '--platform',
      'WEFT_PLATFORM',
      '--kube-port',
    ]) {
      expect(r.stdout).toContain(s);
    }
  });

  it('rejects a bad flag with exit code 2', async () => {
    const r = await runLauncher(['--api-port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--api-port must be a port number 1-65535 (got "abc")');
  });

  it('refuses a busy console port, naming the port and how to change it, and starts nothing', async () => {
    const dataDir = path.join(tempDir('weft-launcher-'), 'data');
    const r = await runLauncher(['--data-dir', dataDir, '--api-port', free1, '--port-base', '1024'], {
      WEFT_CONSOLE_PORT: String(busyPort),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${busyPort} (console) is already in use`);
    expect(r.stderr).toContain('--console-port or WEFT_CONSOLE_PORT');
    expect(r.stderr).toContain('Nothing was started.');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('with --platform kubernetes, refuses a busy Kubernetes API server port, pointing at --kube-port', async () => {
    const dataDir = path.join(tempDir('weft-launcher-'), 'data');
    const r = await runLauncher(
      [
        '--platform',
        'kubernetes',
        '--no-console',
        '--data-dir',
        dataDir,
        '--api-port',
        free1,
        '--port-base',
        '1024',
      ],
      { WEFT_KUBE_PORT: String(busyPort) },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${busyPort} (Kubernetes API server) is already in use`);
    expect(r.stderr).toContain('--kube-port or WEFT_KUBE_PORT');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a busy port inside the shop block, pointing at --port-base', async () => {
    const base = busyPort - 1; // busy port = frontend's proxy inbound
    if (base < 1 || base + portSpan() - 1 > 65535) return;
    const r = await runLauncher(['--port-base', String(base), '--console-port', free1, '--api-port', free2]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${busyPort} (proxy inbound of frontend) is already in use`);
    expect(r.stderr).toContain('--port-base or WEFT_PORT_BASE');
  });
});

// ---------------------------------------------------------------------------------------------- full runs

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

afterEach(stopLeftoverLaunchers);
afterAll(removeTempDirs);

async function demoTokens(run: Running): Promise<TokenSummary[]> {
  const { api, session } = await signIn(run);
  const data = await api.query<TokenSummary[] | Record<string, TokenSummary[]>>(session, 'tokens.list');
  const list: TokenSummary[] = Array.isArray(data) ? data : (Object.values(data)[0] ?? []);
  return list.filter((t) => t.name.startsWith('demo:'));
}

/** The environment a running process was started with (Linux /proc). */
function environOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

const bannerSignIn = (run: Running): string =>
  `Sign in as admin with password ${savedPassword(run.dataDir)} (saved in ${path.join(run.dataDir, 'admin-password')})`;

function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

/** After a run: every port free (allowing a moment for the kernel), no process of it left, pids.json gone. */
async function expectAllReleased(run: Running, pids: Record<string, number>): Promise<void> {
  let busy = run.layout.ports;
  await vi.waitFor(
    async () => {
      const free = await Promise.all(busy.map((p) => isPortFree(p, HOST)));
      busy = busy.filter((_, j) => !free[j]);
      expect(busy, 'ports still in use').toEqual([]);
    },
    { timeout: 5000, interval: 250 },
  );
  expect(
    Object.entries(pids).filter(([, pid]) => alive(pid)),
    'processes still alive',
  ).toEqual([]);
  expect(processesMentioning(`${HOST}:${run.layout.portBase + 1}`)).toEqual([]);
  expect(existsSync(path.join(run.dataDir, 'pids.json'))).toBe(false);
}

const LIFECYCLE_TIMEOUT_MS = 90_000;
/**
 * A --no-console run binds the API port, four per workload (app, proxy inbound, outbound, admin) and one per
 * service outside the mesh.
 */
const PORTS_BOUND = 1 + 4 * DEMO_WORKLOADS.length + OUTSIDE_SERVICES.length;
/** What the launcher says after stopping the API, shop, outside services, load generator and every proxy. */
const STOPPED_ALL = (extraPorts: number): RegExp =>
  new RegExp(
    `stopped ${DEMO_WORKLOADS.length + 4} processes in [\\d.]+ s; all ${PORTS_BOUND + extraPorts} ports are free`,
  );
/** The service outside the mesh that sends OTLP itself. */
const SDK = RECOMMENDATIONS.identity;
/** Every token a run creates: one workload token per proxy, the ingest token of recommendations. */
const DEMO_TOKEN_COUNT = DEMO_WORKLOADS.length + 1;

describe('launcher lifecycle (real API, proxies, shop and load generator; --no-console)', () => {
  it(
    'starts the mesh, shows real traffic on the graph, and on Ctrl-C stops it all and frees every port',
    async () => {
      const run = await startHeadless([], 50_000);
      let pids: Record<string, number> = {};
      try {
        expect(run.output()).toContain('Weft console: off (--no-console)');
        expect(run.output()).not.toContain('starting the console');
        expect(run.output()).not.toContain('building the console');
        expect(existsSync(path.join(run.dataDir, 'logs', 'console.log'))).toBe(false);
        pids = pidsOf(run.dataDir)?.processes ?? {};
        expect(Object.keys(pids).sort()).toEqual(
          [
            'api',
            'loadgen',
            'outside',
            'shop',
            ...allocateWorkloadPorts(1).map((p) => `proxy-${p.workload.name}`),
          ].sort(),
        );

        // Sign-in: a strong generated password, saved owner-only, printed in the banner.
        const passwordFile = path.join(run.dataDir, 'admin-password');
        expect(savedPassword(run.dataDir)).toMatch(/^[A-Za-z0-9_-]{20,}$/);
        expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
        expect(run.output()).toContain(bannerSignIn(run));
        expect(run.output()).toContain(`API sign-in:  curl -c jar -H 'content-type: application/json' -d '{`);
        expect(run.output()).toContain(`Graph:        curl -b jar '${run.apiUrl}/trpc/topology.graph?input=`);

        // One workload token per proxy, scoped to exactly its workload, in its environment only.
        const tokens = await demoTokens(run);
        expect(
          tokens.map((t) => [t.name, t.kind, t.namespace, t.service, t.version, t.revokedAtMs]).sort(),
        ).toEqual(
          [
            ...DEMO_WORKLOADS.map((w) => [
              `demo:${w.name}.${w.namespace}`,
              'workload',
              w.namespace,
              w.service,
              w.version,
              null,
            ]),
            // recommendations sends OTLP itself: an ingest token for exactly its namespace and service.
            [`demo:${SDK.service}.${SDK.namespace}`, 'ingest', SDK.namespace, SDK.service, null, null],
          ].sort(),
        );
        const proxySecrets = Object.entries(pids)
          .filter(([name]) => name.startsWith('proxy-'))
          .map(([, pid]) => environOf(pid).WEFT_PROXY_TOKEN ?? '');
        // The SDK's standard variables: the API and "Authorization=Bearer%20<ingest token>".
        const outsideEnv = environOf(pids.outside!);
        expect(outsideEnv.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(run.apiUrl);
        const ingestSecret = /^Authorization=Bearer%20(weft_\S+)$/.exec(
          outsideEnv.OTEL_EXPORTER_OTLP_HEADERS ?? '',
        )?.[1];
        expect(ingestSecret).toBeDefined();
        const secrets = [...proxySecrets, ingestSecret!];
        expect(secrets.every((t) => t.startsWith('weft_'))).toBe(true);
        expect(new Set(secrets).size).toBe(DEMO_TOKEN_COUNT);
        expect(outsideEnv.WEFT_PROXY_TOKEN).toBeUndefined();
        expect(environOf(pids.shop!).OTEL_EXPORTER_OTLP_HEADERS).toBeUndefined();
        expect(environOf(pids.shop!).WEFT_PROXY_TOKEN).toBeUndefined();
        expect(environOf(pids.api!).WEFT_PROXY_TOKEN).toBeUndefined();
        const places: Record<string, string> = {
          output: run.output(),
          argv: processesMentioning(run.apiUrl).join('\n'),
          'pids.json': readFileSync(path.join(run.dataDir, 'pids.json'), 'utf8'),
        };
        for (const f of readdirSync(path.join(run.dataDir, 'logs')))
          places[f] = readFileSync(path.join(run.dataDir, 'logs', f), 'utf8');
        for (const [where, text] of Object.entries(places)) {
          expect(
            secrets.some((t) => text.includes(t)),
            `a token appears in ${where}`,
          ).toBe(false);
        }

        const edges = await waitForTraffic(run, 25_000);
        const frontend = edges.filter((e) => e.source === 'storefront/frontend' && e.traffic.requests > 0);
        expect(frontend.length, JSON.stringify(edges)).toBeGreaterThan(0);
      } finally {
        run.kill('SIGINT');
      }
      const code = await run.exit(20_000);
      expect(code, run.output()).toBe(0);
      expect(run.output()).toMatch(STOPPED_ALL(0));
      await expectAllReleased(run, pids);
    },
    LIFECYCLE_TIMEOUT_MS,
  );

  it(
    'names a child that dies, shows its last lines, stops the rest and exits 1',
    async () => {
      const run = await startHeadless(['--rps', '0'], 50_000);
      const pids = pidsOf(run.dataDir)?.processes ?? {};
      const victim = pids['proxy-ratings'];
      expect(victim, JSON.stringify(pids)).toBeGreaterThan(0);
      process.kill(victim!, 'SIGKILL');

      const code = await run.exit(25_000);
      const out = run.output();
      expect(code, out).toBe(1);
      expect(out).toContain('error: proxy-ratings was killed by SIGKILL unexpectedly');
      const logFile = path.join(run.dataDir, 'logs', 'proxy-ratings.log');
      const tailAt = out.indexOf(`last lines of proxy-ratings (full log: ${logFile}):`);
      expect(tailAt, out).toBeGreaterThan(0);
      const ratingsInbound = allocateWorkloadPorts(run.layout.portBase).find(
        (p) => p.workload.name === 'ratings',
      )!.inbound;
      expect(out.slice(tailAt)).toMatch(
        new RegExp(`proxy-ratings +│ weft-proxy ratings\\.shop@v1 ready: inbound ${HOST}:${ratingsInbound} `),
      );
      expect(out).toContain(`all ${PORTS_BOUND} ports are free`);
      await expectAllReleased(run, pids);
    },
    LIFECYCLE_TIMEOUT_MS,
  );

  it(
    'on the data dir of an earlier run: refuses another WEFT_ADMIN_PASSWORD with advice, reuses the saved password and replaces the earlier tokens',
    async () => {
      const first = await startHeadless(['--rps', '0'], 50_000);
      const dataDir = first.dataDir;
      const password = savedPassword(dataDir);
      const firstIds = (await demoTokens(first)).map((t) => t.id);
      expect(firstIds).toHaveLength(DEMO_TOKEN_COUNT);
      first.kill('SIGINT');
      expect(await first.exit(20_000), first.output()).toBe(0);

      // The database's admin keeps its password: a different WEFT_ADMIN_PASSWORD cannot sign in.
      const wrong = spawnLauncher(await freeLayout(), dataDir, ['--rps', '0'], {
        WEFT_ADMIN_PASSWORD: 'not-the-admins-password',
      });
      expect(await wrong.exit(40_000), wrong.output()).toBe(1);
      expect(wrong.output()).toContain(
        'the API refused user admin with the password from WEFT_ADMIN_PASSWORD',
      );
      expect(wrong.output()).toContain(`delete ${dataDir}`);
      expect(wrong.output()).not.toContain(`starting ${DEMO_WORKLOADS.length} proxies`);
      expect(wrong.output()).not.toContain('not-the-admins-password');
      expect(savedPassword(dataDir)).toBe(password);

      const second = await startHeadless(['--rps', '0'], 50_000, dataDir);
      try {
        expect(second.output()).toContain(bannerSignIn(second));
        expect(savedPassword(dataDir)).toBe(password);
        expect(second.output()).toContain(`revoked ${DEMO_TOKEN_COUNT} of an earlier run`);
        const tokens = await demoTokens(second);
        const old = tokens.filter((t) => firstIds.includes(t.id));
        expect(old.map((t) => t.revokedAtMs !== null)).toEqual(firstIds.map(() => true));
        expect(tokens.filter((t) => t.revokedAtMs === null)).toHaveLength(DEMO_TOKEN_COUNT);
      } finally {
        second.kill('SIGINT');
      }
      expect(await second.exit(20_000), second.output()).toBe(0);
    },
    2 * LIFECYCLE_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------- Kubernetes mode

const REVIEWS_TO_V2 = path.join(repoRoot, 'examples/policies/reviews-to-v2.yaml');
const SPLITS_PATH = '/apis/policy.weft.dev/v1alpha1/namespaces/shop/trafficsplits';

/** The in-repo API server as kubectl reaches it: the server and token from <data dir>/kubeconfig. */
function kubeClient(dataDir: string): (method: string, urlPath: string, body?: unknown) => Promise<Response> {
  const kubeconfig = parseYaml(readFileSync(path.join(dataDir, 'kubeconfig'), 'utf8')) as {
    clusters: { cluster: { server: string } }[];
    users: { user: { token: string } }[];
  };
  const server = kubeconfig.clusters[0]!.cluster.server;
  const token = kubeconfig.users[0]!.user.token;
  return (method, urlPath, body) =>
    fetch(`${server}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
}

describe('launcher --platform kubernetes (in-process Kubernetes API server; --no-console)', () => {
  it(
    'runs the shop from Pods and EndpointSlices, and a TrafficSplit written through the API or on the API server moves reviews to v2',
    async () => {
      const run = await startHeadless(['--platform', 'kubernetes'], 60_000);
      const kubeconfig = path.join(run.dataDir, 'kubeconfig');
      try {
        const out = run.output();
        expect(out).toContain(`Platform:     kubernetes (API server http://${HOST}:${run.layout.kubePort}`);
        expect(out).toContain(`kubectl:      KUBECONFIG=${kubeconfig} kubectl get trafficsplits -A`);
        expect(out).toContain('npx weft policy apply -f examples/policies/reviews-to-v2.yaml');
        expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
        const kube = kubeClient(run.dataDir);
        const slices = (await (
          await kube('GET', '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices')
        ).json()) as { items: { endpoints: { targetRef: { name: string } }[] }[] };
        expect(slices.items.flatMap((s) => s.endpoints.map((e) => e.targetRef.name)).sort()).toEqual(
          DEMO_WORKLOADS.filter((w) => w.namespace === 'shop')
            .map((w) => `${w.name}.shop`)
            .sort(),
        );

        await waitForTraffic(run, 30_000);
        const { api, session } = await signIn(run);
        const versions = () =>
          api.query<ServiceVersionStats[]>(session, 'services.versions', {
            window: { lastMs: 10_000 },
            namespace: 'shop',
          });
        const rps = (rows: ServiceVersionStats[], version: string): number =>
          rows.find((r) => r.service === 'reviews' && r.version === version)?.traffic.rps ?? 0;
        /** Within a bounded wait: reviews v2 serves and v1 had no request in the last 10 s (or the opposite). */
        const waitForReviews = (onlyV2: boolean, what: string) =>
          vi.waitFor(
            async () => {
              const rows = await versions();
              const ok = onlyV2
                ? rps(rows, 'v2') > 0 && rps(rows, 'v1') === 0
                : rps(rows, 'v1') > 0 && rps(rows, 'v2') > 0;
              if (!ok)
                throw new Error(`${what}: ${JSON.stringify(rows.filter((r) => r.service === 'reviews'))}`);
            },
            { timeout: 40_000, interval: 1000 },
          );
        await waitForReviews(false, 'reviews v1 and v2 should both serve before any split');

        // (a) Through the API (as the console and `npx weft policy apply` do): stored as a custom resource.
        const split = parseYaml(readFileSync(REVIEWS_TO_V2, 'utf8')) as { metadata: { name: string } };
        await api.mutate(session, 'policies.upsert', split);
        const stored = await kube('GET', `${SPLITS_PATH}/${split.metadata.name}`);
        expect(stored.status).toBe(200);
        expect(
          ((await stored.json()) as { status?: { conditions?: { type: string; status: string }[] } }).status
            ?.conditions,
        ).toContainEqual(expect.objectContaining({ type: 'Accepted', status: 'True' }));
        await waitForReviews(true, 'a split written through the API should send all of reviews to v2');

        // Deleted on the API server (kubectl delete): v1 serves again.
        expect((await kube('DELETE', `${SPLITS_PATH}/${split.metadata.name}`)).status).toBe(200);
        await waitForReviews(false, 'after deleting the split, v1 should serve again');

        // (b) Directly on the API server, as `kubectl apply` would write it.
        const created = await kube('POST', SPLITS_PATH, {
          apiVersion: 'policy.weft.dev/v1alpha1',
          kind: 'TrafficSplit',
          metadata: { name: 'reviews-all-v2', namespace: 'shop' },
          spec: {
            targetRef: { name: 'reviews' },
            backends: [
              { version: 'v1', weight: 0 },
              { version: 'v2', weight: 100 },
            ],
          },
        });
        expect(created.status, await created.clone().text()).toBe(201);
        await waitForReviews(true, 'a split created on the API server should send all of reviews to v2');
      } finally {
        run.kill('SIGINT');
      }
      const code = await run.exit(20_000);
      expect(code, run.output()).toBe(0);
      expect(run.output()).toMatch(STOPPED_ALL(1));
    },
    3 * LIFECYCLE_TIMEOUT_MS,
  );
});
