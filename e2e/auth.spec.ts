/**
 * Signing in and out of the console. These tests start without a session (the other specs reuse the admin's),
 * and sign in through the page as a user would.
 */
import { expect, test } from '@playwright/test';
import { ADMIN, SIGNED_OUT } from './accounts.ts';
import { ConsolePage } from './pages/ConsolePage.ts';
import { LoginPage } from './pages/LoginPage.ts';

test.use({ storageState: SIGNED_OUT });

const SERVICES_INPUT = encodeURIComponent(JSON.stringify({ window: { lastMs: 300_000 } }));

test.describe('sign-in', () => {
  test('a page opened without a session goes to sign-in, and back to it afterwards', async ({ page }) => {
    await page.goto('/graph?window=1h');
    const login = new LoginPage(page);
    await login.expectHere('/graph?window=1h');
    await expect(login.help).toContainText('WEFT_ADMIN_PASSWORD');

    await login.signIn(ADMIN.username, ADMIN.password);
    await expect(page).toHaveURL(/\/graph\?window=1h$/);
    const shell = new ConsolePage(page);
    await shell.expectSignedIn(ADMIN.displayName, 'admin');
    await expect(shell.adminNav).toBeVisible();
    await expect(page.locator('[data-test="graph-canvas"]')).toBeVisible();
  });

  test('a wrong password is refused with a message, and the user stays signed out', async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn(ADMIN.username, 'not-the-password-at-all');
    await expect(login.error).toBeVisible();
    await expect(login.error).toHaveAttribute('data-kind', 'wrong-credentials');
    await expect(login.error).toContainText('Wrong username or password');
    await expect(login.password).toHaveValue('');
    await login.expectHere();

    const me = await page.request.get('/trpc/auth.me');
    expect(((await me.json()) as { result: { data: unknown } }).result.data).toBeNull();
    const list = await page.request.get(`/trpc/services.list?input=${SERVICES_INPUT}`);
    expect(list.status()).toBe(401);
  });

  test('when sign-ins are rate-limited, the page says how long to wait', async ({ page }) => {
    // The API's limiter is shared by the whole run; its 429 is stood in for here (the API's own tests cover it).
    await page.route('**/auth/login', (route) =>
      route.fulfill({
        status: 429,
        headers: { 'retry-after': '90', 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'too many failed sign-ins; try again in 90 s' }),
      }),
    );
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn(ADMIN.username, 'whatever-password');
    await expect(login.error).toHaveAttribute('data-kind', 'rate-limited');
    await expect(login.error).toContainText('Too many failed sign-ins');
    await expect(login.wait).toHaveText(/^1 min (30|29|28) s$/);
    await login.password.fill('another-password');
    await expect(login.submit).toBeDisabled();
  });

  test('returnTo never leads off the console', async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto(`?returnTo=${encodeURIComponent('//evil.example/steal')}`);
    await login.signIn(ADMIN.username, ADMIN.password);
    await expect(page.locator('[data-test="overview-page"]')).toBeVisible();
    const url = new URL(page.url());
    expect([url.hostname, url.pathname]).toEqual(['127.0.0.1', '/']);
  });

  test('an error from single sign-on (?error=) is shown', async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto(`?error=${encodeURIComponent('the provider refused: access_denied')}`);
    await expect(login.error).toHaveAttribute('data-kind', 'sso');
    await expect(login.error).toContainText('the provider refused: access_denied');
    // The demo configures no OIDC provider: no button for one.
    await expect(login.oidc).toHaveCount(0);
  });
});

test('sign-out ends the session: back to sign-in, pages redirect, the old cookie is refused', async ({
  page,
  browser,
}) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(ADMIN.username, ADMIN.password);
  const shell = new ConsolePage(page);
  await shell.expectSignedIn(ADMIN.displayName, 'admin');
  const [session] = (await page.context().cookies()).filter((c) => c.name === 'weft_session');
  expect(session, 'session cookie').toBeDefined();
  expect(session!.httpOnly).toBe(true);
  expect(session!.sameSite).toBe('Lax');

  await shell.signOut();
  await login.expectHere();
  expect((await page.context().cookies()).filter((c) => c.name === 'weft_session')).toHaveLength(0);

  for (const path of ['/', '/traces', '/admin/tokens']) {
    await page.goto(path);
    await login.expectHere(path === '/' ? null : path);
  }

  // The session is gone on the API too, not just the cookie in this browser.
  const replay = await browser.newContext({ storageState: { cookies: [session!], origins: [] } });
  try {
    const res = await replay.request.get(`/trpc/services.list?input=${SERVICES_INPUT}`);
    expect(res.status()).toBe(401);
  } finally {
    await replay.close();
  }
});

test('a session that ends while a page is open sends the user to sign in, and back afterwards', async ({
  page,
  browser,
}) => {
  const login = new LoginPage(page);
  await login.goto(`?returnTo=${encodeURIComponent('/graph?window=5m')}`);
  await login.signIn(ADMIN.username, ADMIN.password);
  await expect(page).toHaveURL(/\/graph\?window=5m$/);
  await new ConsolePage(page).expectSignedIn(ADMIN.displayName, 'admin');

  // The session ends on the API (here: signed out from elsewhere); this browser still holds the cookie.
  const me = (await (await page.request.get('/trpc/auth.me')).json()) as {
    result: { data: { csrfToken: string } };
  };
  const elsewhere = await browser.newContext({
    storageState: { cookies: await page.context().cookies(), origins: [] },
  });
  try {
    const out = await elsewhere.request.post('/auth/logout', {
      headers: { 'x-weft-csrf': me.result.data.csrfToken },
    });
    expect(out.status()).toBe(204);
  } finally {
    await elsewhere.close();
  }

  // The page's next poll is answered 401: off to sign in, remembering where the user was.
  await login.expectHere('/graph?window=5m');
  await login.signIn(ADMIN.username, ADMIN.password);
  await expect(page).toHaveURL(/\/graph\?window=5m$/);
});
