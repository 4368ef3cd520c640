/** Signs in as admin through the sign-in page, once per run, and saves the session for every spec. */
import { expect, test as setup } from '@playwright/test';
import { ADMIN, adminStorageState } from './accounts.ts';
import { ConsolePage } from './pages/ConsolePage.ts';
import { LoginPage } from './pages/LoginPage.ts';

setup('sign in as admin', async ({ page }) => {
  await page.goto('/');
  const login = new LoginPage(page);
  await login.expectHere();
  await login.signIn(ADMIN.username, ADMIN.password);
  await expect(page).toHaveURL(/\/$/);
  await new ConsolePage(page).expectSignedIn(ADMIN.displayName, 'admin');
  await page.context().storageState({ path: adminStorageState() });
});
