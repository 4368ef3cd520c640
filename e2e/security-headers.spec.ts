/**
 * Every console response carries the security headers (next.config.ts), and the built console runs under its
 * Content-Security-Policy: no page trips it.
 */
import { expect, test, type Page } from '@playwright/test';
import { SIGNED_OUT } from './accounts.ts';
import { TracesPage } from './pages/TracesPage.ts';

function expectSecurityHeaders(headers: Record<string, string>, what: string): void {
  const csp = headers['content-security-policy'] ?? '';
  for (const directive of [
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ]) {
    expect(csp, `${what}: CSP ${directive}`).toContain(directive);
  }
  // The e2e console is a production build: no eval.
  expect(csp, `${what}: CSP without unsafe-eval`).not.toContain('unsafe-eval');
  expect(headers['x-frame-options'], `${what}: X-Frame-Options`).toBe('DENY');
  expect(headers['x-content-type-options'], `${what}: X-Content-Type-Options`).toBe('nosniff');
  expect(headers['referrer-policy'], `${what}: Referrer-Policy`).toBe('strict-origin-when-cross-origin');
}

/** Collects what the browser reports about CSP: violation events and its console errors. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const consoleErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy/i.test(msg.text())) consoleErrors.push(msg.text());
  });
  // (A string: the e2e project compiles without the DOM library.)
  await page.addInitScript({
    content: `window.weftCspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.weftCspViolations.push(
          e.violatedDirective + ': ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));`,
  });
  return async () => [
    ...consoleErrors,
    ...(await page.evaluate(() => (globalThis as { weftCspViolations?: string[] }).weftCspViolations ?? [])),
  ];
}

test('console pages carry the security headers and run without CSP violations', async ({ page }) => {
  const violations = await watchCsp(page);
  const pages: [string, string][] = [
    ['/?window=5m', '[data-test="services-table"]'],
    ['/graph?window=5m', '[data-test="graph-canvas"] .react-flow__node'],
    ['/services/shop/catalog?window=5m', '[data-test="chart-latency"] path.recharts-curve'],
    ['/traces?window=5m', '[data-test="trace-row"]'],
    ['/admin/tokens', '[data-test="token-form"]'],
    ['/admin/users', '[data-test="users-table"]'],
  ];
  for (const [path, ready] of pages) {
    const response = await page.goto(path);
    expectSecurityHeaders(response!.headers(), path);
    await expect(page.locator(ready).first(), `${path} rendered`).toBeAttached({ timeout: 30_000 });
    expect(await violations(), `CSP violations on ${path}`).toEqual([]);
  }

  // A trace waterfall, reached the way a user does.
  const traces = new TracesPage(page);
  await traces.goto('', '5m');
  await traces.waitForRows();
  const [first] = await traces.readRows();
  await traces.open(first!.traceId);
  await expect(page.locator('[data-test="waterfall"]')).toBeVisible();
  expect(await violations(), 'CSP violations on the trace page').toEqual([]);
});

test.describe('signed out', () => {
  test.use({ storageState: SIGNED_OUT });

  test('the sign-in page carries them too, and runs without CSP violations', async ({ page }) => {
    const violations = await watchCsp(page);
    const response = await page.goto('/login');
    expectSecurityHeaders(response!.headers(), '/login');
    await expect(page.locator('[data-test="login-submit"]')).toBeVisible();
    expect(await violations()).toEqual([]);
  });
});
