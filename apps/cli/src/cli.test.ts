import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, locateCommand, run } from './cli.ts';
import { ExitCode } from './errors.ts';
import { fakeApi, TEST_API, testIo, TrpcFailure, type Handler } from '../test/support/fake-api.ts';

const SPLIT_YAML = `apiVersion: policy.weft.dev/v1alpha1
kind: TrafficSplit
metadata:
  name: reviews-to-v2
  namespace: shop
spec:
  targetRef:
    name: reviews
  backends:
    - version: v1
      weight: 0
    - version: v2
      weight: 100
`;

const login: Handler = (input) => {
  const { username } = input as { username: string };
  return {
    body: {
      user: { id: 'u1', username, displayName: username, role: 'editor', provider: 'local' },
      csrfToken: 'csrf-1',
      expiresAtMs: Date.parse('2026-01-02T00:00:00Z'),
    },
    headers: { 'set-cookie': 'weft_session=secret-1; Path=/; HttpOnly; SameSite=Lax' },
  };
};

async function signedIn(handlers: Record<string, Handler>, env: Record<string, string> = {}) {
  const api = fakeApi({ '/auth/login': login, ...handlers });
  const io = testIo({ fetch: api.fetch, stdin: 'correct-horse-battery\n', env });
  expect(await run(['login', '--username', 'alice', '--password-stdin'], io)).toBe(ExitCode.ok);
  api.calls.length = 0;
  io.out = '';
  io.err = '';
  return { api, io };
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-files-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function record(spec: object, extra: object = {}) {
  return {
    resource: {
      apiVersion: 'policy.weft.dev/v1alpha1',
      kind: 'TrafficSplit',
      metadata: { name: 'reviews-to-v2', namespace: 'shop', resourceVersion: '3', generation: 2 },
      spec,
    },
    conditions: [
      { type: 'Accepted', status: 'True', reason: 'Accepted', message: '' },
      { type: 'Programmed', status: 'False', reason: 'Pending', message: '' },
    ],
    findings: [],
    ...extra,
  };
}

const liveSpec = (v1: number, v2: number) => ({
  targetRef: { group: '', kind: 'Service', name: 'reviews' },
  backends: [
    { version: 'v1', weight: v1 },
    { version: 'v2', weight: v2 },
  ],
});

describe('argument parsing', () => {
  it('finds the command words around global flags and leaves the rest to the command', () => {
    const located = locateCommand(['--api', 'http://x:1', 'policy', 'get', 'ts', '-n', 'shop']);
    expect(located.command?.name).toBe('policy get');
    expect(located.rest).toEqual(['--api', 'http://x:1', 'ts', '-n', 'shop']);
    expect(locateCommand(['policy']).group).toBe('policy');
    expect(locateCommand(['stat', '--', 'x']).rest).toEqual(['--', 'x']);
  });

  it('prints help for every command with exit 0', async () => {
    for (const command of COMMANDS) {
      const io = testIo();
      expect(await run([...command.name.split(' '), '--help'], io), command.name).toBe(ExitCode.ok);
      expect(io.out).toContain(`weft ${command.name}`);
      expect(io.out).toContain('--api URL');
    }
    const top = testIo();
    expect(await run(['--help'], top)).toBe(0);
    for (const command of COMMANDS) expect(top.out).toContain(command.name);
    const viaHelp = testIo();
    expect(await run(['help', 'policy', 'apply'], viaHelp)).toBe(ExitCode.ok);
    expect(viaHelp.out).toContain('weft policy apply -f FILE|DIR');
  });

  it.each([
    [['bogus'], 'unknown command "bogus"'],
    [['policy', 'frob'], 'unknown command "policy frob"; the policy commands are apply, get, diff, delete'],
    [['policy'], '"weft policy" needs a command'],
    [['stat', '--frob'], 'unknown flag "--frob"'],
    [['stat', '-o', 'xml'], '-o must be one of table, json, not "xml"'],
    [['stat', '--window', 'soon'], '--window "soon" is not a duration'],
    [['stat', '--window', '100d'], 'longer than the API allows (90d)'],
    [['stat', 'extra'], 'unexpected argument "extra"'],
    [['stat', '--api', 'ftp://x'], 'must be an http:// or https:// URL'],
    [['stat', '-n'], 'flag -n, --namespace needs a value'],
    [['policy', 'get', 'gadgets'], 'unknown policy kind "gadgets"; one of: TrafficSplit (trafficsplits, ts)'],
    [['policy', 'apply'], '-f FILE|DIR is required'],
    [['policy', 'apply', '-f', '/no/such/file.yaml'], 'the path "/no/such/file.yaml" does not exist'],
    [['policy', 'delete', 'ts', 'x'], '-n NS is required'],
    [['login', '--username', 'a'], 'pass the password on stdin with --password-stdin'],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const io = testIo();
    expect(await run(argv, io)).toBe(ExitCode.usage);
    expect(io.err).toContain(message);
    expect(io.err).toMatch(/Run "weft.*--help" for usage/);
  });
});

describe('signing in', () => {
  it('sends the password from stdin without its newline and saves the session readable only by the user', async () => {
    const api = fakeApi({ '/auth/login': login });
    const io = testIo({ fetch: api.fetch, stdin: 'correct-horse-battery\n' });
    expect(await run(['login', '--username', 'alice', '--password-stdin'], io)).toBe(0);
    expect(api.calls[0]).toMatchObject({
      method: 'POST',
      path: '/auth/login',
      input: { username: 'alice', password: 'correct-horse-battery' },
    });
    const file = path.join(io.configHome, 'weft', 'sessions.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { sessions: Record<string, unknown> };
    expect(saved.sessions[TEST_API]).toMatchObject({
      cookie: 'weft_session=secret-1',
      csrfToken: 'csrf-1',
      username: 'alice',
      role: 'editor',
    });
    expect(io.out).toContain(`Signed in to ${TEST_API} as alice (editor)`);
  });

  it('exits 4 on a wrong password, 3 when the API is unreachable', async () => {
    const refused = fakeApi({
      '/auth/login': () => ({ status: 401, body: { error: 'wrong username or password' } }),
    });
    const io = testIo({ fetch: refused.fetch, stdin: 'nope-nope-nope' });
    expect(await run(['login', '-u', 'alice', '--password-stdin'], io)).toBe(ExitCode.auth);
    expect(io.err).toContain('wrong username or password');

    const down = testIo({ stdin: 'x' });
    expect(await run(['login', '-u', 'alice', '--password-stdin'], down)).toBe(ExitCode.unreachable);
    expect(down.err).toContain(`cannot reach the Weft API at ${TEST_API} (ECONNREFUSED)`);
  });

  it('sends the cookie on queries and the CSRF header too on mutations; logout forgets the session', async () => {
    const { api, io } = await signedIn({
      'services.versions': () => [],
      'policies.delete': () => ({ ok: true }),
      '/auth/logout': () => ({ status: 204, body: {} }),
    });
    await run(['stat'], io);
    expect(api.calls[0]!.headers).toMatchObject({ cookie: 'weft_session=secret-1' });
    expect(api.calls[0]!.headers['x-weft-csrf']).toBeUndefined();
    expect(await run(['policy', 'delete', 'ts', 'reviews-to-v2', '-n', 'shop'], io)).toBe(0);
    expect(api.calls[1]).toMatchObject({
      method: 'POST',
      path: 'policies.delete',
      input: { kind: 'TrafficSplit', namespace: 'shop', name: 'reviews-to-v2' },
      headers: { cookie: 'weft_session=secret-1', 'x-weft-csrf': 'csrf-1' },
    });
    expect(io.out).toContain('trafficsplit.policy.weft.dev "reviews-to-v2" deleted');
    expect(await run(['logout'], io)).toBe(0);
    expect(api.calls[2]!.path).toBe('/auth/logout');
    expect(await run(['stat'], io)).toBe(ExitCode.auth);
    expect(io.err).toContain(`not signed in to ${TEST_API}: run weft login`);
  });
});

describe('errors and exit codes', () => {
  it('not signed in: 4 without calling the API', async () => {
    const api = fakeApi({});
    const io = testIo({ fetch: api.fetch });
    expect(await run(['policy', 'get'], io)).toBe(ExitCode.auth);
    expect(io.err).toContain('run weft login --username USER --password-stdin');
    expect(api.calls).toEqual([]);
  });

  it('an expired or revoked session: 4, and the saved one is dropped', async () => {
    const { io } = await signedIn({
      'services.versions': () => {
        throw new TrpcFailure(401, 'UNAUTHORIZED', 'sign in first: POST /auth/login or the console');
      },
    });
    expect(await run(['stat'], io)).toBe(ExitCode.auth);
    expect(io.err).toContain('has expired or was signed out: run weft login');
    expect(readFileSync(path.join(io.configHome, 'weft', 'sessions.json'), 'utf8')).not.toContain('secret-1');
  });

  it('WEFT_TOKEN is sent as a bearer token, and a 401 says which kind of token it must be', async () => {
    const api = fakeApi({
      'services.versions': () => {
        throw new TrpcFailure(401, 'UNAUTHORIZED', 'sign in first: POST /auth/login or the console');
      },
    });
    const io = testIo({ fetch: api.fetch, env: { WEFT_TOKEN: 'weft_abc' } });
    expect(await run(['stat'], io)).toBe(ExitCode.auth);
    expect(api.calls[0]!.headers.authorization).toBe('Bearer weft_abc');
    expect(api.calls[0]!.headers.cookie).toBeUndefined();
    expect(io.err).toContain('refused the token in WEFT_TOKEN');
    expect(io.err).toContain('WEFT_TOKEN must be an API token');
  });

  it('403: 4 and the role that is needed', async () => {
    const { io } = await signedIn({
      'policies.delete': () => {
        throw new TrpcFailure(403, 'FORBIDDEN', 'needs the admin role; alice is editor');
      },
    });
    expect(await run(['policy', 'delete', 'ts/reviews-to-v2', '-n', 'shop'], io)).toBe(ExitCode.auth);
    expect(io.err).toContain('forbidden: needs the admin role; alice is editor');
  });

  it('a procedure the API does not have yet: 1 and a clear message', async () => {
    const { io } = await signedIn({});
    expect(await run(['proxies'], io)).toBe(ExitCode.failed);
    expect(io.err).toContain('does not support this yet: it has no proxies.list procedure');
  });

  it('unreachable API: 3 with the URL', async () => {
    const { io } = await signedIn({});
    io.fetch = () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }));
    expect(await run(['stat', '--api', 'http://127.0.0.1:1/'], io)).toBe(ExitCode.auth); // other URL: no session
    expect(await run(['stat'], io)).toBe(ExitCode.unreachable);
    expect(io.err).toContain(`cannot reach the Weft API at ${TEST_API} (ECONNREFUSED): is it running?`);
  });
});

