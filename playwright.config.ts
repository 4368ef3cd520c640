/**
 * End-to-end tests: Playwright drives Debian's Chromium against the whole demo (API, console, demo shop behind
 * proxies, load generator), started by the demo launcher on its own ports with a fresh data directory.
 */
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ADMIN, adminStorageState } from './e2e/accounts.ts';

export const CONSOLE_URL = 'http://127.0.0.1:3300';

// The config is evaluated again in every worker: create the data directory once and hand it down via env.
process.env.WEFT_E2E_DATA_DIR ??= mkdtempSync(path.join(tmpdir(), 'weft-e2e-'));

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
    // Signs in as admin through the sign-in page once; every spec starts from that session.
    { name: 'setup', testMatch: 'auth.setup.ts' },
    {
      name: 'console',
      testMatch: '*.spec.ts',
      dependencies: ['setup'],
      use: { storageState: adminStorageState() },
    },
  ],
  webServer: {
    command: 'npx tsx apps/demo/src/launcher/main.ts',
    env: {
      WEFT_CONSOLE_PORT: '3300',
      WEFT_API_PORT: '4300',
      WEFT_PORT_BASE: '16000',
      WEFT_DATA_DIR: process.env.WEFT_E2E_DATA_DIR,
      // The API creates `admin` with this password on its first start (the data directory is fresh).
      WEFT_ADMIN_PASSWORD: ADMIN.password,
      NEXT_TELEMETRY_DISABLED: '1',
    },
    url: CONSOLE_URL,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    // The launcher stops its children (load, proxies, shop, console, API) in order on SIGTERM.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
  },
});
