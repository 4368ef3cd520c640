/**
 * End-to-end tests: Playwright drives Debian's Chromium against the whole demo (API, console, demo shop behind
 * proxies, load generator), started by the demo launcher on its own ports with a fresh data directory.
 *
 * Two demos run side by side: the universal one (console 3300, API 4300, shop 16000+) that every spec runs
 * against, and a Kubernetes-mode one (console 3310, API 4310, shop 16500+, Kubernetes API server 16600) for the
 * journeys that must pass on both platforms (project `kubernetes`: the policy editors). The console is built
 * once, by the universal launcher; the Kubernetes-mode console is a second `next start` of that build pointed at
 * the Kubernetes-mode API. WEFT_E2E_KUBERNETES=0 leaves the Kubernetes-mode demo and its project out (a quicker
 * local run).
 */
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ADMIN, sessionFile } from './e2e/accounts.ts';

export const CONSOLE_URL = 'http://127.0.0.1:3300';
export const K8S_CONSOLE_URL = 'http://127.0.0.1:3310';
const K8S_API_PORT = '4310';

const withKubernetes = !['0', 'false', 'no', 'off'].includes(
  (process.env.WEFT_E2E_KUBERNETES ?? '1').trim().toLowerCase(),
);

// The config is evaluated again in every worker: create the data directories once and hand them down via env.
process.env.WEFT_E2E_DATA_DIR ??= mkdtempSync(path.join(tmpdir(), 'weft-e2e-'));
process.env.WEFT_E2E_K8S_DATA_DIR ??= mkdtempSync(path.join(tmpdir(), 'weft-e2e-k8s-'));

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const DEMO_ENV = {
  // The API creates `admin` with this password on its first start (the data directories are fresh).
  WEFT_ADMIN_PASSWORD: ADMIN.password,
  NEXT_TELEMETRY_DISABLED: '1',
};

/** The journeys that run on both platforms; everything else runs once, against the universal demo. */
const BOTH_PLATFORMS = 'policy-editors.spec.ts';

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  timeout: 90_000,
  expect: { timeout: 10_000 },
  outputDir: 'test-results/e2e-artifacts',
  reporter: [
    ['list'],
    ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? 'test-results/e2e.json' }],
  ],
  use: {
    baseURL: CONSOLE_URL,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: process.env.WEFT_E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    video: 'off',
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
  },
  projects: [
    // Signs in as admin through the sign-in page once, creates the editor and the viewer and signs them in;
    // every spec starts from the admin's session.
    { name: 'setup', testMatch: 'auth.setup.ts', metadata: { platform: 'universal' } },
    {
      name: 'console',
      testMatch: '*.spec.ts',
      dependencies: ['setup'],
      metadata: { platform: 'universal' },
      use: { storageState: sessionFile('admin', 'universal') },
    },
    ...(withKubernetes
      ? [
          {
            name: 'setup-kubernetes',
            testMatch: 'auth.setup.ts',
            metadata: { platform: 'kubernetes' },
            use: { baseURL: K8S_CONSOLE_URL },
          },
          {
            name: 'kubernetes',
            testMatch: BOTH_PLATFORMS,
            dependencies: ['setup-kubernetes'],
            metadata: { platform: 'kubernetes' },
            use: { baseURL: K8S_CONSOLE_URL, storageState: sessionFile('admin', 'kubernetes') },
          },
        ]
      : []),
  ],
  // Started one after the other, in this order: the universal demo (which builds the console when its sources
  // changed), then the Kubernetes-mode mesh and API (no console: nothing builds twice, and nothing competes with
  // the build for the CPU), then a second server of the console's build for the Kubernetes-mode API.
  webServer: [
    {
      name: 'demo',
      command: 'npx tsx apps/demo/src/launcher/main.ts',
      env: {
        ...DEMO_ENV,
        WEFT_CONSOLE_PORT: '3300',
        WEFT_API_PORT: '4300',
        WEFT_PORT_BASE: '16000',
        WEFT_DATA_DIR: process.env.WEFT_E2E_DATA_DIR,
      },
      url: CONSOLE_URL,
      // A console build takes ~1 min on an idle machine and several on a busy one.
      timeout: 600_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
      // The launcher stops its children (load, proxies, shop, console, API) in order on SIGTERM.
      gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
    },
    ...(withKubernetes
      ? [
          {
            name: 'k8s-demo',
            command: 'npx tsx apps/demo/src/launcher/main.ts --platform kubernetes --no-console',
            env: {
              ...DEMO_ENV,
              WEFT_API_PORT: K8S_API_PORT,
              WEFT_PORT_BASE: '16500',
              WEFT_KUBE_PORT: '16600',
              WEFT_DATA_DIR: process.env.WEFT_E2E_K8S_DATA_DIR,
            },
            // Printed once the API, the shop, its proxies and the load generator run.
            wait: { stdout: /^Ready \(/m },
            timeout: 180_000,
            reuseExistingServer: false,
            stdout: 'pipe' as const,
            stderr: 'pipe' as const,
            gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 20_000 },
          },
          {
            name: 'k8s-console',
            // The build the universal launcher just made or checked; the console reads WEFT_API_URL per request.
            command: 'npx --no-install next start -H 127.0.0.1 -p 3310',
            cwd: 'apps/web',
            env: {
              WEFT_API_URL: `http://127.0.0.1:${K8S_API_PORT}`,
              NODE_ENV: 'production',
              NEXT_TELEMETRY_DISABLED: '1',
            },
            url: K8S_CONSOLE_URL,
            timeout: 60_000,
            reuseExistingServer: false,
            stdout: 'pipe' as const,
            stderr: 'pipe' as const,
            gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 10_000 },
          },
        ]
      : []),
  ],
});