describe('weft stat', () => {
  const traffic = (rps: number, successRate: number | null, p: number | null) => ({
    requests: 10,
    errors: 0,
    rps,
    successRate,
    p50: p,
    p95: p === null ? null : p * 2,
    p99: p === null ? null : p * 3,
  });
  const services = [
    { namespace: 'shop', service: 'reviews', version: 'v1', instances: 1, traffic: traffic(0, null, null) },
    { namespace: 'shop', service: 'reviews', version: 'v2', instances: 1, traffic: traffic(4, 0.75, 12) },
    { namespace: 'shop', service: 'ratings', version: 'v1', instances: 1, traffic: traffic(2.5, 1, 3.25) },
    {
      namespace: 'storefront',
      service: 'frontend',
      version: 'v1',
      instances: 1,
      traffic: traffic(0, null, null),
    },
  ];

  it('-o json: exactly namespace, service, version, rps, successRate, p50Ms, p95Ms, p99Ms', async () => {
    const { api, io } = await signedIn({ 'services.versions': () => services });
    expect(await run(['stat', '-n', 'shop', '--window', '1m30s', '-o', 'json'], io)).toBe(0);
    expect(api.calls[0]!.input).toEqual({ window: { lastMs: 90_000 }, namespace: 'shop' });
    const rows = JSON.parse(io.out) as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        namespace: 'shop',
        service: 'ratings',
        version: 'v1',
        rps: 2.5,
        successRate: 1,
        p50Ms: 3.25,
        p95Ms: 6.5,
        p99Ms: 9.75,
      },
      {
        namespace: 'shop',
        service: 'reviews',
        version: 'v1',
        rps: 0,
        successRate: null,
        p50Ms: null,
        p95Ms: null,
        p99Ms: null,
      },
      {
        namespace: 'shop',
        service: 'reviews',
        version: 'v2',
        rps: 4,
        successRate: 0.75,
        p50Ms: 12,
        p95Ms: 24,
        p99Ms: 36,
      },
    ]);
    expect(io.err).toBe('');
  });

  it('prints a table like linkerd viz stat', async () => {
    const { io } = await signedIn({ 'services.versions': () => services });
    expect(await run(['stat'], io)).toBe(0);
    expect(io.out).toBe(
      [
        'NAMESPACE    SERVICE    VERSION   RPS    SUCCESS   P50     P95     P99',
        'shop         ratings    v1        2.50   100.00%   3.3ms   6.5ms   9.8ms',
        'shop         reviews    v1        0      -         -       -       -',
        'shop         reviews    v2        4.00   75.00%    12ms    24ms    36ms',
        'storefront   frontend   v1        0      -         -       -       -',
        '',
      ].join('\n'),
    );
  });
});

