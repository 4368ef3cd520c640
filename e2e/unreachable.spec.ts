/**
 * The console without its API: a second console server (same build) pointed at a port nobody listens on.
 * Pages must say "API unreachable at …" rather than render blank, and the /trpc proxy must answer in tRPC's
 * error shape.
 */
import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConsolePage } from './pages/ConsolePage.ts';

const WEB_DIR = path.resolve(import.meta.dirname, '../apps/web');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

let child: ChildProcess | undefined;
let consoleUrl = '';
let deadApiUrl = '';

test.beforeAll(async () => {
  const [consolePort, deadPort] = [await freePort(), await freePort()];
  consoleUrl = `http://127.0.0.1:${consolePort}`;
  deadApiUrl = `http://127.0.0.1:${deadPort}`;
  const next = createRequire(path.join(WEB_DIR, 'package.json')).resolve('next/dist/bin/next');
  child = spawn(process.execPath, [next, 'start', '-H', '127.0.0.1', '-p', String(consolePort)], {
    cwd: WEB_DIR,
    env: { ...process.env, WEFT_API_URL: deadApiUrl, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(consoleUrl)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`console on ${consoleUrl} did not start within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

test.afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
});

test('pages say the API is unreachable, and where they looked for it', async ({ page }) => {
  const shell = new ConsolePage(page);
  for (const path of ['/', '/graph', '/traces', '/services/shop/catalog']) {
    await page.goto(`${consoleUrl}${path}?window=5m`);
    await expect(shell.apiUnreachable.first(), `error state on ${path}`).toBeVisible({ timeout: 20_000 });
    await expect(shell.apiUnreachable.first()).toContainText(`API unreachable at ${deadApiUrl}`);
    // The shell still works: navigation and the window picker are there.
    await expect(shell.windowPicker).toBeVisible();
  }
});

test('the /trpc proxy answers in tRPC error shape, one error per batched call', async ({ request }) => {
  const input = encodeURIComponent(
    JSON.stringify({ 0: { window: { lastMs: 300000 } }, 1: { window: { lastMs: 300000 } } }),
  );
  const res = await request.get(`${consoleUrl}/trpc/services.list,topology.graph?batch=1&input=${input}`);
  expect(res.status()).toBe(502);
  expect(res.headers()['content-type']).toContain('application/json');
  const body = (await res.json()) as { error: { message: string; data: { path: string } } }[];
  expect(body).toHaveLength(2);
  expect(body.map((b) => b.error.data.path)).toEqual(['services.list', 'topology.graph']);
  expect(body[0]!.error.message).toContain(`API unreachable at ${deadApiUrl}`);
});
