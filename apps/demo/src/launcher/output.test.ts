import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleBuildNeeded } from './build.ts';
import { bannerLines, curlHints, isNoteworthy, LineBudget, shellQuote, Tail } from './output.ts';

const tmpDirs: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
};
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('terminal output filter', () => {
  it('shows stderr and warnings/errors on stdout, hides chatter', () => {
    expect(isNoteworthy('something broke', 'stderr')).toBe(true);
    expect(isNoteworthy('listening on 127.0.0.1:4000', 'stdout')).toBe(false);
    expect(isNoteworthy('warning: config rejected', 'stdout')).toBe(true);
    expect(isNoteworthy('Error: ECONNREFUSED', 'stdout')).toBe(true);
    expect(isNoteworthy('{"level":"error","msg":"x"}', 'stdout')).toBe(true);
    expect(isNoteworthy('{"level":"warn","msg":"slow"}', 'stdout')).toBe(true);
    expect(isNoteworthy('{"level":50,"msg":"x"}', 'stdout')).toBe(true);
    expect(isNoteworthy('{"level":"info","msg":"x"}', 'stderr')).toBe(false);
    expect(isNoteworthy('   ', 'stderr')).toBe(false);
  });

  it('reads the level of plain-text, logfmt and JSON log lines', () => {
    const proxyInfo =
      '2026-11-25T02:44:58.311Z info weft-proxy catalog.shop: registered with http://127.0.0.1:4300';
    const proxyWarn = '2026-11-25T02:44:58.311Z warn weft-proxy catalog.shop: control plane unreachable';
    expect(isNoteworthy(proxyInfo, 'stderr')).toBe(false);
    expect(isNoteworthy(proxyWarn, 'stderr')).toBe(true);
    expect(isNoteworthy('2026-11-25T02:44:58.311Z error weft-proxy x: boom', 'stderr')).toBe(true);
    expect(isNoteworthy('time=1 level=info msg=ok', 'stderr')).toBe(false);
    expect(isNoteworthy('time=1 level=error msg=bad', 'stdout')).toBe(true);
    expect(isNoteworthy('[info] started', 'stderr')).toBe(false);
    expect(isNoteworthy('INFO: started', 'stderr')).toBe(false);
    expect(isNoteworthy(' ⚠ Something to know', 'stdout')).toBe(true);
    expect(isNoteworthy('✓ Ready in 177ms', 'stdout')).toBe(false);
    expect(isNoteworthy('weft-api: failed to start: no database', 'stderr')).toBe(true);
  });

  it('rate limits lines and says how many were held back', () => {
    const b = new LineBudget(2, 1000);
    expect(b.take(0)).toEqual({ show: true, droppedBefore: 0 });
    expect(b.take(1)).toEqual({ show: true, droppedBefore: 0 });
    expect(b.take(2)).toEqual({ show: false, droppedBefore: 0 });
    expect(b.take(3)).toEqual({ show: false, droppedBefore: 0 });
    expect(b.take(1000)).toEqual({ show: true, droppedBefore: 2 });
  });

  it('keeps the last lines', () => {
    const t = new Tail(2);
    ['a', 'b', 'c'].forEach((l) => t.push(l));
    expect(t.get()).toEqual(['b', 'c']);
  });
});

describe('console build check', () => {
  const setup = () => {
    const root = tempDir('weft-build-');
    mkdirSync(path.join(root, 'apps/web/src/app'), { recursive: true });
    mkdirSync(path.join(root, 'packages/schema/src'), { recursive: true });
    writeFileSync(path.join(root, 'apps/web/src/app/page.tsx'), '');
    writeFileSync(path.join(root, 'packages/schema/src/index.ts'), '');
    return root;
  };
  const touch = (file: string, secondsAgo: number) => {
    const t = Date.now() / 1000 - secondsAgo;
    utimesSync(file, t, t);
  };

  it('builds when there is no BUILD_ID', () => {
    expect(consoleBuildNeeded(setup())).toEqual({ needed: true, reason: 'no build yet' });
  });

  it('skips the build when BUILD_ID is newer than every input', () => {
    const root = setup();
    mkdirSync(path.join(root, 'apps/web/.next'));
    writeFileSync(path.join(root, 'apps/web/.next/BUILD_ID'), 'x');
    touch(path.join(root, 'apps/web/src/app/page.tsx'), 100);
    touch(path.join(root, 'packages/schema/src/index.ts'), 100);
    expect(consoleBuildNeeded(root)).toEqual({ needed: false });
    touch(path.join(root, 'packages/schema/src/index.ts'), -5);
    expect(consoleBuildNeeded(root)).toEqual({
      needed: true,
      reason: 'packages/schema/src/index.ts changed since the last build',
    });
  });
});

describe('ready banner', () => {
  const info = {
    consoleUrl: 'http://127.0.0.1:3000',
    apiUrl: 'http://127.0.0.1:4000',
    signIn: 'Sign in as admin with password pw-1234567890ab (saved in .weft/admin-password)',
    username: 'admin',
    password: 'pw-1234567890ab',
    passwordEnv: 'WEFT_ADMIN_PASSWORD',
    shop: '7 workloads',
    logDir: '/d/logs',
    pidsFile: '/d/pids.json',
    readyAfter: '+9.0 s',
  };

  it('says where the console is and how to sign in', () => {
    const lines = bannerLines(info);
    expect(lines.slice(0, 3)).toEqual([
      'Weft console: http://127.0.0.1:3000',
      'Sign in as admin with password pw-1234567890ab (saved in .weft/admin-password)',
      'Weft API:     http://127.0.0.1:4000',
    ]);
    expect(lines.at(-1)).toBe('Ready (+9.0 s since launch). Press Ctrl-C to stop.');
    expect(lines.join('\n')).not.toContain('curl');
  });

  it('without the console, shows curl commands that sign in and then read the graph with the session', () => {
    const text = bannerLines({ ...info, consoleUrl: null }).join('\n');
    expect(text).toContain('Weft console: off (--no-console)');
    expect(text).toContain(
      `API sign-in:  curl -c jar -H 'content-type: application/json' -d '{"username":"admin","password":"pw-1234567890ab"}' http://127.0.0.1:4000/auth/login`,
    );
    expect(text).toContain(
      `Graph:        curl -b jar 'http://127.0.0.1:4000/trpc/topology.graph?input=%7B%22window%22%3A%7B%7D%7D'`,
    );
  });

  it('in Kubernetes mode, names the platform and shows kubectl and the policy command', () => {
    const text = bannerLines({
      ...info,
      kubernetes: { server: 'http://127.0.0.1:16443', kubeconfig: '/d/kubeconfig' },
    }).join('\n');
    expect(text).toContain('Platform:     kubernetes (API server http://127.0.0.1:16443');
    expect(text).toContain('kubectl:      KUBECONFIG=/d/kubeconfig kubectl get trafficsplits -A');
    expect(text).toContain('npx weft policy apply -f examples/policies/reviews-to-v2.yaml works the same');
    expect(bannerLines(info).join('\n')).not.toContain('Platform:');
  });

  it('refers to the environment variable for a password it did not print', () => {
    const hints = curlHints('http://h:1', 'admin', null, 'WEFT_ADMIN_PASSWORD');
    expect(hints.signIn).toContain(
      `-d "{\\"username\\":\\"admin\\",\\"password\\":\\"$WEFT_ADMIN_PASSWORD\\"}"`,
    );
  });

  it('quotes for the shell', () => {
    expect(shellQuote('abc-_1')).toBe('abc-_1');
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(shellQuote('{"a":1}')).toBe(`'{"a":1}'`);
  });
});
