/**
 * Administration: machine tokens and users, and what someone without the admin role sees and may do.
 * Runs as the admin (the setup project's session); the viewer signs in in a browser context of their own.
 */
import { expect, test } from '@playwright/test';
import { SIGNED_OUT, uniqueName } from './accounts.ts';
import { ConsolePage } from './pages/ConsolePage.ts';
import { LoginPage } from './pages/LoginPage.ts';
import { TokensPage } from './pages/TokensPage.ts';
import { UsersPage } from './pages/UsersPage.ts';

test('an admin creates a workload token, sees the secret once and the token listed, then revokes it', async ({
  page,
}) => {
  const tokens = new TokensPage(page);
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/admin\/tokens$/);
  await expect(tokens.nav('admin-tokens')).toHaveAttribute('aria-current', 'page');

  // The form checks its input with the API's schema before sending anything.
  const name = uniqueName('e2e-catalog');
  await tokens.fill({ kind: 'workload', name, namespace: 'Shop!', service: 'catalog', version: '' });
  await tokens.create.click();
  await expect(tokens.fieldErrors()).toHaveCount(2);
  await expect(tokens.secretPanel).toHaveCount(0);

  await tokens.fill({ kind: 'workload', name, namespace: 'shop', service: 'catalog', version: 'v9' });
  await tokens.create.click();
  await expect(tokens.secretPanel).toBeVisible();
  const secret = (await tokens.secret.innerText()).trim();
  expect(secret).toMatch(/^weft_\S{20,}$/);
  await expect(tokens.envLine).toHaveText(`WEFT_PROXY_TOKEN=${secret}`);

  const row = tokens.row(name);
  await expect(row).toBeVisible();
  await expect(row.locator('[data-test="token-scope"]')).toHaveText('workload catalog.shop@v9');
  await expect(row).toContainText('admin');
  await expect(row.locator('[data-test="token-status"]')).toHaveText('Active');
  // The list never holds the secret.
  await expect(tokens.table).not.toContainText(secret);

  await tokens.revoke(name);
  await expect(row).toHaveAttribute('data-revoked', 'true');
  await expect(row.locator('[data-test="token-status"]')).toContainText('Revoked');
  await expect(row.locator('[data-test="token-revoke"]')).toHaveCount(0);

  // Shown once: after a reload the secret is nowhere.
  await page.reload();
  await expect(tokens.row(name)).toBeVisible();
  await expect(tokens.secretPanel).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText(secret);
});

test('an ingest token may be limited to a namespace, and says so', async ({ page }) => {
  const tokens = new TokensPage(page);
  await tokens.goto();
  const name = uniqueName('e2e-sdk');
  await tokens.fill({ kind: 'ingest', name, namespace: 'shop' });
  await tokens.create.click();
  await expect(tokens.envLine).toHaveText(/^OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20weft_\S+$/);
  await expect(tokens.row(name).locator('[data-test="token-scope"]')).toHaveText('ingest for namespace shop');
});

test('a viewer sees no admin pages, and the API refuses them admin calls', async ({ page, browser }) => {
  // The admin creates the viewer.
  const users = new UsersPage(page);
  await users.goto();
  const viewer = {
    username: uniqueName('viewer'),
    displayName: 'Vera Viewer',
    password: 'viewer-password-e2e',
  };
  await users.createUser({ ...viewer, role: 'viewer' });
  await expect(users.created).toContainText(viewer.username);
  await expect(users.row(viewer.username)).toHaveAttribute('data-role', 'viewer');

  // The viewer signs in, in a browser of their own.
  const context = await browser.newContext({ storageState: SIGNED_OUT });
  try {
    const viewerPage = await context.newPage();
    const login = new LoginPage(viewerPage);
    await login.goto();
    await login.signIn(viewer.username, viewer.password);
    const shell = new ConsolePage(viewerPage);
    await shell.expectSignedIn(viewer.displayName, 'viewer');
    await expect(shell.nav('overview')).toBeVisible();
    await expect(shell.adminNav).toHaveCount(0);
    await expect(shell.nav('admin-tokens')).toHaveCount(0);

    await viewerPage.goto('/admin/tokens');
    await expect(shell.needsAdmin).toBeVisible();
    await expect(shell.needsAdmin).toContainText('needs the admin role');
    await expect(viewerPage.locator('[data-test="tokens-page"]')).toHaveCount(0);

    // Straight to the API with the viewer's cookie and CSRF token: refused for the role, not for the form.
    const me = (await (await viewerPage.request.get('/trpc/auth.me')).json()) as {
      result: { data: { csrfToken: string; user: { role: string } } };
    };
    expect(me.result.data.user.role).toBe('viewer');
    const create = await viewerPage.request.post('/trpc/tokens.create', {
      headers: { 'x-weft-csrf': me.result.data.csrfToken },
      data: { kind: 'workload', name: 'sneaky', namespace: 'shop', service: 'catalog', version: 'v1' },
    });
    expect(create.status()).toBe(403);
    const body = (await create.json()) as { error: { data: { code: string } } };
    expect(body.error.data.code).toBe('FORBIDDEN');
    const list = await viewerPage.request.get('/trpc/users.list');
    expect(list.status()).toBe(403);
    // What a viewer is for still works.
    const services = await viewerPage.request.get(
      `/trpc/services.list?input=${encodeURIComponent(JSON.stringify({ window: { lastMs: 300_000 } }))}`,
    );
    expect(services.status()).toBe(200);
  } finally {
    await context.close();
  }

  // The admin changes the viewer's role, then removes the account.
  await users.setRole(viewer.username, 'editor');
  await expect(users.row(viewer.username)).toHaveAttribute('data-role', 'editor');
  await users.remove(viewer.username);
  await expect(users.row(viewer.username)).toHaveCount(0);
});