describe('weft proxies', () => {
  it('shows the acknowledged config version, or the NACK reason', async () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const { io } = await signedIn({
      'proxies.list': () => [
        {
          proxyId: 'reviews-v2-1',
          namespace: 'shop',
          service: 'reviews',
          version: 'v2',
          configVersion: 7,
          ackedVersion: 6,
          ackedAtMs: now - 30_000,
          nack: { version: 7, reason: 'spec.backends: no endpoints' },
        },
        {
          proxyId: 'catalog-1',
          namespace: 'shop',
          service: 'catalog',
          version: 'v1',
          configVersion: 7,
          ackedVersion: 7,
          ackedAtMs: now - 5000,
          nack: null,
        },
      ],
    });
    expect(await run(['proxies'], io)).toBe(0);
    expect(io.out).toBe(
      [
        'PROXY          SERVICE        VERSION   CONFIG   ACKED',
        'catalog-1      catalog.shop   v1        7        7 (5s ago)',
        'reviews-v2-1   reviews.shop   v2        7        NACK 7: spec.backends: no endpoints',
        '',
      ].join('\n'),
    );
  });
});

describe('weft policy', () => {
  function policyApi(state: {
    live: ReturnType<typeof record> | null;
    findings?: object[];
  }): Record<string, Handler> {
    return {
      'policies.validate': () => ({ findings: state.findings ?? [] }),
      'policies.get': () => {
        if (!state.live) throw new TrpcFailure(404, 'NOT_FOUND', 'not found');
        return state.live;
      },
      'policies.upsert': (input) => {
        const { spec } = input as { spec: object };
        if (state.live && JSON.stringify(state.live.resource.spec) === JSON.stringify(spec))
          return state.live;
        const resourceVersion = String(Number(state.live?.resource.metadata.resourceVersion ?? 0) + 1);
        state.live = record(spec);
        state.live.resource.metadata.resourceVersion = resourceVersion;
        return state.live;
      },
      'policies.list': () => (state.live ? [state.live] : []),
    };
  }

  it('apply: created, then unchanged, then configured', async () => {
    const state = { live: null as ReturnType<typeof record> | null };
    const { api, io } = await signedIn(policyApi(state));
    const file = tempFile('split.yaml', SPLIT_YAML);
    expect(await run(['policy', 'apply', '-f', file], io)).toBe(0);
    expect(io.out).toBe('trafficsplit.policy.weft.dev/reviews-to-v2 created\n');
    expect(api.procedures()).toEqual(['policies.validate', 'policies.get', 'policies.upsert']);
    // The resource itself is the input, with the schema's defaults filled in.
    expect(api.calls[0]!.method).toBe('POST');
    expect((api.calls[2]!.input as { spec: { targetRef: object } }).spec.targetRef).toEqual({
      group: '',
      kind: 'Service',
      name: 'reviews',
    });
    io.out = '';
    expect(await run(['policy', 'apply', '-f', file], io)).toBe(0);
    expect(io.out).toBe('trafficsplit.policy.weft.dev/reviews-to-v2 unchanged\n');
    io.out = '';
    writeFileSync(file, SPLIT_YAML.replace('weight: 0', 'weight: 10'));
    expect(await run(['policy', 'apply', '-f', file], io)).toBe(0);
    expect(io.out).toBe('trafficsplit.policy.weft.dev/reviews-to-v2 configured\n');
  });

  it('apply: prints findings with their codes and exits 1 when a resource is refused', async () => {
    const finding = {
      code: 'WEFT2002',
      severity: 'error',
      path: 'spec.backends.1.version',
      message:
        '"reviews" has no instances of version "v3" (running: v1, v2): set its weight to 0 or deploy it first',
    };
    const { api, io } = await signedIn(policyApi({ live: null, findings: [finding] }));
    const file = tempFile('split.yaml', SPLIT_YAML.replace('version: v2', 'version: v3'));
    expect(await run(['policy', 'apply', '-f', file], io)).toBe(ExitCode.failed);
    expect(io.err).toContain(
      '  WEFT2002 error spec.backends.1.version: "reviews" has no instances of version "v3" (running: v1, v2)',
    );
    expect(io.err).toContain('1 of 1 resource refused');
    expect(api.procedures()).toEqual(['policies.validate']);
  });

  it('apply: a refusal by policies.upsert itself (400 with findings) and a conflict (409) exit 1', async () => {
    const finding = { code: 'WEFT2003', severity: 'error', path: 'spec.targetRef', message: 'two splits' };
    const { io } = await signedIn({
      ...policyApi({ live: null }),
      'policies.upsert': () => {
        throw new TrpcFailure(400, 'BAD_REQUEST', 'refused', { findings: [finding] });
      },
    });
    const file = tempFile('split.yaml', SPLIT_YAML);
    expect(await run(['policy', 'apply', '-f', file], io)).toBe(ExitCode.failed);
    expect(io.err).toContain('  WEFT2003 error spec.targetRef: two splits');

    const conflict = await signedIn({
      ...policyApi({ live: null }),
      'policies.upsert': () => {
        throw new TrpcFailure(409, 'CONFLICT', 'resourceVersion 3 is not the stored 4');
      },
    });
    expect(await run(['policy', 'apply', '-f', file], conflict.io)).toBe(ExitCode.failed);
    expect(conflict.io.err).toContain('conflict: resourceVersion 3 is not the stored 4');
  });

  it('apply: schema errors name the field and nothing is sent for that resource; the others still go', async () => {
    const state = { live: null as ReturnType<typeof record> | null };
    const { api, io } = await signedIn(policyApi(state));
    const bad = SPLIT_YAML.replace('name: reviews-to-v2', 'name: bad').replace('weight: 100', 'weight: -1');
    const file = tempFile('two.yaml', `${bad}---\n${SPLIT_YAML}`);
    expect(await run(['policy', 'apply', '-f', file], io)).toBe(ExitCode.failed);
    expect(io.err).toContain(`error: trafficsplit.policy.weft.dev/bad (${file} (document 1)) was refused:`);
    expect(io.err).toMatch(/ {2}spec\.backends\.1\.weight: .*>=0/);
    expect(io.out).toBe('trafficsplit.policy.weft.dev/reviews-to-v2 created\n');
    expect(api.procedures()).toEqual(['policies.validate', 'policies.get', 'policies.upsert']);
  });

  it('get: a kubectl-style table; kinds by short name; -o yaml', async () => {
    const created = new Date(Date.parse('2026-01-01T12:00:00Z') - 3 * 3600_000).toISOString();
    const live = record(liveSpec(0, 100));
    live.resource.metadata = {
      ...live.resource.metadata,
      creationTimestamp: created,
    } as typeof live.resource.metadata;
    const { api, io } = await signedIn({ 'policies.list': () => [live], 'policies.get': () => live });
    expect(await run(['policy', 'get', 'TS', '-n', 'shop'], io)).toBe(0);
    expect(api.calls[0]!.input).toEqual({ kind: 'TrafficSplit', namespace: 'shop' });
    expect(io.out).toBe(
      [
        'NAMESPACE   NAME            KIND           TARGET    ACCEPTED   PROGRAMMED   AGE',
        'shop        reviews-to-v2   TrafficSplit   reviews   True       False        3h',
        '',
      ].join('\n'),
    );
    io.out = '';
    expect(
      await run(
        ['policy', 'get', 'trafficsplits.policy.weft.dev', 'reviews-to-v2', '-n', 'shop', '-o', 'yaml'],
        io,
      ),
    ).toBe(0);
    expect(api.calls[1]).toMatchObject({
      path: 'policies.get',
      input: { kind: 'TrafficSplit', namespace: 'shop', name: 'reviews-to-v2' },
    });
    expect(io.out).toContain('kind: TrafficSplit\n');
    expect(io.out).toContain('status:\n  conditions:\n    - type: Accepted\n');
  });

  it('get: nothing found is not an error', async () => {
    const { io } = await signedIn({ 'policies.list': () => [] });
    expect(await run(['policy', 'get'], io)).toBe(0);
    expect(io.err).toBe('No policies found.\n');
  });

  it('diff: exit 0 without differences, 1 with a unified diff of the spec', async () => {
    const state = { live: record(liveSpec(0, 100)) as ReturnType<typeof record> | null };
    const { io } = await signedIn(policyApi(state));
    const file = tempFile('split.yaml', SPLIT_YAML);
    expect(await run(['policy', 'diff', '-f', file], io)).toBe(0);
    expect(io.out).toBe('');
    state.live = record(liveSpec(90, 10));
    expect(await run(['policy', 'diff', '-f', file], io)).toBe(ExitCode.failed);
    expect(io.out).toBe(
      [
        '--- live/shop/trafficsplit.policy.weft.dev/reviews-to-v2',
        `+++ ${file} shop/trafficsplit.policy.weft.dev/reviews-to-v2`,
        '@@ -4,6 +4,6 @@',
        '   name: reviews',
        ' backends:',
        '   - version: v1',
        '-    weight: 90',
        '+    weight: 0',
        '   - version: v2',
        '-    weight: 10',
        '+    weight: 100',
        '',
      ].join('\n'),
    );
    io.out = '';
    state.live = null;
    expect(await run(['policy', 'diff', '-f', file], io)).toBe(ExitCode.failed);
    expect(io.out).toMatch(/^--- \/dev\/null\n.*\n@@ -0,0 \+1,9 @@\n\+targetRef:\n/);
  });
});
