/**
 * Once per run and demo (project `setup` for the universal demo, `setup-kubernetes` for the Kubernetes-mode
 * one): signs in as admin through the sign-in page, creates the e2e editor and viewer as an admin would, signs
 * each of them in and saves every session for the specs (accounts.ts says where).
 */
import { expect, test as setup, type APIRequestContext, type Browser } from '@playwright/test';
import { ADMIN, EDITOR, platformOf, sessionFile, SIGNED_OUT, VIEWER, type Account } from './accounts.ts';
import { ConsolePage } from './pages/ConsolePage.ts';
import { LoginPage } from './pages/LoginPage.ts';
import { csrfTokenOf, trpcMutation } from './trpc.ts';

setup(
  'sign in as admin, create the editor and the viewer, sign them in',
  async ({ page, browser }, testInfo) => {
    const platform = platformOf(testInfo);
    await page.goto('/');
    const login = new LoginPage(page);
    await login.expectHere();
    await login.signIn(ADMIN.username, ADMIN.password);
    await expect(page).toHaveURL(/\/$/);
    await new ConsolePage(page).expectSignedIn(ADMIN.displayName, 'admin');
    await page.context().storageState({ path: sessionFile('admin', platform) });

    for (const account of [EDITOR, VIEWER]) {
      await createUser(page.request, account);
      await saveSession(browser, account, sessionFile(account.role, platform));
    }
  },
);

/** users.create as the signed-in admin; an account left by an earlier run on the same data directory is kept. */
async function createUser(admin: APIRequestContext, account: Account): Promise<void> {
  const csrf = await csrfTokenOf(admin);
  const created = await trpcMutation(admin, 'users.create', csrf, {
    username: account.username,
    displayName: account.displayName,
    role: account.role,
    password: account.password,
  });
  if (created.status() === 409) return;
  expect(created.status(), `users.create ${account.username}: ${await created.text()}`).toBe(200);
}

/** Signs `account` in through the sign-in page in a browser of its own and saves that session. */
async function saveSession(browser: Browser, account: Account, file: string): Promise<void> {
  const context = await browser.newContext({ storageState: SIGNED_OUT });
  try {
    const page = await context.newPage();
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn(account.username, account.password);
    await new ConsolePage(page).expectSignedIn(account.displayName, account.role);
    await context.storageState({ path: file });
  } finally {
    await context.close();
  }
}
